"""The plan's own record: which version is loaded and which occurrences it has.

`load` reads it to know what the previous version started, so that a new version applies as an
exact difference (visibility is eventually consistent and cannot say what was just started),
and `trigger` reads it to find the occurrences waiting for an event. The record is the input of
the plan's workflow (`plan:<id>`), readable without a worker; each loaded version starts a new
run that replaces the previous one, so the runs list the versions in order.
"""

from __future__ import annotations

from datetime import timedelta

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from workflows.messages import OccurrenceEvent, PlanRecord
    from workflows.occurrence import ACTIVITY_RETRY, RECORD_EVENT

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
                    details={"version": record.version, "file_sha256": record.file_sha256,
                             "previous_version": record.previous_version,
                             "occurrences": len(record.occurrences),
                             "parties": sorted(record.context.parties) if record.context
                             else []}),
                start_to_close_timeout=timedelta(seconds=30), retry_policy=ACTIVITY_RETRY)
        # Nothing more to do but hold the record until the next version replaces this run.
        await workflow.wait_condition(lambda: False)

    @workflow.query
    def current(self) -> PlanRecord:
        return self.record


def plan_workflow_id(plan_id: str) -> str:
    return f"plan:{plan_id}"
