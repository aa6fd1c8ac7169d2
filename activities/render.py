"""Notices in Vietnamese that a unit head can act on: what is due, who leads and coordinates,
the deadline with its weekday, how many working days are left or how late it is, and how to
report completion. ZNS needs template parameters instead of text: the same facts, named."""

from __future__ import annotations

from datetime import date, datetime
from html import escape

from activities.channels import Message
from plans.schedule import END_OF_DAY
from plans.vietnamese import format_date, format_date_long, format_datetime
from workflows.messages import Notice, Recipient

TITLES = {
    "reminder": "Nhắc hạn",
    "due_today": "Đến hạn hôm nay",
    "overdue": "Quá hạn",
    "escalation": "Báo cáo nhiệm vụ quá hạn",
    "escalation_ended": "Dừng nhắc lại nhiệm vụ quá hạn",
    "completion": "Đã hoàn thành",
    "checkin": "Đề nghị báo cáo tiến độ",
    "checkin_missed": "Chưa báo cáo tiến độ",
    "extension": "Kết quả đề nghị gia hạn",
    "cancelled": "Hủy nhiệm vụ",
    "reopened": "Yêu cầu bổ sung báo cáo",
}


def when(due: datetime) -> str:
    """The deadline as people write it: the day, and the hour when the plan gives one."""
    if due.time() == END_OF_DAY:
        return format_date_long(due.date())
    return format_datetime(due)


def _countdown(notice: Notice) -> str | None:
    days = notice.working_days
    if days is None or notice.kind in ("completion", "cancelled"):
        return None
    if days > 0:
        return f"Còn {days} ngày làm việc"
    if days == 0:
        return "Hạn là hôm nay"
    return f"Đã quá hạn {-days} ngày làm việc"


LINK_LABEL = "Mở trang nhiệm vụ"
# Notices that ask the lead unit to act and report back.
_ASKS_THE_LEAD = frozenset({"reminder", "due_today", "overdue", "checkin", "checkin_missed",
                            "extension", "reopened"})
_DECIDERS = frozenset({"leader", "steering_committee"})


def _extension(notice: Notice, lead: str) -> str:
    """A request to the leader, or its decision to the lead unit, with the date and the reason."""
    asked = notice.details
    if "until" not in asked:  # notices from before extensions said what they were about
        return "Đề nghị gia hạn nhiệm vụ dưới đây."
    until = format_date(date.fromisoformat(asked["until"]))
    if notice.to.role != "lead":
        return (f"{lead} đề nghị gia hạn nhiệm vụ dưới đây đến ngày {until}, lý do: "
                f"{asked['reason']}. Đề nghị đồng chí xem xét, quyết định.")
    if asked["decision"] == "approved":
        return f"Đề nghị gia hạn đến ngày {until} đã được chấp thuận; thời hạn mới ghi dưới đây."
    if asked["decision"] == "denied":
        why = f", lý do: {asked['decision_reason']}" if asked.get("decision_reason") else ""
        return (f"Đề nghị gia hạn đến ngày {until} không được chấp thuận{why}. Thời hạn giữ "
                "nguyên; đề nghị đơn vị hoàn thành đúng hạn.")
    return f"Đề nghị gia hạn đến ngày {until} đang chờ quyết định."


def render(notice: Notice, *, on_behalf: Recipient | None = None,
           link: str | None = None) -> Message:
    """The notice as a message; `link`, the occurrence's page, where the unit answers it."""
    occ, plan = notice.occurrence, notice.plan
    names = {pid: party.name for pid, party in plan.parties.items()}
    number = plan.number or plan.title
    due = when(notice.due) if notice.due else "chưa xác định"
    kind_title = ("Đề nghị gia hạn" if notice.kind == "extension" and notice.to.role != "lead"
                  else TITLES[notice.kind])
    title = kind_title + (" (thông báo bù)" if notice.catch_up else "")
    lead = ", ".join(names.get(u, u) for u in occ.lead)
    facts: list[tuple[str, str]] = [
        ("Kế hoạch", f"{number} - {plan.title}" if plan.number else plan.title),
        ("Nhiệm vụ", occ.title + (f" (kỳ {occ.period})" if occ.period else "")),
        ("Đơn vị chủ trì", lead),
    ]
    if occ.coordinating:
        facts.append(("Đơn vị phối hợp", ", ".join(names.get(u, u) for u in occ.coordinating)))
    facts.append(("Thời hạn", due + (f" (kế hoạch ghi: {occ.deadline_text})"
                                     if occ.deadline_text else "")))
    if notice.original_due and notice.due and notice.original_due != notice.due:
        facts.append(("Hạn ban đầu", when(notice.original_due)))
    countdown = _countdown(notice)
    if countdown:
        facts.append(("Tình trạng", countdown))
    if notice.kind in ("escalation", "escalation_ended"):
        facts.append(("Mức báo cáo", str(notice.escalation_level)))

    opening = {
        "escalation": f"Nhiệm vụ do {lead} chủ trì chưa hoàn thành đúng hạn.",
        "escalation_ended": (f"Nhiệm vụ do {lead} chủ trì vẫn chưa hoàn thành sau "
                             f"{notice.escalation_level} lần báo cáo quá hạn. Hệ thống dừng "
                             "nhắc lại; đề nghị Văn phòng theo dõi, xử lý."),
        "completion": f"{lead} đã báo cáo hoàn thành nhiệm vụ.",
        "checkin": "Đề nghị đơn vị báo cáo tiến độ thực hiện nhiệm vụ thường xuyên.",
        "cancelled": "Nhiệm vụ dưới đây đã được hủy; đơn vị không cần thực hiện tiếp.",
        "extension": _extension(notice, lead),
    }.get(notice.kind, "Đề nghị đơn vị chủ trì hoàn thành nhiệm vụ dưới đây đúng thời hạn.")
    if notice.to.role == "coordinating" and notice.kind in ("reminder", "due_today", "overdue"):
        opening = (f"Đơn vị được giao phối hợp với {lead} thực hiện nhiệm vụ dưới đây; đề nghị "
                   "phối hợp để nhiệm vụ hoàn thành " +
                   ("sớm nhất." if notice.kind == "overdue" else "đúng thời hạn."))
    if on_behalf is not None:
        opening = (f"Không liên lạc được với {on_behalf.party.name} qua e-mail hay Zalo; "
                   f"đề nghị Văn phòng chuyển thông báo. {opening}")
    # Only the lead unit has something to report; everyone else is told, or decides.
    asked_to_report = notice.to.role == "lead" and notice.kind in _ASKS_THE_LEAD
    deciding = notice.to.role in _DECIDERS and notice.kind == "extension"
    if asked_to_report:
        closing = (f"Khi hoàn thành, đơn vị báo cáo tại trang nhiệm vụ, kèm số, ngày văn bản báo "
                   f"cáo. Mã nhiệm vụ: {notice.ref}" if link else
                   f"Khi hoàn thành, đơn vị gửi văn bản báo cáo (số, ngày văn bản) về "
                   f"{names.get(plan.office, plan.office)} để cập nhật. Mã nhiệm vụ: {notice.ref}")
        online: str | None = ("Báo cáo hoàn thành, đề nghị gia hạn và xem diễn biến của nhiệm vụ "
                              f"tại: {link}")
        link_use = "báo cáo hoàn thành, đề nghị gia hạn, xem diễn biến"
    else:
        closing = f"Mã nhiệm vụ: {notice.ref}"
        online = (f"Quyết định gia hạn tại: {link}" if deciding
                  else f"Xem nhiệm vụ và diễn biến tại: {link}")
        link_use = "quyết định gia hạn" if deciding else "xem diễn biến"
    if not link:
        online = None

    text = "\n".join([f"Kính gửi: {notice.to.party.name}", "", opening, "",
                      *(f"{label}: {value}" for label, value in facts), "",
                      *([online, ""] if online else []), closing])
    # Labelled lines, not a table: Apprise derives the plain-text part from this HTML.
    lines = "<br>\n".join(f"<b>{escape(label)}:</b> {escape(value)}" for label, value in facts)
    html = (f"<p>Kính gửi: {escape(notice.to.party.name)}</p>\n<p>{escape(opening)}</p>\n"
            f"<p>{lines}</p>\n")
    if link:
        # The address written out too: some mail clients show no link they did not write.
        html += (f'<p><a href="{escape(link)}">{LINK_LABEL}</a> ({link_use}): '
                 f"{escape(link)}</p>\n")
    html += f"<p>{escape(closing)}</p>"
    subject = f"[{title}] {number}: {occ.title[:80]} - hạn {due}"
    return Message(
        subject=subject, text=text, html=html, thread=notice.ref.replace("/", "."),
        template=notice.kind, template_data=template_data(notice, lead, due, countdown, link),
        link=link)


def template_data(notice: Notice, lead: str, due: str, countdown: str | None,
                  link: str | None = None) -> dict[str, str]:
    """Parameters of the approved ZNS templates (ASCII snake_case names, as Zalo requires);
    `lien_ket` fills the template's button to the occurrence's page."""
    data = {
        "ten_nguoi_nhan": notice.to.party.name[:30],
        "so_ke_hoach": (notice.plan.number or notice.plan.plan_id)[:30],
        "nhiem_vu": notice.occurrence.title[:100],
        "don_vi_chu_tri": lead[:50],
        "han_chot": f"{notice.due:%d/%m/%Y}" if notice.due else "",
        "tinh_trang": countdown or TITLES[notice.kind],
        "ma_nhiem_vu": notice.ref[:100],
    }
    return data | {"lien_ket": link} if link else data
