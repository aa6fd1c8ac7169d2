"""The daily anchoring activity: each plan's audit head recorded in Temporal."""

from __future__ import annotations

import structlog
from temporalio import activity
from temporalio.client import Client

from storage.anchors import anchor_heads
from storage.audit import AuditLog

log = structlog.get_logger("dondoc.anchors")


class Anchoring:
    def __init__(self, client: Client, audit: AuditLog, task_queue: str) -> None:
        self.client = client
        self.audit = audit
        self.task_queue = task_queue

    @activity.defn(name="anchor_heads")
    async def anchor_heads(self) -> int:
        heads = await anchor_heads(self.client, self.audit, self.task_queue)
        log.info("audit.anchored", plans=len(heads))
        return len(heads)
