"""The `record_event` activity: every state change of an occurrence, written once.

The embedded default writes one file per event under the state folder, named by the event's
key (workflow + sequence), so a retried write is a no-op.
"""

from __future__ import annotations

from pathlib import Path

import structlog
from temporalio import activity

from activities.files import write_once
from workflows.messages import OccurrenceEvent

log = structlog.get_logger("dondoc.events")


class EventLog:
    def __init__(self, folder: Path) -> None:
        self.folder = folder

    @activity.defn(name="record_event")
    async def record_event(self, event: OccurrenceEvent) -> None:
        written = write_once(self.folder / event.plan, event.key, event.model_dump(mode="json"))
        log.info(f"occurrence.{event.type}", plan_id=event.plan, ref=event.ref,
                 actor=event.actor, written=written)
