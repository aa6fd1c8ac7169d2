"""Hourly: copy the full histories of closed runs into dondoc's database (activities/archive)."""

from __future__ import annotations

from datetime import timedelta

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from workflows.activity_options import ACTIVITY_RETRY

ARCHIVE_SCHEDULE = "dondoc-archive-histories"
LOOKBACK_HOURS = 72  # several runs of the hourly schedule may fail in a row and lose nothing


@workflow.defn(name="ArchiveWorkflow")
class ArchiveWorkflow:
    @workflow.run
    async def run(self) -> int:
        return await workflow.execute_activity(  # type: ignore[no-any-return]
            "archive_closed", LOOKBACK_HOURS, result_type=int,
            start_to_close_timeout=timedelta(minutes=30), retry_policy=ACTIVITY_RETRY)
