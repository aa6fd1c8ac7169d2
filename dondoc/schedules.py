"""Temporal Schedules dondoc runs: the weekly digest, Monday 07:30 in Vietnam."""

from __future__ import annotations

from temporalio.client import (
    Client,
    Schedule,
    ScheduleActionStartWorkflow,
    ScheduleAlreadyRunningError,
    ScheduleCalendarSpec,
    ScheduleRange,
    ScheduleSpec,
    ScheduleUpdate,
    ScheduleUpdateInput,
)

from workflows.digest import DIGEST_SCHEDULE, DigestWorkflow

TIMEZONE = "Asia/Ho_Chi_Minh"


def digest_schedule(task_queue: str) -> Schedule:
    return Schedule(
        action=ScheduleActionStartWorkflow(DigestWorkflow.run, id="dondoc-digest",
                                           task_queue=task_queue),
        spec=ScheduleSpec(
            calendars=[ScheduleCalendarSpec(
                day_of_week=[ScheduleRange(1)], hour=[ScheduleRange(7)],
                minute=[ScheduleRange(30)], comment="Thứ Hai, 07:30")],
            time_zone_name=TIMEZONE),
    )


async def ensure_schedules(client: Client, task_queue: str) -> str:
    """Create the digest schedule, or bring an existing one up to date; 'created'/'updated'."""
    schedule = digest_schedule(task_queue)
    try:
        await client.create_schedule(DIGEST_SCHEDULE, schedule)
        return "created"
    except ScheduleAlreadyRunningError:
        async def replace(_: ScheduleUpdateInput) -> ScheduleUpdate:
            return ScheduleUpdate(schedule=schedule)

        await client.get_schedule_handle(DIGEST_SCHEDULE).update(replace)
        return "updated"


async def run_digest_now(client: Client) -> None:
    await client.get_schedule_handle(DIGEST_SCHEDULE).trigger()
