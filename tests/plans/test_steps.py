"""The steps of one occurrence, as the workflow's loop walks them: properties over policies,
deadlines and outages (the loop is simulated here with the same pure functions it calls)."""

from __future__ import annotations

from collections import Counter
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from hypothesis import assume, given, settings
from hypothesis import strategies as st

from plans import schedule, steps
from plans.calendar import WorkingCalendar
from plans.model import EscalationStep, Policy, QuietHours, ReminderStep, Repeat
from plans.schedule import Occurrence
from plans.steps import Planned
from plans.validation import check_plan
from tests.plans.factory import plan_text

CAL = WorkingCalendar.vietnam(range(2024, 2032))
ZONE = ZoneInfo("Asia/Ho_Chi_Minh")
TASK = """
  - id: T1
    title: Báo cáo kết quả
    source: Phụ lục I, dòng 1
    lead: [HL]
    coordinating: [CP]
    deadline: "{deadline}"
"""


def occurrence(deadline: str, policy: Policy) -> Occurrence:
    checked = check_plan(plan_text(tasks=TASK.format(deadline=deadline)), "test.yaml")
    assert checked.ok, [str(p) for p in checked.problems]
    (occ,) = schedule.expand(checked.value)
    return occ.model_copy(update={"policy": policy})


DEADLINE = occurrence("trước ngày 30/06/2025", Policy())
ONGOING = occurrence("Thường xuyên", Policy())

targets = st.sampled_from(["leader", "steering_committee", "office"])
working_day_policies = st.builds(
    Policy,
    send_time=st.times(time(6), time(17)),
    reminders=st.lists(st.integers(0, 15).map(lambda n: ReminderStep(working_days_before=n)),
                       min_size=0, max_size=5),
    escalation=st.lists(st.tuples(st.integers(0, 12), targets), min_size=0, max_size=3,
                        unique_by=lambda t: t[0]).map(
        lambda rungs: [EscalationStep(working_days_after=n, to=to) for n, to in sorted(rungs)]),
    escalation_repeat=st.one_of(st.none(), st.builds(
        Repeat, working_days=st.integers(1, 10), at_most=st.one_of(st.none(), st.integers(1, 6)))),
    coordinating_told=st.sampled_from([[], ["first_reminder"], ["overdue"],
                                       ["first_reminder", "overdue"]]),
    quiet_hours=st.one_of(st.none(), st.just(QuietHours())),
    checkin_every=st.sampled_from(["week", "month", "quarter", "half_year", "year"]),
)
positive = st.integers(1, 30 * 24 * 60).map(lambda m: timedelta(minutes=m))
exact_policies = st.builds(
    Policy,
    reminders=st.lists(positive.map(lambda d: ReminderStep(before=d)), max_size=4),
    escalation=st.lists(positive, max_size=3, unique=True).map(
        lambda ds: [EscalationStep(after=d, to="leader") for d in sorted(ds)]),
    escalation_repeat=st.one_of(st.none(), st.builds(
        Repeat, every=positive, at_most=st.one_of(st.none(), st.integers(1, 6)))),
    quiet_hours=st.none(),
)
due_days = st.dates(date(2025, 1, 1), date(2029, 12, 31))


def ahead(occ: Occurrence, due: datetime | None, *, level: int = 0, done: tuple[str, ...] = (),
          through: datetime | None = None) -> list[Planned]:
    return steps.upcoming(occ, CAL, due=due, escalation_level=level, done=done,
                          tell_coordinating=True, through=through)


@settings(max_examples=300)
@given(due_days, working_day_policies, st.integers(0, 8), st.booleans())
def test_no_step_falls_on_a_non_working_day(due_day: date, policy: Policy, level: int,
                                            ongoing: bool):
    # Without reminders a check-in is asked for at its period's end, whatever day that is.
    assume(policy.reminders or not ongoing)
    occ = (ONGOING if ongoing else DEADLINE).model_copy(update={"policy": policy})
    due = None if ongoing else schedule.due_instant(due_day, ZONE)
    notices = [s for s in ahead(occ, due, level=level) if s.action == "notify"]
    assert ongoing or notices or not (policy.reminders or policy.escalation)
    for step in notices:
        assert CAL.is_working_day(step.at.date()), step
        assert step.at.timetz().replace(tzinfo=None) == policy.send_time or step.kind == "checkin"


@settings(max_examples=300)
@given(due_days, st.one_of(working_day_policies, exact_policies), st.integers(0, 8))
def test_reminders_come_before_the_due_instant_and_escalations_only_after_it(
        due_day: date, policy: Policy, level: int):
    due = schedule.due_instant(due_day, ZONE)
    planned = ahead(DEADLINE.model_copy(update={"policy": policy}), due, level=level)
    for step in planned:
        if step.kind in ("reminder", "due_today"):
            assert step.at < due, step
        elif step.kind in ("overdue", "escalation", "escalation_ended"):
            assert step.at > due, step
    assert [s.name for s in planned if s.action == "mark_overdue"] == ["overdue"]
    assert [s.at for s in planned] == sorted(s.at for s in planned)


@settings(max_examples=300)
@given(due_days, st.one_of(working_day_policies, exact_policies),
       st.integers(-20 * 24 * 60, 400 * 24 * 60).map(lambda m: timedelta(minutes=m)))
def test_after_an_outage_the_loop_sends_one_catch_up_at_most(due_day: date, policy: Policy,
                                                             outage: timedelta):
    """Nothing ran from before the first step until `now`: the loop, walked as the workflow
    walks it (mark what fell due, fire it, plan again), sends the notices of one instant, at
    most one of them to the lead unit, and the next turn finds nothing more due."""
    occ = DEADLINE.model_copy(update={"policy": policy, "coordinating": ["CP"]})
    due = schedule.due_instant(due_day, ZONE)
    now = due + outage
    done: list[str] = []
    level, turns = 0, []
    for _ in range(50):  # the loop ends long before: a turn marks every step it finds done
        missed = [s for s in ahead(occ, due, level=level, done=tuple(done), through=now)
                  if s.at <= now]
        if not missed:
            break
        done += [steps.step_key(s, due) for s in missed]
        level = max([level, *(s.level for s in missed if s.kind == "escalation")])
        notices = [s for s in missed if s.action == "notify"]
        if notices:
            turns.append(steps.firing(notices, now=now, occ=occ, tz=ZONE))
    assert len(turns) <= 1
    for turn in turns:
        sent = turn.send
        assert len({s.at for s in sent}) <= 1
        assert Counter(s.role for s in sent)["lead"] <= 1
        assert not sent or all(s.at < sent[0].at for s in turn.skipped)
        assert turn.catch_up or not turn.skipped


def test_without_the_whole_ladder_a_long_outage_fired_the_ladder_in_several_turns():
    """Why `through` exists: planning two rungs past the level reached, a two-month outage
    needed a turn per two rungs, each sending one more notice."""
    due = schedule.due_instant(date(2025, 6, 30), ZONE)
    now = due + timedelta(days=60)
    old = [s for s in ahead(DEADLINE, due) if s.at <= now and s.kind == "escalation"]
    whole = [s for s in ahead(DEADLINE, due, through=now) if s.at <= now
             and s.kind == "escalation"]
    assert [s.level for s in old] == [1, 2]
    assert [s.level for s in whole] == [1, 2, 3, 4, 5, 6]  # the default: 2 rungs, 4 repeats


def test_a_catch_up_sends_only_the_latest_instant_and_skips_the_rest():
    due = schedule.due_instant(date(2025, 6, 30), ZONE)
    now = due - timedelta(hours=2)  # the morning of the due day, hours after 08:00
    notices = [s for s in ahead(DEADLINE, due) if s.at <= now and s.action == "notify"]
    firing = steps.firing(notices, now=now, occ=DEADLINE, tz=ZONE)
    assert [s.name for s in firing.send] == ["reminder-0wd"]
    assert [s.name for s in firing.skipped] == ["reminder-7wd", "reminder-7wd-coordinating",
                                                "reminder-3wd", "reminder-1wd"]
    assert firing.catch_up and firing.dropped == []
    none = DEADLINE.model_copy(update={"policy": Policy(catch_up="none")})
    firing = steps.firing(notices, now=now, occ=none, tz=ZONE)
    assert firing.send == [] and [s.name for s in firing.dropped] == ["reminder-0wd"]


def test_a_year_of_repeats_minutes_apart_is_one_catch_up_not_half_a_million_steps():
    policy = Policy(reminders=[], escalation=[EscalationStep(after=timedelta(minutes=1),
                                                             to="leader")],
                    escalation_repeat=Repeat(every=timedelta(minutes=1)), quiet_hours=None)
    occ = DEADLINE.model_copy(update={"policy": policy})
    due = schedule.due_instant(date(2025, 6, 30), ZONE)
    now = due + timedelta(days=400)
    due_now = [s for s in ahead(occ, due, through=now) if s.at <= now and s.kind == "escalation"]
    assert [s.level for s in due_now] == [1, 576_000]  # the ladder, then the last repeat due
    firing = steps.firing([s for s in ahead(occ, due, through=now) if s.at <= now
                           and s.action == "notify"], now=now, occ=occ, tz=ZONE)
    assert [s.name for s in firing.send] == ["escalation-576000"]
