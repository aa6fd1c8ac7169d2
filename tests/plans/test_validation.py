"""Bad plan and contacts files get one clear line per problem, never a traceback."""

from __future__ import annotations

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from plans.validation import check_contacts, check_plan
from tests.plans.factory import plan_text

TASK = """
  - id: T1
    title: Hội nghị quán triệt
    source: Phụ lục I, dòng 1
    lead: [VP]
    deadline: Quý I/2025
"""
GOOD = plan_text(tasks=TASK)


def problems(text: str) -> list[str]:
    return [str(p) for p in check_plan(text, "kh.yaml").problems]


def line_of(text: str, needle: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), 1) if needle in line)


def test_the_good_plan_is_valid():
    checked = check_plan(GOOD, "kh.yaml")
    assert checked.ok and checked.problems == []


def test_malformed_yaml_names_the_line():
    text = GOOD.replace("lead: [VP]", "lead: [VP")
    (only,) = problems(text)
    assert only.startswith(f"kh.yaml:{line_of(text, 'lead: [VP') + 1}:")
    assert "not valid YAML" in only


def test_unknown_key_suggests_the_right_one():
    text = GOOD.replace("    source: Phụ lục I", "    sourc: Phụ lục I")
    assert problems(text) == [
        f"kh.yaml:{line_of(text, 'id: T1')}:5: tasks[0].source: missing required key 'source'",
        f"kh.yaml:{line_of(text, 'sourc:')}:5: tasks[0].sourc: unknown key 'sourc' "
        "(did you mean 'source'?)",
    ]


def test_misspelt_unit_reference_gets_the_closest_valid_choice():
    text = GOOD.replace("lead: [VP]", "lead: [VPS]")
    assert problems(text) == [
        f"kh.yaml:{line_of(text, 'lead: [VPS]')}:12: tasks[0].lead[0]: unknown unit 'VPS' "
        "(did you mean 'VP'?)"
    ]


def test_unknown_person_and_event_references():
    task = TASK.replace("lead: [VP]", "lead: [VP]\n    leader: pgdd\n    when: ubnd")
    text = plan_text(tasks=task)
    assert problems(text) == [
        f"kh.yaml:{line_of(text, 'leader: pgdd')}:5: tasks[0].leader: unknown person 'pgdd' "
        "(did you mean 'pgd'?)",
        f"kh.yaml:{line_of(text, 'when: ubnd')}:5: tasks[0].when: unknown event 'ubnd' "
        "(did you mean 'ubnd-kh'?)",
    ]


def test_duplicate_ids_and_duplicate_keys():
    assert any("tasks[1].id: duplicate id 'T1'" in p for p in problems(plan_text(tasks=TASK * 2)))
    text = GOOD.replace("    lead: [VP]", "    lead: [VP]\n    lead: [HL]")
    (only,) = problems(text)
    assert "key 'lead' is written twice" in only
    assert only.startswith(f"kh.yaml:{line_of(text, 'lead: [HL]')}:5:")


def test_impossible_dates():
    text = GOOD.replace("issued: 10/02/2025", "issued: 31/02/2025")
    assert problems(text) == [
        f"kh.yaml:{line_of(text, 'issued')}:3: plan.issued: 31/02/2025 is not a date"]
    text = GOOD.replace("deadline: Quý I/2025", "deadline: trước ngày 31/02/2025")
    (only,) = problems(text)
    assert "tasks[0].deadline: cannot read the deadline 'trước ngày 31/02/2025' " \
           "(31/02/2025 is not a date)" in only
    text = GOOD.replace("deadline: Quý I/2025",
                        "deadline: {rule: {kind: before_date, date: 2025-02-31}}")
    (only,) = problems(text)
    assert "tasks[0].deadline.rule.date" in only


def test_unreadable_phrase_without_a_rule_asks_for_one():
    text = GOOD.replace("deadline: Quý I/2025", "deadline: đầu quý II")
    (only,) = problems(text)
    assert only.startswith(f"kh.yaml:{line_of(text, 'đầu quý II')}:5: tasks[0].deadline: ")
    assert "add a structured rule beside it" in only
    fixed = GOOD.replace("deadline: Quý I/2025", "deadline: {text: đầu quý II, rule: "
                         "{kind: before_date, date: 2025-04-10}}")
    assert problems(fixed) == []


def test_due_before_the_issue_date_is_a_warning():
    text = GOOD.replace("deadline: Quý I/2025", "deadline: trước ngày 31/01/2025")
    checked = check_plan(text, "kh.yaml")
    assert checked.ok
    assert [str(p) for p in checked.problems] == [
        f"kh.yaml:{line_of(text, 'trước ngày 31/01')}:5: tasks[0].deadline: warning: due "
        "31/01/2025, before the plan was issued (10/02/2025)"]


def test_a_condition_needs_its_event():
    text = GOOD.replace("deadline: Quý I/2025", "deadline: Khi có hướng dẫn")
    (only,) = problems(text)
    assert "waits for an event ('có hướng dẫn'): name it with when: <event id> " \
           "(events: ubnd-kh)" in only


def test_invalid_email_and_phone_in_contacts_name_the_line():
    text = """\
plan: thu
contacts:
  - {of: VP, email: vanphong@syt.example.invalid, zalo_phone: "0912 345 678"}
  - {of: HL, email: "not-an-address"}
  - {of: CP, zalo_phone: "12345"}
"""
    checked = check_contacts(text, "lh.yaml")
    assert [str(p) for p in checked.problems] == [
        "lh.yaml:4:14: contacts[1].email: 'not-an-address' is not an e-mail address",
        "lh.yaml:5:14: contacts[2].zalo_phone: '12345' is not a Vietnamese mobile number "
        "(0xxxxxxxxx or +84xxxxxxxxx)",
    ]
    good = check_contacts(text.splitlines()[0] + "\n" + "\n".join(text.splitlines()[1:3]), "lh")
    assert good.ok and good.value.get("VP").zalo_phone == "84912345678"


def _mutations() -> st.SearchStrategy[str]:
    lines = GOOD.splitlines()
    line = st.integers(0, len(lines) - 1)
    junk = st.text(alphabet=st.sampled_from(list(":-[]{}#&*!|>'\"%@` \tQuýđ0123456789/x")),
                   max_size=12)
    delete = line.map(lambda i: "\n".join(lines[:i] + lines[i + 1:]))
    insert = st.tuples(line, junk).map(lambda t: "\n".join(
        [*lines[: t[0]], lines[t[0]] + t[1], *lines[t[0] + 1 :]]))
    swap = st.tuples(line, line).map(lambda t: "\n".join(
        [lines[t[1]] if i == t[0] else lines[t[0]] if i == t[1] else x
         for i, x in enumerate(lines)]))
    return st.one_of(delete, insert, swap, st.text(max_size=200))


@settings(max_examples=400, suppress_health_check=[HealthCheck.too_slow])
@given(_mutations())
def test_fuzzed_plan_files_get_problems_not_tracebacks(text: str):
    checked = check_plan(text, "kh.yaml")
    for problem in checked.problems:
        line = str(problem)
        assert line.startswith("kh.yaml:") and problem.position.line >= 1
    assert checked.ok or checked.problems


@given(st.recursive(st.none() | st.booleans() | st.integers() | st.text(max_size=8),
                    lambda inner: st.lists(inner, max_size=3)
                    | st.dictionaries(st.sampled_from(["plan", "units", "tasks", "id", "lead",
                                                       "deadline", "rule", "kind"]), inner,
                                      max_size=4), max_leaves=20))
def test_any_yaml_structure_gets_problems_not_tracebacks(data: object):
    checked = check_plan(yaml.safe_dump(data, allow_unicode=True), "kh.yaml")
    assert checked.ok or checked.problems


def test_the_message_names_the_unread_part_and_proposes_a_rule_for_this_phrase():
    text = GOOD.replace("deadline: Quý I/2025", "deadline: 'Quý III/2025; giữa năm 2026'")
    (only,) = problems(text)
    assert "could not read 'giữa năm 2026'" in only
    assert only.endswith("rule: {kind: quarter, year: 2025, quarter: 3}")
    text = GOOD.replace("deadline: Quý I/2025", "deadline: đầu tháng 7/2026")
    (only,) = problems(text)
    assert only.endswith("rule: {kind: month, year: 2026, month: 7}")


def test_a_proposed_rule_is_accepted_as_written():
    text = GOOD.replace("deadline: Quý I/2025", "deadline: 'Quý III/2025; giữa năm 2026'")
    (only,) = problems(text)
    proposal = only.split("e.g. ")[1]
    fixed = GOOD.replace("deadline: Quý I/2025",
                         f"deadline: {{text: 'Quý III/2025; giữa năm 2026', {proposal}}}")
    assert problems(fixed) == []


def test_a_daily_cadence_read_from_text_asks_for_an_explicit_rule():
    text = GOOD.replace("deadline: Quý I/2025", "deadline: báo cáo hằng ngày")
    (only,) = problems(text)
    assert "'báo cáo hằng ngày' is a daily cadence: 365 occurrences" in only
    explicit = GOOD.replace("deadline: Quý I/2025", "deadline: {text: báo cáo hằng ngày, rule: "
                            "{kind: ongoing}}")
    assert problems(explicit) == []


def test_a_wait_in_months_asks_for_days():
    text = GOOD.replace("deadline: Quý I/2025",
                        "deadline: Chậm nhất 6 tháng sau khi Nghị định này có hiệu lực")
    (only,) = problems(text)
    assert "a wait of 6 months after the event: the schedule counts waits in days" in only
    assert "within: P180D" in only
