"""Policies and rules that would remind after the deadline, flood a leader, overflow a date or
never end are refused, each with its line and the closest valid choice."""

from __future__ import annotations

import pytest

from plans import limits
from plans.validation import check_contacts, check_plan
from tests.plans.factory import plan_text
from tests.plans.test_validation import TASK, line_of


def problems(text: str) -> list[str]:
    return [str(p) for p in check_plan(text, "kh.yaml").problems]


def with_policy(policy: str) -> str:
    return plan_text(tasks=TASK, policy=f"policy:\n  {policy}")


@pytest.mark.parametrize(("policy", "message"), [
    ("reminders: [{before: -PT1H}]", "policy.reminders[0].before: -PT1H would remind at or after "
     "the deadline: at least PT1S (did you mean PT1H?)"),
    ("reminders: [{before: PT0S}]", "policy.reminders[0].before: PT0S would remind at or after the "
     "deadline: at least PT1S (did you mean PT1S?)"),
    ("reminders: [{before: P3654D}]", "policy.reminders[0].before: P3654D is more than ten years: "
     "at most P3653D"),
    ("escalation: [{after: PT0S, to: leader}]", "policy.escalation[0].after: PT0S would escalate "
     "at or before the deadline: at least PT1S (did you mean PT1S?)"),
    ("escalation: [{after: -P2D, to: leader}]", "policy.escalation[0].after: -P2D would escalate "
     "at or before the deadline: at least PT1S (did you mean P2D?)"),
    ("escalation_repeat: {every: PT0S}", "policy.escalation_repeat.every: PT0S would repeat the "
     "escalation without pause: at least PT1M (did you mean PT1M?)"),
    ("escalation_repeat: {every: PT20S}", "policy.escalation_repeat.every: PT20S would repeat the "
     "escalation without pause: at least PT1M (did you mean PT1M?)"),
    ("trigger_within: PT0S", "policy.trigger_within: PT0S leaves no time after the event: at least "
     "PT1S (did you mean PT1S?)"),
    ("trigger_within: -P30D", "policy.trigger_within: -P30D leaves no time after the event: at "
     "least PT1S (did you mean P30D?)"),
    ("escalation: [{after: P999999999D, to: leader}]", "policy.escalation[0].after: P999999999D is "
     "more than ten years: at most P3653D"),
    ("reminders: [" + ", ".join(["{working_days_before: 1}"] * 21) + "]",
     "policy.reminders: 21 steps; at most 20"),
])
def test_nonsense_policies_are_refused_at_their_line(policy: str, message: str):
    text = with_policy(policy)
    (only,) = problems(text)
    assert only.endswith(message) and only.startswith(f"kh.yaml:{line_of(text, policy)}:")


def test_sane_short_durations_stay_valid_for_demos():
    text = with_policy("reminders: [{before: PT40S}]\n  escalation: [{after: PT5S, to: leader}]\n"
                       "  escalation_repeat: {every: PT3M}")
    assert problems(text) == []


def test_a_task_policy_is_checked_with_what_it_takes_from_the_plan():
    task = TASK + "    policy: {escalation: [{after: PT1H, to: leader}, {after: PT1H, to: office}]}\n"
    text = plan_text(tasks=task)
    assert problems(text) == [
        f"kh.yaml:{line_of(text, 'policy: {')}:5: tasks[0].policy: each escalation step must come "
        "later than the one before"]
    text = plan_text(tasks=TASK + "    policy: {reminders: [{before: -PT5M}]}\n")
    assert problems(text) == [
        f"kh.yaml:{line_of(text, 'before: -PT5M')}:27: tasks[0].policy.reminders[0].before: -PT5M "
        "would remind at or after the deadline: at least PT1S (did you mean PT5M?)"]


def test_two_due_days_in_one_period_name_both_rules():
    text = plan_text(tasks=TASK.replace(
        "deadline: Quý I/2025",
        "deadline:\n      text: hằng tháng\n      rule:\n        kind: recurring\n        rules:\n"
        "          - {every: month}\n          - {every: month, day: 15}"))
    assert problems(text) == [
        f"kh.yaml:{line_of(text, 'day: 15')}:13: tasks[0].deadline.rule.rules[1]: two rules give "
        "2025-01 two due days: rules[0] (every month) on 31/01/2025 and rules[1] (every month, "
        "day 15) on 15/01/2025; keep one due day per period: drop one rule, or give them "
        "different periods (every)"]


@pytest.mark.parametrize(("deadline", "path", "message"), [
    ("{text: x, rule: {kind: before_date, date: 9999-12-31}}", "tasks[0].deadline.rule.date",
     "year 9999 is far from the plan's years (2025-2025): a deadline may fall from 2015 to 2035 "
     "(did you mean 2035?)"),
    ("{text: x, rule: {kind: quarter, year: 1, quarter: 1}}", "tasks[0].deadline.rule.year",
     "year 1 is far from the plan's years (2025-2025): a deadline may fall from 2015 to 2035 "
     "(did you mean 2015?)"),
    ("{text: x, rule: {kind: recurring, rules: [{every: week}], years: [2025, 2099]}}",
     "tasks[0].deadline.rule.years", "year 2099 is far from the plan's years (2025-2025): a "
     "deadline may fall from 2015 to 2035 (did you mean 2035?)"),
    ("Quý I/2099", "tasks[0].deadline", "year 2099 is far from the plan's years (2025-2025): a "
     "deadline may fall from 2015 to 2035 (did you mean 2035?)"),
    ("trước ngày 31/12/1990", "tasks[0].deadline", "year 1990 is far from the plan's years "
     "(2025-2025): a deadline may fall from 2015 to 2035 (did you mean 2015?)"),
    ("{text: x, rule: {kind: conditional, event: e, within: P99999D}}",
     "tasks[0].deadline.rule.within", "P99999D is more than ten years: at most P3653D"),
    ("{text: x, rule: {kind: conditional, event: e, within: -P1D}}",
     "tasks[0].deadline.rule.within", "-P1D ends before the event: at least PT0S (did you mean "
     "P1D?)"),
    ("{text: x, rule: {kind: conditional, event: e, within_working_days: 999999999}}",
     "tasks[0].deadline.rule.within_working_days", "999,999,999 working days is more than ten "
     "years: at most 2,600"),
])
def test_deadlines_far_out_are_refused_before_any_date_is_computed(deadline: str, path: str,
                                                                   message: str):
    text = plan_text(tasks=TASK.replace("deadline: Quý I/2025", f"deadline: {deadline}")
                     + "    when: ubnd-kh\n")
    (only,) = problems(text)
    assert only.startswith(f"kh.yaml:{line_of(text, deadline)}:") and only.endswith(
        f": {path}: {message}")


def test_a_plan_spans_at_most_thirty_years():
    text = plan_text(tasks=TASK, until=2100)
    assert problems(text) == [f"kh.yaml:{line_of(text, 'until: 2100')}:3: plan.until: the plan runs "
                              "76 years (2025-2100); at most 30 (did you mean 2054?)"]


def test_a_deadline_phrase_has_a_length_limit():
    text = plan_text(tasks=TASK.replace("Quý I/2025", "1" * 5000))
    (only,) = problems(text)
    assert only == (f"kh.yaml:{line_of(text, '11111')}:5: tasks[0].deadline: the deadline's text "
                    "has 5,000 characters; at most 400: write the phrase as the plan does")


def test_too_many_tasks_or_occurrences(monkeypatch: pytest.MonkeyPatch):
    many = "".join(TASK.replace("id: T1", f"id: T{i}") for i in range(limits.MAX_TASKS + 1))
    assert problems(plan_text(tasks=many)) == [
        "kh.yaml:23:1: tasks: 1,001 tasks; at most 1,000 in one plan: split it"]
    monkeypatch.setattr(limits, "MAX_OCCURRENCES", 100)
    weekly = TASK.replace("deadline: Quý I/2025", "deadline: {text: x, rule: {kind: recurring, "
                          "rules: [{every: week}]}}")
    text = plan_text(tasks=weekly + weekly.replace("T1", "T2"))
    assert [p for p in problems(text) if "warning" not in p] == [
        f"kh.yaml:{line_of(text, 'id: T2') + 4}:49: tasks[1].deadline.rule.rules: with this "
        "recurrence the plan names more than 100 due days: split the plan"]
    monthly_each = TASK.replace("lead: [VP]", "for_each: {group: dia-phuong}").replace(
        "deadline: Quý I/2025", "deadline: hằng tháng")
    text = plan_text(tasks=monthly_each, until=2029)  # 60 months for each of 2 units
    assert [p for p in problems(text) if "warning" not in p] == [
        f"kh.yaml:{line_of(text, 'id: T1')}:5: tasks[0]: with this task the plan has more than 100 "
        "due days and check-ins (tasks x units x periods): split the plan"]
    weekly_checkins = TASK.replace("deadline: Quý I/2025", "deadline: Thường xuyên\n"
                                   "    policy: {checkin_every: week}")
    text = plan_text(tasks=weekly_checkins + weekly_checkins.replace("T1", "T2"))
    assert [p for p in problems(text) if "warning" not in p] == [
        f"kh.yaml:{line_of(text, 'id: T2')}:5: tasks[1]: with this task the plan has more than 100 "
        "due days and check-ins (tasks x units x periods): split the plan"]


CONTACTS = "plan: {plan}\ncontacts:\n  - {{of: VP, email: vp@syt.example.invalid}}\n"


def test_contacts_of_another_plan_are_refused():
    plan = check_plan(plan_text(tasks=TASK), "kh.yaml").value
    checked = check_contacts(CONTACTS.format(plan="khac"), "lh.yaml", plan=plan)
    assert not checked.ok
    assert [str(p) for p in checked.problems] == [
        "lh.yaml:1:1: plan: these contacts are for plan 'khac', not 'thu': give the contacts file "
        "of 'thu'"]
    own = check_contacts(CONTACTS.format(plan="thu"), "lh.yaml", plan=plan)
    assert own.ok and own.problems == []


def test_a_composite_deadline_has_a_bounded_number_of_parts():
    parts = ", ".join(["{kind: quarter, year: 2025, quarter: 1}"] * (limits.MAX_RULE_PARTS + 1))
    deadline = f"{{text: x, rule: {{kind: composite, relation: all, parts: [{parts}]}}}}"
    text = plan_text(tasks=TASK.replace("deadline: Quý I/2025", f"deadline: {deadline}"))
    (only,) = problems(text)
    assert only.startswith(f"kh.yaml:{line_of(text, 'composite')}:") and only.endswith(
        ": tasks[0].deadline.rule.parts: 21 parts; at most 20 in one deadline: split the task")
