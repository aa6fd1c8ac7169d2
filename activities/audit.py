"""The audit stream's activity: each state change of an occurrence appended to the audit log,
and where the occurrence now stands kept in the same transaction (storage/standing.py)."""

from __future__ import annotations

import structlog
from temporalio import activity

from storage.audit import AuditLog
from storage.standing import Standings
from workflows.messages import OccurrenceEvent

log = structlog.get_logger("dondoc.audit")


class AuditActivities:
    def __init__(self, audit: AuditLog) -> None:
        self.audit = audit
        self.standings = Standings(audit.engine)

    @activity.defn(name="record_event")
    def record_event(self, event: OccurrenceEvent) -> None:
        written = self.audit.append(event, lambda session: self.standings.keep(session, event))
        log.info(f"occurrence.{event.type}", plan_id=event.plan, ref=event.ref,
                 actor=event.actor, written=written)
