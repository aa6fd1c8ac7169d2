"""The audit stream's activity: each state change of an occurrence appended to the audit log."""

from __future__ import annotations

import structlog
from temporalio import activity

from storage.audit import AuditLog
from workflows.messages import OccurrenceEvent

log = structlog.get_logger("dondoc.audit")


class AuditActivities:
    def __init__(self, audit: AuditLog) -> None:
        self.audit = audit

    @activity.defn(name="record_event")
    def record_event(self, event: OccurrenceEvent) -> None:
        written = self.audit.append(event)
        log.info(f"occurrence.{event.type}", plan_id=event.plan, ref=event.ref,
                 actor=event.actor, written=written)
