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
from datetime import date, timedelta
from typing import Any, Generic, Literal, TypeVar

from pydantic import BaseModel, ValidationError

from plans import deadline as dl
from plans import limits, model, schedule
from plans.calendar import CalendarOverrides, WorkingCalendar
from plans.grammar import explain, parse_deadline
from plans.model import Contacts, Plan, Policy, PolicyOverride
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
        self.due_days = 0  # named by the recurrences checked so far: bounds their checking

    @property
    def errors(self) -> bool:
        return any(p.severity == "error" for p in self.problems)

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


def check_contacts(text: str, file: str, *, plan: Plan | None = None) -> Checked[Contacts]:
    """Check a contacts file; with `plan`, also that it is that plan's and who it leaves out."""
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
    if plan is not None:
        _check_contacts_fit(plan, contacts, report)
    ok = not any(p.severity == "error" for p in report.problems)
    return Checked(contacts if ok else None, report.problems)


def check_plan(
    text: str, file: str, *, calendar_overrides: CalendarOverrides | None = None
) -> Checked[Plan]:
    """The plan, when it has no error, with every deadline resolved and known to expand."""
    source, problems = _read(text, file)
    if source is None:
        return Checked(None, problems)
    report = _Reporter(file, source)
    try:
        plan = Plan.model_validate(source.data)
    except ValidationError as error:
        report.pydantic(error)
        return Checked(None, report.problems)
    if not _within_size(plan, report):
        return Checked(None, report.problems)
    _check_references(plan, report)
    _check_policy(plan.policy, ("policy",), report)
    for i, task in enumerate(plan.tasks):
        if task.policy is not None:
            _check_policy(task.policy, ("tasks", i, "policy"), report)
            try:  # what the task leaves out comes from the plan: the whole must still hold
                Policy.model_validate(dict(task.policy.apply(plan.policy)))
            except ValidationError as error:
                report.add(("tasks", i, "policy"), _first_message(error))
    calendar = WorkingCalendar.vietnam(plan.plan.years, calendar_overrides)
    plan = _resolve_deadlines(plan, calendar, report)
    if not report.errors:
        _check_expansion(plan, report)
    return Checked(None if report.errors else plan, report.problems)


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
    read: dict[str, dl.Deadline] = {}  # each distinct phrase is read once
    for i, task in enumerate(plan.tasks):
        spec = task.deadline
        rule = spec.rule
        path: Path = ("tasks", i, "deadline")
        text_path = (*path, "text") if isinstance(
            report.source.data["tasks"][i]["deadline"], dict) else path
        if spec.text is not None and len(spec.text) > limits.MAX_PHRASE_CHARS:
            report.add(text_path, f"the deadline's text has {len(spec.text):,} characters; at "
                       f"most {limits.MAX_PHRASE_CHARS}: write the phrase as the plan does")
            continue
        if rule is None:
            assert spec.text is not None
            if spec.text not in read:
                if sum(map(len, read)) + len(spec.text) > limits.MAX_PHRASES_CHARS:
                    report.add(text_path, f"the plan's deadline phrases hold more than "
                               f"{limits.MAX_PHRASES_CHARS:,} characters: split the plan")
                    break
                read[spec.text] = _read_phrase(spec.text, info, calendar)
            rule = read[spec.text]
            if isinstance(rule, dl.UnknownDeadline):
                report.add(text_path, f"cannot read the deadline {spec.text!r} ({rule.reason})"
                           f"{_proposal(spec.text, info, calendar)}")
                continue
            if _daily(rule):
                # One occurrence, with its reminders, every day of every year: a flood.
                report.add(path, f"{spec.text!r} is a daily cadence: {365 * len(info.years)} "
                           "occurrences, each with its reminders; track it as ongoing work with "
                           "weekly check-ins (rule: {kind: ongoing}, policy: {checkin_every: week}),"
                           " or write rule: {kind: recurring, rules: [{every: day}]} to be "
                           "reminded every day")
                continue
        rule_path = (*path, "rule") if spec.rule is not None else text_path
        # "10 ngày làm việc kể từ ngày kết thúc quý": counted on this plan's calendar
        rule = dl.count_working_days(_with_years(rule, info.years), calendar.add_working_days)
        if isinstance(rule, dl.UnknownDeadline):
            report.add((*path, "rule"), "a rule of kind unknown is not a deadline")
            continue
        if not _check_rule(rule, rule_path, info, report, written=spec.rule is not None):
            continue
        try:
            _, dues = dl.span(rule)
        except (ValueError, OverflowError) as error:  # a rule kind without its own check here
            report.add(rule_path, _first_message(error))
            continue
        if isinstance(rule, dl.EventDeadline) and task.when is None:
            report.add(path, f"the deadline waits for an event ({rule.event!r}): name it with "
                       f"when: <event id>{_event_hint(plan)}")
        _warn_before_issue(dues, info.issued, path, report)
        tasks.append(task.model_copy(update={"deadline": spec.model_copy(update={"rule": rule})}))
    return plan.model_copy(update={"tasks": tasks})


def _daily(rule: dl.Deadline) -> bool:
    parts = rule.parts if isinstance(rule, dl.CompositeDeadline) else [rule]
    return any(isinstance(p, dl.RecurringDeadline) and any(r.every == "day" for r in p.rules)
               for p in parts)


def _read_phrase(text: str, info: model.PlanInfo, calendar: WorkingCalendar) -> dl.Deadline:
    try:
        return parse_deadline(text, year=info.year, years=info.years, issued=info.issued,
                              add_working_days=calendar.add_working_days)
    except Exception as error:  # a phrase the grammar trips on is one message, not a crash
        return dl.UnknownDeadline(reason=f"the reader failed on it: {type(error).__name__}")


def _proposal(text: str, info: model.PlanInfo, calendar: WorkingCalendar) -> str:
    """What could not be read, and a structured rule to write beside the phrase."""
    try:
        unread, proposal = explain(text, year=info.year, years=info.years, issued=info.issued,
                                   add_working_days=calendar.add_working_days)
    except Exception:  # as in _read_phrase: the message still says what to do
        unread, proposal = None, {"kind": "quarter", "year": info.year, "quarter": 1}
    part = f"; could not read {unread!r}" if unread and unread != text else ""
    return f"{part}; add a structured rule beside it, e.g. rule: {flow_yaml(proposal)}"


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


def _warn_before_issue(dues: list[date], issued: date | None, path: Path,
                       report: _Reporter) -> None:
    if issued is None:
        return
    early = [d for d in dues if d < issued]
    if early:
        report.add(path, f"due {early[0]:%d/%m/%Y}, before the plan was issued "
                   f"({issued:%d/%m/%Y})", "warning")


def _check_contacts_fit(plan: Plan, contacts: Contacts, report: _Reporter) -> None:
    """Contacts of another plan must never be installed for this one."""
    if contacts.plan is not None and contacts.plan != plan.plan.id:
        report.add(("plan",), f"these contacts are for plan {contacts.plan!r}, not "
                   f"{plan.plan.id!r}: give the contacts file of {plan.plan.id!r}")
        return
    leads = {u for t in plan.tasks for u in t.lead} | {
        u.id for t in plan.tasks if t.for_each for u in plan.members(t.for_each.group)
    }
    for unit in sorted(leads):
        contact = contacts.get(unit)
        if contact is None or not contact.channels:
            report.add(("contacts",), f"no contact reaches the head of {unit!r}; "
                       f"its notices go to the office ({plan.roles.office})", "warning")


# -- limits: nothing in a plan may stall, flood or overflow ----------------------------------


def _within_size(plan: Plan, report: _Reporter) -> bool:
    """The plan's span and task count, checked before any work grows with them."""
    years = plan.plan.years
    if len(years) > limits.MAX_PLAN_YEARS:
        report.add(("plan", "until"), f"the plan runs {len(years)} years ({years[0]}-{years[-1]}); "
                   f"at most {limits.MAX_PLAN_YEARS} (did you mean "
                   f"{years[0] + limits.MAX_PLAN_YEARS - 1}?)")
    if len(plan.tasks) > limits.MAX_TASKS:
        report.add(("tasks",), f"{len(plan.tasks):,} tasks; at most {limits.MAX_TASKS:,} in one "
                   "plan: split it")
    return not report.errors


def _check_policy(policy: Policy | PolicyOverride, path: Path, report: _Reporter) -> None:
    """Reminders before the deadline, escalations after it, repeats with a pause, all within
    ten years; each a bounded list."""
    for name in ("reminders", "escalation"):
        steps = getattr(policy, name) or []
        if len(steps) > limits.MAX_STEPS:
            report.add((*path, name), f"{len(steps)} steps; at most {limits.MAX_STEPS}")
    for j, reminder in enumerate(policy.reminders or []):
        if reminder.before is not None:
            _check_duration(report, (*path, "reminders", j, "before"), reminder.before,
                            "would remind at or after the deadline", limits.MIN_STEP)
    for j, step in enumerate(policy.escalation or []):
        if step.after is not None:
            _check_duration(report, (*path, "escalation", j, "after"), step.after,
                            "would escalate at or before the deadline", limits.MIN_STEP)
    repeat = policy.escalation_repeat
    if repeat is not None and repeat.every is not None:
        _check_duration(report, (*path, "escalation_repeat", "every"), repeat.every,
                        "would repeat the escalation without pause", limits.MIN_REPEAT)
    if policy.trigger_within is not None:
        _check_duration(report, (*path, "trigger_within"), policy.trigger_within,
                        "leaves no time after the event", limits.MIN_STEP)


def _check_duration(report: _Reporter, path: Path, value: timedelta, wrong: str,
                    minimum: timedelta) -> None:
    if value < minimum:
        better = -value if -value >= minimum else minimum
        report.add(path, f"{iso_duration(value)} {wrong}: at least {iso_duration(minimum)} "
                   f"(did you mean {iso_duration(better)}?)")
    elif value > limits.MAX_DURATION:
        report.add(path, f"{iso_duration(value)} is more than ten years: at most "
                   f"{iso_duration(limits.MAX_DURATION)}")


def iso_duration(value: timedelta) -> str:
    """ISO 8601, as plan files write durations: P1DT2H, PT30S, -PT1H."""
    if value < timedelta(0):
        return "-" + iso_duration(-value)
    hours, rest = divmod(value.seconds, 3600)
    minutes, seconds = divmod(rest, 60)
    second = f"{seconds}.{value.microseconds:06d}".rstrip("0") if value.microseconds else (
        str(seconds) if seconds else "")
    clock = (f"{hours}H" if hours else "") + (f"{minutes}M" if minutes else "") + (
        f"{second}S" if second else "")
    out = "P" + (f"{value.days}D" if value.days else "") + (f"T{clock}" if clock else "")
    return out if out != "P" else "PT0S"


def _check_rule(rule: dl.Deadline, path: Path, info: model.PlanInfo, report: _Reporter,
                *, written: bool) -> bool:
    """Every year a rule names lies near the plan's, waits are bounded, a recurrence has one due
    day per period: checked before any date is computed from the rule. A rule read from a phrase
    (not `written` in the file) has its problems reported at the phrase."""
    first, last = info.years[0], info.years[-1]
    low, high = first - limits.DUE_YEARS_AROUND_PLAN, last + limits.DUE_YEARS_AROUND_PLAN
    problems = len(report.problems)

    def at(part_path: Path, *names: str | int) -> Path:
        return (*part_path, *names) if written else path

    if isinstance(rule, dl.CompositeDeadline) and len(rule.parts) > limits.MAX_RULE_PARTS:
        report.add(at(path, "parts"), f"{len(rule.parts)} parts; at most "
                   f"{limits.MAX_RULE_PARTS} in one deadline: split the task")
        return False

    for part_path, part in _parts(rule, path):
        for name in type(part).model_fields:
            value = getattr(part, name)
            if isinstance(value, date):
                years = [value.year]
            elif name in ("year", "years"):
                years = value if isinstance(value, list) else [value]
            else:
                continue
            for year in (y for y in years if isinstance(y, int) and not low <= y <= high):
                report.add(at(part_path, name), f"year {year} is far from the plan's years "
                           f"({first}-{last}): a deadline may fall from {low} to {high} "
                           f"(did you mean {min(max(year, low), high)}?)")
                break
        if isinstance(part, dl.EventDeadline):
            if part.within is not None:
                _check_duration(report, at(part_path, "within"), part.within,
                                "ends before the event", timedelta(0))
            if part.within_months is not None:
                months = part.within_months
                report.add(at(part_path, "within_months"), (
                    f"a wait of {abs(months)} months {'before' if months < 0 else 'after'} the "
                    f"event: the schedule counts waits in days; write it in days, e.g. rule: "
                    f"{{kind: relative_to_event, event: {part.event!r}, within: P{30 * abs(months)}D}}"))
            if (part.within_working_days or 0) > limits.MAX_WORKING_DAYS:
                report.add(at(part_path, "within_working_days"),
                           f"{part.within_working_days:,} working days is more than ten years: "
                           f"at most {limits.MAX_WORKING_DAYS:,}")
    if len(report.problems) == problems:
        for part_path, part in _parts(rule, path):
            if isinstance(part, dl.RecurringDeadline):
                _check_recurrence(part, part_path if written else path, report, written=written)
    return len(report.problems) == problems


def _parts(rule: BaseModel, path: Path) -> list[tuple[Path, BaseModel]]:
    """The rule and every model inside it (composite rules hold others), with their paths."""
    out: list[tuple[Path, BaseModel]] = []
    todo: list[tuple[Path, BaseModel]] = [(path, rule)]
    while todo:
        where, part = todo.pop()
        out.append((where, part))
        for name in type(part).model_fields:
            value = getattr(part, name)
            items = list(enumerate(value)) if isinstance(value, list) else [(None, value)]
            for index, item in items:
                if isinstance(item, BaseModel):
                    todo.append(((*where, name) if index is None else (*where, name, index), item))
    return out


def _check_recurrence(rule: dl.RecurringDeadline, path: Path, report: _Reporter, *,
                      written: bool) -> None:
    years = rule.years or []
    report.due_days += sum(dl.periods_in_year(one.every, year) for one in rule.rules
                           for year in years)
    if report.due_days > limits.MAX_OCCURRENCES:
        report.add((*path, "rules") if written else path,
                   f"with this recurrence the plan names more than {limits.MAX_OCCURRENCES:,} "
                   "due days: split the plan")
        return
    seen: dict[str, tuple[int, date]] = {}
    for j, one in enumerate(rule.rules):
        for year in years:
            for label, _, due in one.occurrences(year):
                if label in seen and seen[label][1] != due:
                    k, other = seen[label]
                    report.add((*path, "rules", j) if written else path,
                               f"two rules give {label} two due days: rules[{k}] "
                               f"({_describe(rule.rules[k])}) on {other:%d/%m/%Y} and rules[{j}] "
                               f"({_describe(one)}) on {due:%d/%m/%Y}; keep one due day per "
                               f"period: drop one rule, or give them different periods (every)")
                    return
                seen[label] = (j, due)


def _describe(rule: dl.RecurrenceRule) -> str:
    out = f"every {rule.every}"
    if rule.on:
        out += " on " + ", ".join(str(day) for day in rule.on)
    if rule.day is not None:
        out += f", day {rule.day}"
    if rule.month_shift:
        out += f", {rule.month_shift} month(s) later"
    if rule.weekday is not None:
        out += f", weekday {rule.weekday}"
    return out


def _first_message(error: Exception) -> str:
    """One line for a problem found late (a model re-validated, a date out of range)."""
    if isinstance(error, ValidationError):
        return str(error.errors(include_url=False)[0]["msg"]).removeprefix("Value error, ")
    return str(error).splitlines()[0] if str(error) else type(error).__name__


def _periods(rule: dl.Deadline, every: model.CheckinEvery, years: list[int]) -> int:
    """How many occurrences, or check-ins of an ongoing one, a rule gives one unit."""
    match rule:
        case dl.RecurringDeadline():
            return len(rule.occurrences())
        case dl.RangeDeadline(each_year=True, start=start, end=end):
            return end.year - start.year + 1
        case dl.OngoingDeadline():
            return sum(dl.periods_in_year(every, year) for year in years)
        case dl.CompositeDeadline(parts=parts):
            return sum(_periods(part, every, years) for part in parts)
        case _:
            return 1


def _check_expansion(plan: Plan, report: _Reporter) -> None:
    """The plan's occurrences are countable before they are made, and every task expands."""
    total = 0
    for i, task in enumerate(plan.tasks):
        every = (task.policy.apply(plan.policy) if task.policy else plan.policy).checkin_every
        assert task.deadline.rule is not None
        periods = _periods(task.deadline.rule, every, plan.plan.years)
        units = 1
        if task.for_each is not None:
            excluded = set(task.for_each.exclude)
            units = sum(u.id not in excluded for u in plan.members(task.for_each.group))
        total += periods * units
        if total > limits.MAX_OCCURRENCES:
            report.add(("tasks", i), f"with this task the plan has more than "
                       f"{limits.MAX_OCCURRENCES:,} due days and check-ins (tasks x units x "
                       "periods): split the plan")
            return
    try:
        schedule.expand(plan)
    except (ValueError, OverflowError):  # a rule kind without its own check above: which task?
        for i, task in enumerate(plan.tasks):
            try:
                schedule.expand(plan.model_copy(update={"tasks": [task]}))
            except (ValueError, OverflowError) as error:
                report.add(("tasks", i, "deadline"),
                           f"cannot schedule this task: {_first_message(error)}")
