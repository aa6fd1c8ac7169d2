"""Hostile plan files, made by mutating the five seed plans: what the fuzz tests and the longer
run in bench/fuzz_inputs.py feed to dondoc, and what they require of every answer."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable
from pathlib import Path

import yaml
from hypothesis import strategies as st

from plans import schedule
from plans.calendar import WorkingCalendar
from plans.limits import MAX_DEPTH, MAX_FILE_BYTES
from plans.model import Plan
from plans.validation import Checked, check_contacts, check_plan
from tests.plans.factory import plan_text

ROOT = Path(__file__).parents[2]
SEEDS = {p.name: p.read_text("utf-8") for p in sorted((ROOT / "definitions").glob("*.yaml"))
         if p.name != "calendar.yaml"}
CONTACTS = {p.name: p.read_text("utf-8")
            for p in sorted((ROOT / "definitions/contacts.example").glob("*.yaml"))}
PHRASES = [row["text"] for name in ("deadline_phrases_real.yaml", "deadline_phrases_heldout.yaml")
           for row in yaml.safe_load((ROOT / "tests/data" / name).read_text("utf-8"))]
PROBLEM = re.compile(r"^kh\.yaml:[1-9]\d*:[1-9]\d*: \S")
BUDGET_SECONDS = 2.0  # of CPU time: a hang guard, not a benchmark (bench/fuzz_inputs.py times)

Lines = list[str]
Mutation = Callable[[st.DrawFn, Lines], Lines]

DURATIONS = ["PT0S", "-PT1H", "-P1D", "PT0.5S", "PT1S", "PT30S", "PT1M", "P1D", "P3653D", "P3654D",
             "P99999D", "P999999999D", "1e9", "-1", "0", "86400", "P1Y", "abc"]
NUMBERS = ["9" * 5000, "1e999", "-1", "0", "99999999999999999999", ".inf", ".nan", "-0", "0x7f",
           "1_000", "9999", "10000", "-2025"]
WRONG_TYPES = ["[]", "{}", "null", "true", "[1, 2]", "{a: b}", "''", "2025-13-45", "31/02/2025",
               "~", "[[[]]]", "!!str 5", "!!binary aGk=", "!khac x", "&a x", "*a"]
STRANGE = ["İ", "\u0301", "\ufeff", "\u200b", "\u2028", "ß", "Ǆ", "ﬁ", "\t", "\x85", "đ̛", "𝟘",
           "２０２５", "\U0001F600", "\\", "'", '"', "#", ": ", "- ", "? ", "|", ">", "%", "@", "`"]
RECURRENCES = [
    "{text: hằng tháng, rule: {kind: recurring, rules: [{every: month}, {every: month, day: 15}]}}",
    "{text: x, rule: {kind: recurring, rules: [{every: quarter}, {every: month}]}}",
    "{text: x, rule: {kind: recurring, rules: [{every: week}], years: [2025, 9999]}}",
    "{text: x, rule: {kind: recurring, rules: [{every: week}], years: [1, 2025]}}",
    "{text: x, rule: {kind: year, year: 99999}}",
    "{text: x, rule: {kind: before_date, date: 9999-12-31}}",
    "{text: x, rule: {kind: year_range, start: 2000-01-01, end: 2100-12-31, each_year: true}}",
    "{text: x, rule: {kind: conditional, event: e, within: P999999999D}}",
    "{text: x, rule: {kind: conditional, event: e, within_working_days: 999999999}}",
]


def _line(draw: st.DrawFn, lines: Lines) -> int:
    return draw(st.integers(0, max(len(lines) - 1, 0)))


def _set_value(lines: Lines, index: int, value: str) -> Lines:
    """Replace the value of the `key: value` line at `index` (or append to a line without)."""
    if not lines:
        return [value]
    line = lines[index]
    head = line.split(": ", 1)[0] + ": " if ": " in line else line + " "
    return [*lines[:index], head + value, *lines[index + 1:]]


def deep_nesting(draw: st.DrawFn, lines: Lines) -> Lines:
    depth = draw(st.sampled_from([MAX_DEPTH - 3, MAX_DEPTH + 1, 1000, 100_000]))
    closed = draw(st.booleans())
    opener = draw(st.sampled_from(["[", "{a: "]))
    closer = "]" if opener == "[" else "}"
    return _set_value(lines, _line(draw, lines), opener * depth + (closer * depth if closed else ""))


def aliases(draw: st.DrawFn, lines: Lines) -> Lines:
    kind = draw(st.sampled_from(["loop", "bomb", "reuse", "undefined"]))
    if kind == "loop":
        return _set_value(lines, _line(draw, lines), "&loop [1, *loop]")
    if kind == "undefined":
        return _set_value(lines, _line(draw, lines), "*nowhere")
    if kind == "bomb":
        bomb = ["x0: &x0 [a, a, a, a, a, a, a, a, a, a]"] + [
            f"x{i}: &x{i} [" + ", ".join([f"*x{i - 1}"] * 10) + "]" for i in range(1, 9)]
        return bomb + lines
    first, second = sorted((_line(draw, lines), _line(draw, lines)))
    lines = _set_value(lines, first, "&z " + (lines[first].split(": ", 1)[-1] if lines else "x"))
    return _set_value(lines, second, "*z")


def huge_number(draw: st.DrawFn, lines: Lines) -> Lines:
    index = _line(draw, lines)
    number = draw(st.sampled_from(NUMBERS))
    if lines and re.search(r"\d+", lines[index]):
        return [*lines[:index], re.sub(r"\d+", number, lines[index], count=1), *lines[index + 1:]]
    return _set_value(lines, index, number)


def wrong_type(draw: st.DrawFn, lines: Lines) -> Lines:
    return _set_value(lines, _line(draw, lines), draw(st.sampled_from(WRONG_TYPES)))


def truncate(draw: st.DrawFn, lines: Lines) -> Lines:
    text = "\n".join(lines)
    return text[: draw(st.integers(0, len(text)))].split("\n")


def random_bytes(draw: st.DrawFn, lines: Lines) -> Lines:
    text = "\n".join(lines)
    at = draw(st.integers(0, len(text)))
    junk = draw(st.binary(min_size=1, max_size=24)).decode("latin-1")
    return (text[:at] + junk + text[at:]).split("\n")


def unicode(draw: st.DrawFn, lines: Lines) -> Lines:
    text = "\n".join(lines)
    at = draw(st.integers(0, len(text)))
    junk = draw(st.sampled_from(STRANGE) | st.text(min_size=1, max_size=8))
    return (text[:at] + junk + text[at:]).split("\n")


def deadline_phrase(draw: st.DrawFn, lines: Lines) -> Lines:
    rows = [i for i, line in enumerate(lines) if "deadline:" in line]
    if not rows:
        return lines
    index = draw(st.sampled_from(rows))
    phrase = draw(st.sampled_from(PHRASES))
    twist = draw(st.sampled_from(["as is", "double spaces", "long", "digits", "year 0",
                                  "year 9999", "dotted I", "structured"]))
    if twist == "double spaces":
        phrase = phrase.replace(" ", "  ")
    elif twist == "long":
        phrase = (phrase + " ") * draw(st.integers(2, 400))
    elif twist == "digits":
        phrase = draw(st.sampled_from(["1", " ", "1 ", "khi ", "trong 3 "])) * draw(
            st.integers(10, 20_000))
    elif twist == "year 0":
        phrase = re.sub(r"20\d\d", "0", phrase) or "Quý I/0"
    elif twist == "year 9999":
        phrase = re.sub(r"20\d\d", "9999", phrase) or "Quý I/9999"
    elif twist == "dotted I":
        phrase = "İ" + phrase.upper()
    if twist == "structured":
        return _set_value(lines, index, draw(st.sampled_from(RECURRENCES)))
    return _set_value(lines, index, json.dumps(phrase, ensure_ascii=False))


def policy(draw: st.DrawFn, lines: Lines) -> Lines:
    """A task's own policy with durations from sane to absurd."""
    rows = [i for i, line in enumerate(lines) if line.lstrip().startswith("deadline:")]
    if not rows:
        return lines
    index = draw(st.sampled_from(rows))
    indent = lines[index][: len(lines[index]) - len(lines[index].lstrip())]
    kind = draw(st.sampled_from(["reminder", "escalation", "ladder", "repeat", "trigger", "many"]))
    duration = draw(st.sampled_from(DURATIONS))
    if kind == "reminder":
        fields = f"reminders: [{{before: {duration}}}]"
    elif kind == "escalation":
        fields = f"escalation: [{{after: {duration}, to: leader}}]"
    elif kind == "ladder":
        fields = (f"escalation: [{{after: {duration}, to: leader}}, "
                  f"{{after: {draw(st.sampled_from(DURATIONS))}, to: steering_committee}}]")
    elif kind == "repeat":
        fields = f"escalation_repeat: {{every: {duration}}}"
    elif kind == "trigger":
        fields = f"trigger_within: {duration}"
    else:
        fields = "reminders: [" + ", ".join(["{working_days_before: 1}"] * draw(
            st.integers(1, 40))) + "]"
    return [*lines[:index], f"{indent}policy: {{{fields}}}", *lines[index:]]


def grow(draw: st.DrawFn, lines: Lines) -> Lines:
    """Repeat the tasks until the file is near, or past, the size limit."""
    start = next((i for i, line in enumerate(lines) if line.startswith("tasks:")), None)
    if start is None:
        return lines
    tasks = lines[start + 1:]
    size = max(len("\n".join(tasks).encode("utf-8")), 1)
    target = draw(st.sampled_from([MAX_FILE_BYTES - 4096, 2 * MAX_FILE_BYTES]))
    return lines + tasks * (target // size)


MUTATIONS: list[Mutation] = [deep_nesting, aliases, huge_number, wrong_type, truncate,
                             random_bytes, unicode, deadline_phrase, policy, grow]


@st.composite
def plan_files(draw: st.DrawFn, mutations: list[Mutation] = MUTATIONS) -> str:
    lines = SEEDS[draw(st.sampled_from(sorted(SEEDS)))].split("\n")
    for _ in range(draw(st.integers(1, 3))):
        lines = draw(st.sampled_from(mutations))(draw, lines)
    return "\n".join(lines)


@st.composite
def contacts_files(draw: st.DrawFn) -> str:
    lines = CONTACTS[draw(st.sampled_from(sorted(CONTACTS)))].split("\n")
    mutation = draw(st.sampled_from([aliases, huge_number, wrong_type, truncate, random_bytes,
                                     unicode, deep_nesting]))
    return "\n".join(mutation(draw, lines))


def check_answer(checked: Checked[object]) -> None:
    """Every problem is one `FILE:LINE:COL: ...` line; a refused file has at least one error."""
    for problem in checked.problems:
        line = str(problem)
        assert PROBLEM.match(line) and "\n" not in line, line
    assert checked.ok or any(p.severity == "error" for p in checked.problems)


def validate_like_a_user(text: str) -> Checked[Plan]:
    """`dondoc validate` then `dondoc show`, in process: refused with lines, or fully expanded
    with every reminder and escalation computed; within the CPU budget."""
    started = time.thread_time()
    checked = check_plan(text, "kh.yaml")
    check_answer(checked)
    if checked.ok:
        assert checked.value is not None
        plan = checked.value
        calendar = WorkingCalendar.vietnam(plan.plan.years)
        for occ in schedule.expand(plan):
            if occ.due is not None and occ.due_date is not None:
                schedule.reminders(occ.due_date, occ.due, occ.policy, calendar)
                rungs = len(occ.policy.escalation) + 3
                schedule.escalations(occ.due_date, occ.due, occ.policy, calendar, count=rungs)
            if occ.kind == "ongoing":
                schedule.checkins(occ, calendar, plan.plan.years)
    spent = time.thread_time() - started
    assert spent < BUDGET_SECONDS, f"{spent:.1f} s of CPU for {len(text):,} characters"
    return checked


def check_contacts_like_a_user(text: str) -> None:
    check_answer(check_contacts(text, "kh.yaml"))


# A small plan that writes every kind of key once: each of its values replaced by a wrong type
# must be refused with a line, never crash a validator.
FULL_PLAN = plan_text(
    policy="""policy:
  send_time: "08:00"
  reminders: [{working_days_before: 3}, {before: PT1H}]
  escalation: [{working_days_after: 1, to: leader}, {working_days_after: 5, to: steering_committee}]
  escalation_repeat: {every: P7D}
  catch_up: one_notice
  checkin_every: month
  trigger_within: P30D
  quiet_hours: {start: "21:00", end: "07:00"}""",
    tasks="""  - id: T1
    title: Báo cáo
    source: Mục IV
    section: IV
    lead: [VP]
    coordinating: [HL]
    leader: pgd
    result: báo cáo
    kpis:
      - {id: k1, indicator: Tỷ lệ, unit: "%", comparator: ">=", target: 80, target_text: "≥ 80",
         baseline: 50, baseline_text: "50"}
    deadline: {text: hằng quý, rule: {kind: recurring, rules: [{every: quarter, day: 20,
               month_shift: 1}]}}
    policy: {reminders: [{working_days_before: 1}], escalation_repeat: null}
    note: x
  - id: T2
    title: Từng địa phương
    source: Phụ lục
    for_each: {group: dia-phuong, exclude: [CP], targets: {HL: {k2: 300}}}
    kpis: [{id: k2, indicator: Số ca, target: 100}]
    deadline: {rule: {kind: conditional, event: ubnd-kh, within: P10D, within_working_days: 5}}
    when: ubnd-kh
  - id: T3
    title: Mốc
    source: x
    lead: [VP]
    deadline: {rule: {kind: year_range, start: 01/01/2025, end: 31/12/2025, time: "17:00",
               each_year: true}}
  - id: T4
    title: Thường xuyên
    source: x
    lead: [VP]
    deadline: {rule: {kind: ongoing, start: 2025-03-01}}
""")
