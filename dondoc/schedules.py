"""Temporal Schedules dondoc runs: the weekly digest (Monday 07:30 in Vietnam), the hourly
archive of closed histories and the daily anchor of the audit log's heads (23:50)."""

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

from workflows.anchors import ANCHOR_SCHEDULE, AnchorHeadsWorkflow
from workflows.archive import ARCHIVE_SCHEDULE, ArchiveWorkflow
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


def archive_schedule(task_queue: str) -> Schedule:
    return Schedule(
        action=ScheduleActionStartWorkflow(ArchiveWorkflow.run, id="dondoc-archive",
                                           task_queue=task_queue),
        spec=ScheduleSpec(calendars=[ScheduleCalendarSpec(minute=[ScheduleRange(5)],
                                                          comment="hằng giờ, phút 05")],
                          time_zone_name=TIMEZONE),
    )


def anchor_schedule(task_queue: str) -> Schedule:
    return Schedule(
        action=ScheduleActionStartWorkflow(AnchorHeadsWorkflow.run, id="dondoc-anchor-heads",
                                           task_queue=task_queue),
        spec=ScheduleSpec(calendars=[ScheduleCalendarSpec(
            hour=[ScheduleRange(23)], minute=[ScheduleRange(50)], comment="hằng ngày, 23:50")],
            time_zone_name=TIMEZONE),
    )


async def ensure_schedules(client: Client, task_queue: str) -> str:
    """Create the schedules, or bring existing ones up to date; 'created'/'updated' (digest)."""
    outcome = ""
    for schedule_id, schedule in ((DIGEST_SCHEDULE, digest_schedule(task_queue)),
                                  (ARCHIVE_SCHEDULE, archive_schedule(task_queue)),
                                  (ANCHOR_SCHEDULE, anchor_schedule(task_queue))):
        try:
            await client.create_schedule(schedule_id, schedule)
            outcome = outcome or "created"
        except ScheduleAlreadyRunningError:
            async def replace(_: ScheduleUpdateInput, new: Schedule = schedule) -> ScheduleUpdate:
                return ScheduleUpdate(schedule=new)

            await client.get_schedule_handle(schedule_id).update(replace)
            outcome = outcome or "updated"
    return outcome


async def run_digest_now(client: Client) -> None:
    await client.get_schedule_handle(DIGEST_SCHEDULE).trigger()
