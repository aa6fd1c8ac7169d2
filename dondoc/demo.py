"""A small demo plan whose reminders arrive within minutes of `dondoc dev --demo`.

Its deadlines are minutes from now and its policy uses exact durations, which ignore the working
calendar, so the demo runs the same on a Sunday night as on a Monday morning.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from plans.model import Contact, Contacts

HCM = ZoneInfo("Asia/Ho_Chi_Minh")
DEMO_UNIT_HEAD = "ttyt-a@demo.invalid"


def demo_contacts() -> Contacts:
    """Accounts for the demo's people: sign-in codes go to the local outbox (no mail server)."""
    return Contacts(plan="demo", contacts=[
        Contact(of="TTYT-A", name="Giám đốc Trung tâm Y tế huyện A", email=DEMO_UNIT_HEAD,
                prefer=["email"]),
        Contact(of="BV-B", name="Giám đốc Bệnh viện Đa khoa B", email="bv-b@demo.invalid",
                prefer=["email"]),
        Contact(of="pgd", name="Nguyễn Văn Minh", email="pgd@demo.invalid", prefer=["email"]),
    ])


def demo_plan(now: datetime) -> str:
    now = now.astimezone(HCM)
    report = now + timedelta(minutes=4)
    meeting = now + timedelta(minutes=6)

    def rule(at: datetime) -> str:
        return f"{{kind: before_date, date: {at:%Y-%m-%d}, time: \"{at:%H:%M}\"}}"

    return f"""\
# Kế hoạch minh họa cho `dondoc dev --demo`: hạn chót tính bằng phút từ lúc khởi động.
plan:
  id: demo
  number: 01/KH-DEMO
  title: Kế hoạch minh họa nhắc việc
  issuer: Sở Y tế (minh họa)
  issued: {now:%d/%m/%Y}
  year: {now.year}
units:
  - {{id: VP, name: Văn phòng Sở Y tế, kind: department}}
  - {{id: TTYT-A, name: Trung tâm Y tế huyện A, kind: center}}
  - {{id: BV-B, name: Bệnh viện Đa khoa B, kind: hospital}}
people:
  - {{id: pgd, name: Nguyễn Văn Minh, title: Phó Giám đốc Sở}}
  - {{id: bcd, title: Ban Chỉ đạo Chuyển đổi số ngành Y tế, kind: committee}}
roles: {{office: VP, steering_committee: bcd, default_leader: pgd}}
policy:
  quiet_hours: null   # a demo at night still shows its reminders
  reminders: [{{before: PT3M}}, {{before: PT1M}}]
  escalation:
    - {{after: PT30S, to: leader}}
    - {{after: PT90S, to: steering_committee}}
  escalation_repeat: {{every: PT3M}}
tasks:
  - id: BC-1
    source: minh họa
    title: Gửi báo cáo kết quả triển khai bệnh án điện tử
    lead: [TTYT-A]
    coordinating: [BV-B]
    deadline: {{text: "trước {report:%H:%M} ngày {report:%d/%m/%Y}", rule: {rule(report)}}}
  - id: HOP-1
    source: minh họa
    title: Tham dự họp giao ban chuyển đổi số
    lead: [BV-B]
    deadline: {{text: "trước {meeting:%H:%M} ngày {meeting:%d/%m/%Y}", rule: {rule(meeting)}}}
"""
