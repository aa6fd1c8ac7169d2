"""The occurrence workflow's activities: send a notice, record an event.

This is the embedded default: notices land in a local outbox folder and the log, events in a
local event folder. Both writes are keyed, so a retried activity, or a worker killed after the
write and before it reported back, writes once.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import structlog
from temporalio import activity

from activities.files import write_once
from activities.render import render
from workflows.messages import Delivery, Notice, OccurrenceEvent

log = structlog.get_logger("dondoc.activities")


class OccurrenceActivities:
    def __init__(self, state_dir: Path) -> None:
        self.outbox = state_dir / "outbox"
        self.events = state_dir / "events"

    @activity.defn(name="send_notice")
    async def send_notice(self, notice: Notice) -> Delivery:
        rendered = render(notice)
        now = datetime.now(UTC)
        written = write_once(self.outbox, notice.key, {
            "key": notice.key, "at": now.isoformat(), "kind": notice.kind, "ref": notice.ref,
            "to": {"role": notice.to.role, "id": notice.to.party.id, "name": notice.to.party.name},
            "subject": rendered.subject, "text": rendered.text, "catch_up": notice.catch_up,
        })
        outcome = "sent" if written else "already_sent"
        log.info("notice.outbox", outcome=outcome, plan_id=notice.occurrence.plan_id,
                 task_id=notice.occurrence.task_id, unit=notice.occurrence.unit_id,
                 ref=notice.ref, kind=notice.kind, role=notice.to.role, to=notice.to.party.id,
                 subject=rendered.subject)
        return Delivery(key=notice.key, outcome=outcome, channel="outbox",
                        recipient=notice.to.party.id, at=now)

    @activity.defn(name="record_event")
    async def record_event(self, event: OccurrenceEvent) -> None:
        written = write_once(self.events / event.plan, event.key, event.model_dump(mode="json"))
        log.info(f"occurrence.{event.type}", plan_id=event.plan, ref=event.ref, actor=event.actor,
                 written=written)
