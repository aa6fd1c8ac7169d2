"""Small plan files for tests, written as a clerk would write them."""

from __future__ import annotations


def plan_text(*, tasks: str, until: int | None = None, policy: str = "", year: int = 2025,
              issued: str = "10/02/2025", plan_id: str = "thu") -> str:
    return f"""\
plan:
  id: {plan_id}
  number: 1/KH-SYT
  title: Kế hoạch thử nghiệm
  issuer: Sở Y tế Thử
  issued: {issued}
  year: {year}
{f"  until: {until}" if until else ""}
units:
  - {{id: VP, name: Văn phòng Sở, kind: department}}
  - {{id: HL, name: Thành phố Hạ Long, kind: locality, groups: [dia-phuong]}}
  - {{id: CP, name: Thành phố Cẩm Phả, kind: locality, groups: [dia-phuong]}}
groups:
  - {{id: dia-phuong, name: Các địa phương}}
people:
  - {{id: gd, name: Nguyễn Văn A, title: Giám đốc Sở}}
  - {{id: pgd, name: Trần Thị B, title: Phó Giám đốc Sở}}
  - {{id: bcd, title: Ban Chỉ đạo Chuyển đổi số, kind: committee}}
roles: {{office: VP, steering_committee: bcd, default_leader: gd}}
events:
  - {{id: ubnd-kh, name: UBND tỉnh ban hành kế hoạch}}
{policy}
tasks:
{tasks}"""
