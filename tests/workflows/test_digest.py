"""The weekly digest's workflow on the time-skipping server, with fakes of its two activities
under their real names: a digest respects the plan's quiet hours like every other notice."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from temporalio import activity
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from plans.digest import Digest
from plans.model import QuietHours
from workflows.digest import DigestWorkflow
from workflows.messages import Delivery, Party, PlanContext

HCM = ZoneInfo("Asia/Ho_Chi_Minh")
# The schedule's Monday run came late: the server was down until 22:30 on Monday 04/03/2030.
LATE_RUN = datetime.combine(date(2030, 3, 4), time(22, 30), HCM)


def context(quiet: QuietHours | None) -> PlanContext:
    return PlanContext(plan_id="thu", number="1/KH-SYT", title="Kế hoạch thử", office="VP",
                       steering_committee="bcd", quiet_hours=quiet,
                       parties={"gd": Party(id="gd", name="Nguyễn Văn A")})


@dataclass
class Digests:
    plan: PlanContext
    sent: list[tuple[datetime, str]] = field(default_factory=list)

    @activity.defn(name="build_digests")
    async def build_digests(self, week_start: datetime) -> list[tuple[Digest, PlanContext]]:
        digest = Digest(plan="thu", week=f"{week_start:%G-W%V}", role="leader", recipient="gd",
                        due_this_week=[], overdue=[], done_late=[])
        return [(digest, self.plan)]

    @activity.defn(name="send_digest")
    async def send_digest(self, digest: Digest, plan: PlanContext) -> Delivery:
        at = activity.info().current_attempt_scheduled_time
        self.sent.append((at.astimezone(HCM), digest.recipient))
        return Delivery(key=digest.week, outcome="sent", channel="test", recipient="g***", at=at)


async def run_late(env: WorkflowEnvironment, digests: Digests) -> None:
    now = await env.get_current_time()
    assert now <= LATE_RUN, "the pinned instant is in the past: pick a later one"
    await env.sleep(LATE_RUN - now)
    queue = f"digest-{uuid.uuid4().hex[:8]}"
    async with Worker(env.client, task_queue=queue, workflows=[DigestWorkflow],
                      activities=[digests.build_digests, digests.send_digest]):
        handle = await env.client.start_workflow(DigestWorkflow.run, id=f"digest-{queue}",
                                                 task_queue=queue)
        await env.sleep(timedelta(hours=8, minutes=29))  # 06:59
        assert digests.sent == [] or digests.plan.quiet_hours is None
        assert await handle.result() == 1


async def test_a_digest_due_at_night_waits_for_the_end_of_quiet_hours(env: WorkflowEnvironment):
    digests = Digests(context(QuietHours()))
    await run_late(env, digests)
    ((at, recipient),) = digests.sent
    assert recipient == "gd" and at.date() == date(2030, 3, 5) and at.time() >= time(7, 0)
    assert at < datetime.combine(date(2030, 3, 5), time(7, 1), HCM)


async def test_a_plan_without_quiet_hours_gets_its_digest_at_once(env: WorkflowEnvironment):
    digests = Digests(context(None))
    await run_late(env, digests)
    ((at, _),) = digests.sent
    assert at.date() == date(2030, 3, 4) and at.time() < time(23, 0)
