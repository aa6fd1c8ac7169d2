"""Validate plan and contacts files, reporting every problem with its file, line and field.

`check_plan(text, name)` returns the plan with every deadline resolved (the grammar's reading of
each phrase, or the structured rule beside it), plus the problems found. A problem is one line,
`FILE:LINE:COL: field.path: message`, with the closest valid choice for a misspelt reference.
"""

from __future__ import annotations

import difflib
import typing
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any, Generic, Literal, TypeVar

from pydantic import BaseModel, ValidationError

from plans import deadline as dl
from plans import model
from plans.calendar import CalendarOverrides, WorkingCalendar
from plans.grammar import explain, parse_deadline
from plans.model import Contacts, Plan
from plans.yamlsource import Path, Position, Source, YamlProblem, read_yaml

Severity = Literal["error", "warning"]
T = TypeVar("T")


@dataclass(frozen=True)
class Problem:
    file: str
    position: Position
    path: str
    message: str
    severity: Severity = "error"

    def __str__(self) -> str:
        where = f"{self.file}:{self.position.line}:{self.position.column}"
        label = "" if self.severity == "error" else "warning: "
        return f"{where}: {self.path or '(file)'}: {label}{self.message}"


@dataclass(frozen=True)
class Checked(Generic[T]):
    value: T | None
    problems: list[Problem]

    @property
    def ok(self) -> bool:
        return self.value is not None and not any(p.severity == "error" for p in self.problems)


def format_path(path: Iterable[str | int]) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def closest(word: str, choices: Iterable[str]) -> str:
    """' (did you mean 'X'?)' for the nearest choice, or ''."""
    match = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.5)
    if not match:
        lowered = {c.lower(): c for c in choices}
        match = [lowered[word.lower()]] if word.lower() in lowered else []
    return f" (did you mean {match[0]!r}?)" if match else ""


def _all_field_names() -> set[str]:
    names: set[str] = set()
    for module in (model, dl):
        for value in vars(module).values():
            if isinstance(value, type) and issubclass(value, BaseModel):
                names.update(value.model_fields)
    return names


_FIELD_NAMES = _all_field_names()


class _Reporter:
    def __init__(self, file: str, source: Source) -> None:
        self.file = file
        self.source = source
        self.problems: list[Problem] = []

    def add(self, path: Path, message: str, severity: Severity = "error") -> None:
        self.problems.append(
            Problem(self.file, self.source.position(path), format_path(path), message, severity)
        )

    def pydantic(self, error: ValidationError) -> None:
        for item in error.errors(include_url=False):
            path = _data_path(self.source.data, item["loc"])
            message = item["msg"].removeprefix("Value error, ")
            if item["type"] == "extra_forbidden":
                key = str(item["loc"][-1])
                message = f"unknown key {key!r}{closest(key, _FIELD_NAMES)}"
            elif item["type"] == "missing":
                message = f"missing required key {item['loc'][-1]!r}"
            elif item["type"] == "union_tag_invalid":
                message = message.replace("Input tag", "kind")
            self.add(path, message)


def _data_path(data: Any, loc: tuple[Any, ...]) -> Path:
    """The data's path for a pydantic location: union tags and validator names dropped; a
    missing or unknown key kept as the last part (it is positioned at its parent)."""
    node = data
    out: list[str | int] = []
    for part in loc:
        if isinstance(node, dict) and part in node:
            node = node[part]
        elif isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
            node = node[part]
        elif isinstance(node, dict) and not _is_tag(part):
            out.append(part)
            break
        elif isinstance(node, dict | list):
            continue
        else:
            break
        out.append(part)
    return tuple(out)


_KINDS = set(typing.get_args(dl.Kind))


def _is_tag(part: Any) -> bool:
    """Pydantic's location parts that are not in the data: union tags, validator names."""
    return isinstance(part, str) and (
        part in _KINDS or "[" in part or part.startswith("function-")
    )


def _read(text: str, file: str) -> tuple[Source | None, list[Problem]]:
    try:
        source = read_yaml(text)
    except YamlProblem as problem:
        return None, [Problem(file, problem.position, "", problem.message)]
    if not isinstance(source.data, dict):
        return None, [Problem(file, Position(1, 1), "", "expected a mapping of keys at the top")]
    return source, []


def check_calendar(text: str, file: str) -> Checked[CalendarOverrides]:
    source, problems = _read(text, file)
    if source is None:
        return Checked(None, problems)
    report = _Reporter(file, source)
    try:
        return Checked(CalendarOverrides.model_validate(source.data), [])
    except ValidationError as error:
        report.pydantic(error)
        return Checked(None, report.problems)


def check_contacts(text: str, file: str) -> Checked[Contacts]:
    source, problems = _read(text, file)
    if source is None:
        return Checked(None, problems)
    report = _Reporter(file, source)
    try:
        contacts = Contacts.model_validate(source.data)
    except ValidationError as error:
        report.pydantic(error)
        return Checked(None, report.problems)
    seen = Counter(c.of for c in contacts.contacts)
    for i, contact in enumerate(contacts.contacts):
        if seen[contact.of] > 1:
            report.add(("contacts", i, "of"), f"{contact.of!r} has more than one contact entry")
        if not contact.channels:
            report.add(("contacts", i), f"{contact.of!r} has no e-mail or Zalo to reach",
                       "warning")
    return Checked(contacts, report.problems)


def check_plan(
    text: str,
    file: str,
    *,
    calendar_overrides: CalendarOverrides | None = None,
    contacts: Contacts | None = None,
) -> Checked[Plan]:
    source, problems = _read(text, file)
    if source is None:
        return Checked(None, problems)
    report = _Reporter(file, source)
    try:
        plan = Plan.model_validate(source.data)
    except ValidationError as error:
        report.pydantic(error)
        return Checked(None, report.problems)
    _check_references(plan, report)
    calendar = WorkingCalendar.vietnam(plan.plan.years, calendar_overrides)
    plan = _resolve_deadlines(plan, calendar, report)
    if contacts is not None:
        _check_contacts_cover(plan, contacts, report)
    ok = not any(p.severity == "error" for p in report.problems)
    return Checked(plan if ok else None, report.problems)


def _check_references(plan: Plan, report: _Reporter) -> None:
    units = {u.id for u in plan.units}
    people = {p.id for p in plan.people}
    groups = {g.id for g in plan.groups}
    events = {e.id for e in plan.events}

    lists: dict[str, list[str]] = {
        "units": [u.id for u in plan.units], "people": [p.id for p in plan.people],
        "groups": [g.id for g in plan.groups], "events": [e.id for e in plan.events],
        "tasks": [t.id for t in plan.tasks],
    }
    for name, ids in lists.items():
        counts = Counter(ids)
        for i, item_id in enumerate(ids):
            if counts[item_id] > 1:
                report.add((name, i, "id"), f"duplicate id {item_id!r}")
    clash = units & people
    for i, unit in enumerate(plan.units):
        if unit.id in clash:
            report.add(("units", i, "id"), f"{unit.id!r} is both a unit and a person")
        for j, group in enumerate(unit.groups):
            if group not in groups:
                report.add(("units", i, "groups", j), f"unknown group {group!r}{closest(group, groups)}")

    def ref(path: Path, value: str | None, known: set[str], what: str) -> None:
        if value is not None and value not in known:
            report.add(path, f"unknown {what} {value!r}{closest(value, known)}")

    ref(("roles", "office"), plan.roles.office, units, "unit")
    ref(("roles", "steering_committee"), plan.roles.steering_committee, people, "person")
    ref(("roles", "default_leader"), plan.roles.default_leader, people, "person")
    for i, task in enumerate(plan.tasks):
        for j, unit_id in enumerate(task.lead):
            ref(("tasks", i, "lead", j), unit_id, units, "unit")
        for j, unit_id in enumerate(task.coordinating):
            ref(("tasks", i, "coordinating", j), unit_id, units, "unit")
        ref(("tasks", i, "leader"), task.leader, people, "person")
        ref(("tasks", i, "when"), task.when, events, "event")
        if task.leader is None and plan.roles.default_leader is None:
            report.add(("tasks", i), "no responsible leader: set leader, or roles.default_leader")
        kpi_ids = Counter(k.id for k in task.kpis)
        for j, kpi in enumerate(task.kpis):
            if kpi_ids[kpi.id] > 1:
                report.add(("tasks", i, "kpis", j, "id"), f"duplicate KPI id {kpi.id!r}")
        if task.for_each is not None:
            fan = task.for_each
            ref(("tasks", i, "for_each", "group"), fan.group, groups, "group")
            members = {u.id for u in plan.members(fan.group)}
            if fan.group in groups and not members:
                report.add(("tasks", i, "for_each", "group"), f"group {fan.group!r} has no units")
            for j, unit_id in enumerate(fan.exclude):
                ref(("tasks", i, "for_each", "exclude", j), unit_id, members, f"unit of {fan.group}")
            for unit_id, targets in fan.targets.items():
                ref(("tasks", i, "for_each", "targets", unit_id), unit_id, members,
                    f"unit of {fan.group}")
                for kpi_id in targets:
                    ref(("tasks", i, "for_each", "targets", unit_id, kpi_id), kpi_id, set(kpi_ids),
                        "KPI")


def _resolve_deadlines(plan: Plan, calendar: WorkingCalendar, report: _Reporter) -> Plan:
    """Give every task a structured deadline: its rule, or the grammar's reading of its text."""
    info = plan.plan
    tasks = []
    for i, task in enumerate(plan.tasks):
        spec = task.deadline
        rule = spec.rule
        path: Path = ("tasks", i, "deadline")
        if rule is None:
            assert spec.text is not None
            rule = parse_deadline(spec.text, year=info.year, years=info.years, issued=info.issued,
                                  add_working_days=calendar.add_working_days)
            if isinstance(rule, dl.UnknownDeadline):
                unread, proposal = explain(spec.text, year=info.year, years=info.years,
                                           issued=info.issued,
                                           add_working_days=calendar.add_working_days)
                part = f"; could not read {unread!r}" if unread and unread != spec.text else ""
                report.add(
                    (*path, "text") if isinstance(report.source.data["tasks"][i]["deadline"], dict)
                    else path,
                    f"cannot read the deadline {spec.text!r} ({rule.reason}){part}; add a "
                    f"structured rule beside it, e.g. rule: {flow_yaml(proposal)}",
                )
                continue
            if _daily(rule):
                # One occurrence, with its reminders, every day of every year: a flood.
                report.add(path, f"{spec.text!r} is a daily cadence: {365 * len(info.years)} "
                           "occurrences, each with its reminders; track it as ongoing work with "
                           "weekly check-ins (rule: {kind: ongoing}, policy: {checkin_every: week}),"
                           " or write rule: {kind: recurring, rules: [{every: day}]} to be "
                           "reminded every day")
                continue
        rule = _with_years(rule, info.years)
        if isinstance(rule, dl.UnknownDeadline):
            report.add((*path, "rule"), "a rule of kind unknown is not a deadline")
            continue
        if isinstance(rule, dl.EventDeadline) and task.when is None:
            report.add(path, f"the deadline waits for an event ({rule.event!r}): name it with "
                       f"when: <event id>{_event_hint(plan)}")
        _warn_before_issue(rule, info.issued, path, report)
        tasks.append(task.model_copy(update={"deadline": spec.model_copy(update={"rule": rule})}))
    return plan.model_copy(update={"tasks": tasks})


def _daily(rule: dl.Deadline) -> bool:
    parts = rule.parts if isinstance(rule, dl.CompositeDeadline) else [rule]
    return any(isinstance(p, dl.RecurringDeadline) and any(r.every == "day" for r in p.rules)
               for p in parts)


def flow_yaml(value: Any) -> str:
    """One line of YAML, as a clerk would type it: {kind: quarter, year: 2025, quarter: 1}."""
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {flow_yaml(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(flow_yaml(v) for v in value) + "]"
    if isinstance(value, str) and (not value or any(c in value for c in ":{}[],#&*!|>'\"%@`")
                                   or value != value.strip()):
        return "'" + value.replace("'", "''") + "'"
    return "null" if value is None else str(value).lower() if isinstance(value, bool) else str(value)


def _with_years(rule: dl.Deadline, years: list[int]) -> dl.Deadline:
    """A recurrence that names no years runs through the plan's years, inside parts too."""
    if isinstance(rule, dl.RecurringDeadline) and not rule.years:
        return rule.model_copy(update={"years": years})
    if isinstance(rule, dl.CompositeDeadline):
        parts = [_with_years(part, years) for part in rule.parts]
        return rule.model_copy(update={"parts": parts})
    return rule


def _event_hint(plan: Plan) -> str:
    return f" (events: {', '.join(e.id for e in plan.events)})" if plan.events else ""


def _warn_before_issue(rule: dl.Deadline, issued: date | None, path: Path,
                       report: _Reporter) -> None:
    if issued is None:
        return
    _, dues = dl.span(rule)
    early = [d for d in dues if d < issued]
    if early:
        report.add(path, f"due {early[0]:%d/%m/%Y}, before the plan was issued "
                   f"({issued:%d/%m/%Y})", "warning")


def _check_contacts_cover(plan: Plan, contacts: Contacts, report: _Reporter) -> None:
    leads = {u for t in plan.tasks for u in t.lead} | {
        u.id for t in plan.tasks if t.for_each for u in plan.members(t.for_each.group)
    }
    for unit in sorted(leads):
        contact = contacts.get(unit)
        if contact is None or not contact.channels:
            report.add(("units",), f"no contact reaches the head of {unit!r}; "
                       f"its notices go to the office ({plan.roles.office})", "warning")
