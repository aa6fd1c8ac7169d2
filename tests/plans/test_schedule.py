"""The schedule: occurrences, reminder and escalation instants, references."""

from __future__ import annotations

import itertools
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from plans import schedule
from plans.calendar import WorkingCalendar
from plans.model import EscalationStep, Policy, ReminderStep, Repeat
from plans.validation import check_plan
from tests.plans.factory import plan_text

CAL = WorkingCalendar.vietnam(range(2024, 2031))
ZONE = ZoneInfo("Asia/Ho_Chi_Minh")


def load(text: str):
    checked = check_plan(text, "test.yaml")
    assert checked.ok, [str(p) for p in checked.problems]
    return checked.value


def instants(due_day: date):
    due, policy = schedule.due_instant(due_day, ZONE), Policy()
    return (schedule.reminders(due_day, due, policy, CAL),
            schedule.escalations(due_day, due, policy, CAL, count=5), due)


def test_default_reminders_are_7_3_1_working_days_before_and_the_morning_of():
    reminders, _, _ = instants(date(2025, 4, 29))  # a Tuesday before the 30/04 holidays
    assert [(r.name, r.at) for r in reminders] == [
        # Counting back from 29/04: 28, Saturday 26 (worked in exchange for 02/05), 25 ...
        ("reminder-7wd", datetime(2025, 4, 21, 8, 0, tzinfo=ZONE)),
        ("reminder-3wd", datetime(2025, 4, 25, 8, 0, tzinfo=ZONE)),
        ("reminder-1wd", datetime(2025, 4, 28, 8, 0, tzinfo=ZONE)),
        ("reminder-0wd", datetime(2025, 4, 29, 8, 0, tzinfo=ZONE)),
    ]


def test_a_deadline_on_a_holiday_stays_but_its_morning_reminder_moves_back():
    reminders, escalations, due = instants(date(2025, 4, 30))
    assert due == datetime(2025, 4, 30, 23, 59, 59, tzinfo=ZONE)
    assert reminders[-1].at == datetime(2025, 4, 29, 8, 0, tzinfo=ZONE)
    assert len({r.at for r in reminders}) == len(reminders)
    # First working day after 30/04: 01/05 holiday, 02/05 swapped off, weekend -> Monday 05/05.
    assert escalations[0].at == datetime(2025, 5, 5, 8, 0, tzinfo=ZONE)
    assert escalations[0].to == "leader"


def test_the_escalation_ladder_then_repeats_every_5_working_days():
    _, escalations, _ = instants(date(2025, 3, 14))  # a Friday
    assert [(e.level, e.to, e.at.date()) for e in escalations] == [
        (1, "leader", date(2025, 3, 17)),
        (2, "steering_committee", date(2025, 3, 21)),
        (3, "steering_committee", date(2025, 3, 28)),
        (4, "steering_committee", date(2025, 4, 4)),
        (5, "steering_committee", date(2025, 4, 14)),  # 07/04 Giỗ Tổ Hùng Vương is off
    ]


def test_exact_durations_ignore_the_calendar_for_demos():
    policy = Policy(
        reminders=[ReminderStep(before=timedelta(minutes=2)),
                   ReminderStep(before=timedelta(seconds=30))],
        escalation=[EscalationStep(after=timedelta(seconds=30), to="leader"),
                    EscalationStep(after=timedelta(minutes=1), to="steering_committee")],
        escalation_repeat=Repeat(every=timedelta(minutes=1)),
    )
    due_day = date(2025, 5, 3)  # a Saturday
    due = datetime.combine(due_day, time(10, 0), ZONE)
    reminders = schedule.reminders(due_day, due, policy, CAL)
    escalations = schedule.escalations(due_day, due, policy, CAL, count=3)
    assert [r.at - due for r in reminders] == [timedelta(minutes=-2), timedelta(seconds=-30)]
    assert [e.at - due for e in escalations] == [
        timedelta(seconds=30), timedelta(minutes=1), timedelta(minutes=2)]


working_day_policies = st.builds(
    Policy,
    send_time=st.times(time(6), time(17)),
    reminders=st.lists(st.integers(0, 15).map(lambda n: ReminderStep(working_days_before=n)),
                       min_size=1, max_size=5),
    escalation=st.lists(st.integers(1, 12), min_size=1, max_size=3, unique=True).map(
        lambda days: [EscalationStep(working_days_after=n, to="leader") for n in sorted(days)]),
    escalation_repeat=st.one_of(st.none(), st.integers(1, 10).map(lambda n: Repeat(working_days=n))),
)


@settings(max_examples=300)
@given(st.dates(date(2025, 1, 1), date(2029, 12, 31)), working_day_policies)
def test_reminders_and_escalations_fall_on_working_days_in_order(due_day: date, policy: Policy):
    due = schedule.due_instant(due_day, ZONE)
    reminders = schedule.reminders(due_day, due, policy, CAL)
    escalations = schedule.escalations(due_day, due, policy, CAL, count=6)
    for step in [*reminders, *escalations]:
        assert CAL.is_working_day(step.at.date()), step
        assert step.at.tzinfo is ZONE
    assert all(r.at < due for r in reminders)
    assert all(e.at > due for e in escalations)
    assert [r.at for r in reminders] == sorted({r.at for r in reminders})
    assert [e.at for e in escalations] == sorted({e.at for e in escalations})
    if reminders and escalations:
        assert reminders[-1].at < escalations[0].at


def test_quarterly_reports_fan_out_with_stable_references():
    plan = load(plan_text(tasks="""
  - id: BC-QUY
    title: Báo cáo quý
    source: Mục IV.8
    for_each: {group: dia-phuong}
    deadline: định kỳ hằng quý trước ngày 30 của tháng 03, 06, 09 và trước ngày 15 của tháng 12
"""))
    occurrences = schedule.expand(plan)
    hl = [o for o in occurrences if o.unit_id == "HL"]
    assert [o.ref for o in hl] == [f"thu/BC-QUY/HL@2025-Q{q}" for q in range(1, 5)]
    assert [o.due_date for o in hl] == [date(2025, 3, 30), date(2025, 6, 30), date(2025, 9, 30),
                                        date(2025, 12, 15)]
    assert [o.ref for o in schedule.expand(load(plan_text(tasks="""
  - id: BC-QUY
    title: Báo cáo quý
    source: Mục IV.8
    for_each: {group: dia-phuong}
    deadline: định kỳ hằng quý trước ngày 30 của tháng 03, 06, 09 và trước ngày 15 của tháng 12
""")))] == [o.ref for o in occurrences]
    assert len({o.ref for o in occurrences}) == len(occurrences) == 8


def test_per_unit_targets_replace_the_task_target():
    plan = load(plan_text(tasks="""
  - id: TU-XA
    title: Hội chẩn từ xa
    source: Phụ lục II, bảng 2
    for_each: {group: dia-phuong, targets: {HL: {ca: 300}}}
    kpis: [{id: ca, indicator: Số ca, unit: ca/năm, target: 50}]
    deadline: Năm 2025
"""))
    targets = {o.unit_id: o.kpis[0].target for o in schedule.expand(plan)}
    assert targets == {"HL": 300, "CP": 50}


def test_x_marks_expand_to_one_occurrence_per_year():
    plan = load(plan_text(until=2030, tasks="""
  - id: X6
    title: Mỗi năm
    source: Phụ lục II
    lead: [VP]
    deadline:
      text: "X X X X X X"
      rule: {kind: year_range, start: 2025-01-01, end: 2030-12-31, each_year: true}
"""))
    occurrences = schedule.expand(plan)
    assert [(o.ref, o.due_date) for o in occurrences] == [
        (f"thu/X6@{y}", date(y, 12, 31)) for y in range(2025, 2031)]


def test_event_and_ongoing_tasks_have_no_due_until_they_can():
    plan = load(plan_text(tasks="""
  - id: EV
    title: Theo sự kiện
    source: x
    lead: [VP]
    when: ubnd-kh
    deadline: Khi UBND tỉnh ban hành KH
  - id: TX
    title: Thường xuyên
    source: y
    lead: [VP]
    deadline: Thường xuyên
"""))
    event, ongoing = schedule.expand(plan)
    assert (event.kind, event.due, event.waits_for, event.trigger_within) == (
        "event", None, "ubnd-kh", timedelta(days=30))
    assert (ongoing.kind, ongoing.due) == ("ongoing", None)
    checkins = schedule.checkins(ongoing, CAL, [2025])
    assert [c.at.date() for c in checkins] == [date(2025, 3, 31), date(2025, 6, 30),
                                               date(2025, 9, 30), date(2025, 12, 31)]


def _composite_plan(deadline: str) -> list[schedule.Occurrence]:
    return schedule.expand(load(plan_text(until=2026, tasks=f"""\
  - id: t1
    title: Báo cáo kết quả
    source: Phụ lục I, dòng 1
    lead: [VP]
    deadline: {deadline}
""")))


def test_each_part_of_a_cell_is_its_own_occurrence_with_its_own_reference():
    occs = _composite_plan('"sơ kết Quý I/2025, tổng kết năm 2026"')
    assert [(o.ref, o.kind, o.due_date) for o in occs] == [
        ("thu/t1@2025-Q1", "deadline", date(2025, 3, 31)),
        ("thu/t1@2026", "deadline", date(2026, 12, 31)),
    ]


def test_a_dated_part_then_ongoing_work_checks_in_after_the_date():
    occs = _composite_plan('"Quý III/2025, sau đó duy trì thường xuyên"')
    assert [(o.ref, o.kind, o.start, o.due_date) for o in occs] == [
        ("thu/t1", "deadline", date(2025, 7, 1), date(2025, 9, 30)),
        ("thu/t1@ongoing", "ongoing", date(2025, 10, 1), None),
    ]


def test_a_schedule_with_an_ad_hoc_clause_keeps_its_regular_dates():
    occs = _composite_plan('"hằng quý hoặc đột xuất khi có yêu cầu"')
    assert [o.due_date for o in occs][:4] == [date(2025, 3, 31), date(2025, 6, 30),
                                              date(2025, 9, 30), date(2025, 12, 31)]
    assert len(occs) == 8  # 2025 and 2026


def test_a_structured_rule_takes_the_same_shapes_as_the_grammar():
    occs = _composite_plan("""
      text: báo cáo theo quy định
      rule:
        kind: composite
        relation: all
        parts:
          - {kind: recurring, rules: [{every: quarter, after_days: 15}]}
          - {kind: recurring, rules: [{every: quarter, day: 10, month_shift: -2}]}""")
    # every rule names its own periods: day 15 after each quarter, day 10 of its first month
    assert [o.due_date for o in occs if o.due_date and o.due_date.year == 2025][:4] == [
        date(2025, 1, 10), date(2025, 4, 10), date(2025, 4, 15), date(2025, 7, 10)]


def test_working_days_after_each_quarter_are_counted_on_the_plans_calendar():
    occs = _composite_plan('"Trong thời hạn 10 ngày làm việc kể từ ngày kết thúc quý"')
    # Q4/2025 ends on a Wednesday; 1 January is a holiday: the tenth working day is 15/01/2026
    assert [(o.ref, o.due_date) for o in occs][:4] == [
        ("thu/t1@2025-Q1", date(2025, 4, 15)), ("thu/t1@2025-Q2", date(2025, 7, 14)),
        ("thu/t1@2025-Q3", date(2025, 10, 14)), ("thu/t1@2025-Q4", date(2026, 1, 15))]
    assert all(CAL.is_working_day(o.due_date) for o in occs if o.due_date)
    written = _composite_plan("""
      text: báo cáo quý
      rule: {kind: recurring, rules: [{every: quarter, after_working_days: 10}]}""")
    assert [o.due_date for o in written] == [o.due_date for o in occs]


@settings(max_examples=200)
@given(st.dates(date(2025, 1, 1), date(2029, 12, 31)), st.integers(1, 8), st.integers(1, 10),
       st.integers(1, 40))
def test_repeated_escalations_stop_at_the_cap(due_day: date, every: int, at_most: int,
                                             asked: int):
    policy = Policy(escalation_repeat=Repeat(working_days=every, at_most=at_most))
    due = schedule.due_instant(due_day, ZONE)
    ladder = schedule.escalations(due_day, due, policy, CAL, count=asked)
    assert len(ladder) == min(asked, len(policy.escalation) + at_most)
    assert [s.level for s in ladder] == list(range(1, len(ladder) + 1))
    assert all(a.at < b.at for a, b in itertools.pairwise(ladder))


def test_by_default_the_repeats_end_after_about_a_month():
    policy = Policy()
    due_day = date(2025, 3, 31)
    ladder = schedule.escalations(due_day, schedule.due_instant(due_day, ZONE), policy, CAL,
                                  count=100)
    assert len(ladder) == 2 + 4
    assert CAL.working_days_between(due_day, ladder[-1].at.date()) == 25
