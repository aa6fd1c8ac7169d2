"""The plan's own record: which version is loaded and which occurrences it has.

`load` reads it to know what the previous version started, so that a new version applies as an
exact difference (visibility is eventually consistent and cannot say what was just started),
and `trigger` reads it to find the occurrences waiting for an event. The record is the input of
the plan's workflow (`plan:<id>`), readable without a worker; each loaded version starts a new
run that replaces the previous one, so the runs list the versions in order.
"""

from __future__ import annotations

from temporalio import workflow
from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.service import RPCError, RPCStatusCode

with workflow.unsafe.imports_passed_through():
    from workflows.activity_options import ACTIVITY_RETRY, RECORD_EVENT, RECORD_START_TO_CLOSE
    from workflows.messages import OccurrenceEvent, PlanRecord

RECORD_PLAN_LOADED = "record-plan-loaded"  # patch: the load is written to the audit log

@workflow.defn(name="PlanWorkflow")
class PlanWorkflow:
    @workflow.run
    async def run(self, record: PlanRecord) -> None:
        self.record = record
        if record.version and workflow.patched(RECORD_PLAN_LOADED):
            await workflow.execute_activity(
                RECORD_EVENT,
                OccurrenceEvent(
                    # One per load (a run per load), even of a version loaded before.
                    key=f"plan:{record.plan_id}#{workflow.info().run_id}", ref=record.plan_id,
                    plan=record.plan_id, type="plan.loaded", at=workflow.now(),
                    actor=record.context.office if record.loaded_by and record.context else None,
                    details={"version": record.version, "file_sha256": record.file_sha256,
                             "previous_version": record.previous_version,
                             "occurrences": len(record.occurrences)
                             if record.occurrence_count is None else record.occurrence_count,
                             "parties": sorted(record.context.parties) if record.context
                             else [],
                             # Older records name no account: their rows stay as they were.
                             **({"operator": record.loaded_by} if record.loaded_by else {})}),
                start_to_close_timeout=RECORD_START_TO_CLOSE, retry_policy=ACTIVITY_RETRY)
        # Nothing more to do but hold the record until the next version replaces this run.
        await workflow.wait_condition(lambda: False)

    @workflow.query
    def current(self) -> PlanRecord:
        return self.record


def plan_workflow_id(plan_id: str) -> str:
    return f"plan:{plan_id}"


# -- the client side: reading the records (the office's `load`, the digest's activity) ---------


async def plan_record(client: Client, plan_id: str) -> PlanRecord | None:
    """What the last `load` of the plan applied, or None if it was never loaded."""
    handle = client.get_workflow_handle(plan_workflow_id(plan_id))
    try:
        async for event in handle.fetch_history_events():
            payloads = event.workflow_execution_started_event_attributes.input.payloads
            (record,) = pydantic_data_converter.payload_converter.from_payloads(
                payloads, [PlanRecord])
            return record  # type: ignore[no-any-return]
    except RPCError as error:
        if error.status != RPCStatusCode.NOT_FOUND:
            raise
    return None


async def loaded_plans(client: Client) -> list[str]:
    query = "WorkflowType = 'PlanWorkflow'"
    return sorted({e.id.removeprefix("plan:") async for e in client.list_workflows(query)})
