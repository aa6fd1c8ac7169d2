"""The weekly digest, started by a Temporal Schedule (Monday 07:30, plan time): build the
digests as things stand, then send each one; the notifier's ledger keeps each to once a week."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from plans.digest import Digest
    from plans.schedule import after_quiet_hours
    from workflows.activity_options import (
        ACTIVITY_RETRY,
        NOTICE_HEARTBEAT,
        NOTICE_START_TO_CLOSE,
    )
    from workflows.messages import PlanContext

DIGEST_SCHEDULE = "dondoc-weekly-digest"
DIGEST_QUIET_HOURS = "digest-quiet-hours"  # patch: a digest waits for the end of quiet hours


@workflow.defn(name="DigestWorkflow")
class DigestWorkflow:
    @workflow.run
    async def run(self) -> int:
        built = await workflow.execute_activity(
            "build_digests", week_start(workflow.now()), result_type=list[tuple[Digest, PlanContext]],
            start_to_close_timeout=timedelta(minutes=5), retry_policy=ACTIVITY_RETRY)
        for digest, plan in built:
            if workflow.patched(DIGEST_QUIET_HOURS):
                await outside_quiet_hours(plan)
            await workflow.execute_activity(
                "send_digest", args=[digest, plan], start_to_close_timeout=NOTICE_START_TO_CLOSE,
                heartbeat_timeout=NOTICE_HEARTBEAT, retry_policy=ACTIVITY_RETRY,
                summary=f"{digest.plan} {digest.role}")
        return len(built)


async def outside_quiet_hours(plan: PlanContext) -> None:
    """Like every notice, a digest that falls in the plan's quiet hours (a schedule run late,
    quiet hours past 07:30) waits for their end."""
    now = workflow.now()
    allowed = after_quiet_hours(now.astimezone(timezone(plan.utc_offset)), plan.quiet_hours)
    if allowed > now:
        await workflow.sleep(allowed - now, summary="quiet-hours-end")


def week_start(at: datetime) -> datetime:
    return (at - timedelta(days=at.weekday())).replace(hour=0, minute=0, second=0, microsecond=0)
