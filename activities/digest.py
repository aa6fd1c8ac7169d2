"""The weekly digest's activities: gather the occurrences as they stand (Temporal visibility and
the plans' records), and send each leader's and each Steering Committee's digest through the
notifier, once per week and recipient."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from html import escape

from temporalio import activity
from temporalio.client import Client, WorkflowExecutionStatus

from activities.channels import Message
from activities.notify import HEARTBEAT_EVERY, Notifier, Outgoing, heartbeating
from plans.digest import Digest, DigestItem, digests
from plans.vietnamese import format_date, format_date_long
from storage.audit import AuditLog
from workflows.anchors import Anchor, anchor_line
from workflows.messages import Delivery, PlanContext, Recipient
from workflows.plan import loaded_plans, plan_record
from workflows.search_attributes import (
    DUE_AT,
    ESCALATION_LEVEL,
    LEADER_ID,
    OCCURRENCE_STATE,
    PLAN_ID,
    TASK_ID,
    UNIT_ID,
)

SECTIONS = [("due_this_week", "Đến hạn trong tuần"), ("overdue", "Quá hạn chưa hoàn thành"),
            ("done_late", "Hoàn thành quá hạn (tuần trước)")]


@dataclass
class DigestActivities:
    client: Client
    notifier: Notifier
    audit: AuditLog | None = None

    @activity.defn(name="build_digests")
    async def build_digests(self, week_start: datetime) -> list[tuple[Digest, PlanContext]]:
        contexts = {}
        for plan_id in await loaded_plans(self.client):
            record = await plan_record(self.client, plan_id)
            if record is not None and record.context is not None:
                contexts[plan_id] = record.context
        since = (week_start - timedelta(days=7)).isoformat()
        query = (f"WorkflowType = 'OccurrenceWorkflow' AND (ExecutionStatus = 'Running' OR "
                 f"CloseTime >= '{since}')")
        items = []
        async for e in self.client.list_workflows(query):
            attrs = e.typed_search_attributes
            items.append(DigestItem(
                ref=e.id, plan=attrs.get(PLAN_ID) or "", task=attrs.get(TASK_ID) or "",
                unit=attrs.get(UNIT_ID), leader=attrs.get(LEADER_ID) or None,
                due=attrs.get(DUE_AT), state=attrs.get(OCCURRENCE_STATE) or "",
                escalation_level=attrs.get(ESCALATION_LEVEL) or 0,
                closed_at=e.close_time if e.status != WorkflowExecutionStatus.RUNNING else None))
        committees = {plan: context.steering_committee for plan, context in contexts.items()}
        heads = {a.plan: a for a in self.audit.heads(week_start)} if self.audit else {}
        return [(with_anchor(d, heads.get(d.plan)), contexts[d.plan]) for d in digests(
            items, week_start=week_start, steering_committees=committees) if d.plan in contexts]

    @activity.defn(name="send_digest")
    def send_digest(self, digest: Digest, plan: PlanContext) -> Delivery:
        to = Recipient(role=digest.role, party=plan.parties[digest.recipient])
        key = f"digest/{digest.plan}/{digest.week}/{digest.role}/{digest.recipient}"
        if digest.audit_head and self.audit is not None:
            # Kept before it leaves: the copy in the committee's mailbox is the anchor itself.
            self.audit.record_anchor(Anchor(
                plan=digest.plan, rows=digest.audit_rows, head=digest.audit_head,
                at=digest_date(digest), source="digest", reference=key))
        with heartbeating(HEARTBEAT_EVERY):
            return self.notifier.deliver(Outgoing(
                key=key,
                ref=f"{digest.plan}@digest", plan=plan, kind="digest", to=to,
                render=lambda who, on_behalf: render_digest(digest, plan, who, on_behalf,
                                                            link=self.notifier.link)))


def with_anchor(digest: Digest, head: Anchor | None) -> Digest:
    """The Steering Committee's digest carries the plan's audit head and row count."""
    if head is None or digest.role != "steering_committee":
        return digest
    return digest.model_copy(update={"audit_rows": head.rows, "audit_head": head.head})


def render_digest(digest: Digest, plan: PlanContext, to: Recipient,
                  on_behalf: Recipient | None,
                  link: Callable[[str], str | None] = lambda ref: None) -> Message:
    """The week's digest; `link(ref)`, each item's signed link to its occurrence's page."""
    names = {pid: party.name for pid, party in plan.parties.items()}
    number = plan.number or plan.title
    counts = {key: len(getattr(digest, key)) for key, _ in SECTIONS}
    subject = (f"[Tổng hợp tuần {digest.week}] {number}: {counts['overdue']} quá hạn, "
               f"{counts['due_this_week']} đến hạn trong tuần")
    lines = [f"Kính gửi: {to.party.name}"]
    if on_behalf is not None:
        lines.append(f"(Không liên lạc được với {on_behalf.party.name}; đề nghị Văn phòng chuyển "
                     "bản tổng hợp này.)")
    lines.append(f"Tình hình thực hiện {plan.title} tuần {digest.week}:")
    html = [f"<p>{escape(line)}</p>" for line in lines]
    for key, title in SECTIONS:
        items: list[DigestItem] = getattr(digest, key)
        if not items:
            continue
        lines += ["", f"{title} ({len(items)}):"]
        html.append(f"<p><b>{escape(title)} ({len(items)}):</b><br>")
        for item in items:
            unit = names.get(item.unit or "", item.unit or "")
            due = format_date_long(item.due.date()) if item.due else "chưa có hạn"
            said = f" (hạn {due})"
            if item.state == "overdue" and item.escalation_level:
                said += f", đã báo cáo lên {item.escalation_level} lần"
            url = link(item.ref)
            lines.append(f"- {unit}: {item.ref}{said}" + (f": {url}" if url else ""))
            ref = f'<a href="{escape(url)}">{escape(item.ref)}</a>' if url else escape(item.ref)
            html.append(f"- {escape(unit)}: {ref}{escape(said)}<br>")
        html.append("</p>")
    lines += ["", f"Bản tổng hợp lập ngày {format_date(digest_date(digest))}."]
    if digest.audit_head:
        lines += ["", f"Dấu kiểm nhật ký kiểm toán của kế hoạch: {digest.audit_rows} dòng. "
                  "Đề nghị lưu giữ thư này: thanh tra dùng dòng sau để đối chiếu nhật ký.",
                  anchor_line(digest)]
        html.append(f"<p>{escape(lines[-2])}<br>\n<code>{escape(lines[-1])}</code></p>")
    return Message(subject=subject, text="\n".join(lines), html="\n".join(html),
                   thread=f"digest.{digest.plan}", template="digest",
                   template_data={"so_ke_hoach": number[:30], "tuan": digest.week,
                                  "so_qua_han": str(counts["overdue"]),
                                  "so_den_han": str(counts["due_this_week"])})


def digest_date(digest: Digest) -> datetime:
    year, week = digest.week.split("-W")
    return datetime.fromisocalendar(int(year), int(week), 1)
