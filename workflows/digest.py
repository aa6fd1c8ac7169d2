"""The weekly digest, started by a Temporal Schedule (Monday 07:30, plan time): build the
digests as things stand, then send each one; the notifier's ledger keeps each to once a week."""

from __future__ import annotations

from datetime import datetime, timedelta

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from plans.digest import Digest
    from workflows.activity_options import (
        ACTIVITY_RETRY,
        NOTICE_HEARTBEAT,
        NOTICE_START_TO_CLOSE,
    )
    from workflows.messages import PlanContext

DIGEST_SCHEDULE = "dondoc-weekly-digest"


@workflow.defn(name="DigestWorkflow")
class DigestWorkflow:
    @workflow.run
    async def run(self) -> int:
        built = await workflow.execute_activity(
            "build_digests", week_start(workflow.now()), result_type=list[tuple[Digest, PlanContext]],
            start_to_close_timeout=timedelta(minutes=5), retry_policy=ACTIVITY_RETRY)
        for digest, plan in built:
            await workflow.execute_activity(
                "send_digest", args=[digest, plan], start_to_close_timeout=NOTICE_START_TO_CLOSE,
                heartbeat_timeout=NOTICE_HEARTBEAT, retry_policy=ACTIVITY_RETRY,
                summary=f"{digest.plan} {digest.role}")
        return len(built)


def week_start(at: datetime) -> datetime:
    return (at - timedelta(days=at.weekday())).replace(hour=0, minute=0, second=0, microsecond=0)
