"""Notices in Vietnamese that a unit head can act on: what, who, by when, how to report."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from plans.schedule import END_OF_DAY
from plans.vietnamese import format_date_long, format_datetime
from workflows.messages import Notice

TITLES = {
    "reminder": "Nhắc hạn",
    "due_today": "Đến hạn hôm nay",
    "overdue": "Quá hạn",
    "escalation": "Báo cáo quá hạn",
    "completion": "Đã hoàn thành",
    "checkin": "Đề nghị báo cáo tiến độ",
    "checkin_missed": "Chưa báo cáo tiến độ",
    "extension": "Gia hạn",
    "cancelled": "Hủy nhiệm vụ",
    "reopened": "Yêu cầu bổ sung",
}


@dataclass(frozen=True)
class Rendered:
    subject: str
    text: str


def render(notice: Notice) -> Rendered:
    occ, plan = notice.occurrence, notice.plan
    names = {pid: party.name for pid, party in plan.parties.items()}
    number = plan.number or plan.title
    due = _when(notice.due) if notice.due else "chưa xác định"
    title = TITLES[notice.kind] + (" (thông báo bù)" if notice.catch_up else "")
    lines = [
        f"Kính gửi: {notice.to.party.name}",
        "",
        f"Kế hoạch: {number} - {plan.title}",
        f"Nhiệm vụ: {occ.title}" + (f" (kỳ {occ.period})" if occ.period else ""),
        f"Đơn vị chủ trì: {', '.join(names.get(u, u) for u in occ.lead)}",
    ]
    if occ.coordinating:
        lines.append(f"Đơn vị phối hợp: {', '.join(names.get(u, u) for u in occ.coordinating)}")
    lines.append(f"Thời hạn: {due}" + (f" (theo kế hoạch: {occ.deadline_text})"
                                       if occ.deadline_text else ""))
    if notice.kind == "escalation":
        lines.append(f"Mức báo cáo: {notice.escalation_level}")
    lines += ["", f"Mã nhiệm vụ: {notice.ref}",
              "Khi hoàn thành, đơn vị gửi văn bản báo cáo (số, ngày) về "
              f"{names.get(plan.office, plan.office)} để cập nhật."]
    subject = f"[{title}] {number}: {occ.title[:80]} - hạn {due}"
    return Rendered(subject=subject, text="\n".join(lines))


def _when(due: datetime) -> str:
    """The deadline as people write it: the day, and the hour when the plan gives one."""
    if due.time() == END_OF_DAY:
        return format_date_long(due.date())
    return format_datetime(due)
