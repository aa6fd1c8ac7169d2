"""The audit log's anchors kept in Temporal: each plan's head and row count signalled to the
long-running `dondoc-audit-anchors` workflow, and read back from its history (no worker
needed: the anchors are the inputs of its start and of its signals)."""

from __future__ import annotations

from datetime import UTC, datetime

from temporalio.api.history.v1 import HistoryEvent
from temporalio.client import Client
from temporalio.service import RPCError, RPCStatusCode

from storage.audit import AuditLog
from workflows.anchors import ANCHORS_WORKFLOW_ID, Anchor, AuditAnchorsWorkflow, compact


async def anchor_heads(client: Client, audit: AuditLog, task_queue: str) -> list[Anchor]:
    """Record every plan's head in Temporal now; the anchors recorded."""
    now = datetime.now(UTC)
    heads = audit.heads(now, reference=f"{ANCHORS_WORKFLOW_ID} {now:%Y-%m-%d %H:%M}")
    # Used only when no run is open (it was terminated or timed out): the new run starts with
    # what the last one held, so no anchor is lost with it.
    carried = compact(await temporal_anchors(client))
    await client.start_workflow(
        AuditAnchorsWorkflow.run, carried, id=ANCHORS_WORKFLOW_ID, task_queue=task_queue,
        start_signal="record", start_signal_args=[heads])
    return heads


async def temporal_anchors(client: Client) -> list[Anchor]:
    """The anchors in the current run of the anchors workflow (it carries older ones along);
    none when it was never started."""
    try:
        history = await client.get_workflow_handle(ANCHORS_WORKFLOW_ID).fetch_history()
    except RPCError as error:
        if error.status == RPCStatusCode.NOT_FOUND:
            return []
        raise
    out: list[Anchor] = []
    for event in history.events:
        out += await _anchors_in(client, event)
    return out


async def _anchors_in(client: Client, event: HistoryEvent) -> list[Anchor]:
    if event.HasField("workflow_execution_started_event_attributes"):
        payloads = event.workflow_execution_started_event_attributes.input.payloads
    elif (event.HasField("workflow_execution_signaled_event_attributes")
          and event.workflow_execution_signaled_event_attributes.signal_name == "record"):
        payloads = event.workflow_execution_signaled_event_attributes.input.payloads
    else:
        return []
    if not payloads:
        return []
    decoded = await client.data_converter.decode(list(payloads), [list[Anchor]])
    return list(decoded[0])
