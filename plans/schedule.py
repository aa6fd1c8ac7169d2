"""The schedule: every occurrence of every task, and when to remind and escalate.

An occurrence is one obligation of one unit for one period: task × unit × period, with a stable
reference `PLAN/TASK[/UNIT][@PERIOD]`. Everything here is pure: the same plan and calendar give
the same occurrences, instants and references, with no clock and no I/O.

Instants are timezone-aware in the plan's timezone. A deadline ends at the end of its day
(23:59:59) unless the plan gives a time of day. Reminders and escalations go out at the policy's
send time on working days; an exact-duration step (`before: PT30S`) ignores the calendar.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone, tzinfo
from typing import Literal

from pydantic import BaseModel, ConfigDict

from plans import deadline as dl
from plans.calendar import WorkingCalendar
from plans.model import EscalationTarget, Kpi, Plan, Policy, QuietHours, Task

END_OF_DAY = time(23, 59, 59)
OccurrenceKind = Literal["deadline", "event", "ongoing"]


class Step(BaseModel):
    """One scheduled notice: a reminder, an escalation or a check-in request."""

    model_config = ConfigDict(frozen=True)

    name: str  # stable within the occurrence: "reminder-7wd", "escalation-2", "checkin-2025-Q1"
    at: datetime
    to: EscalationTarget | Literal["lead"] = "lead"
    level: int = 0  # escalation level, 1-based; 0 for reminders


class Occurrence(BaseModel):
    model_config = ConfigDict(frozen=True)

    ref: str
    plan_id: str
    task_id: str
    unit_id: str | None  # set when the task fans out to each unit of a group
    period: str | None  # "2025-Q1", "2025", ... for recurring and per-year tasks
    kind: OccurrenceKind
    title: str
    source: str
    deadline_text: str
    lead: list[str]
    coordinating: list[str]
    leader: str | None
    start: date | None
    due_date: date | None  # None while it waits for its event, and for ongoing tasks
    due: datetime | None
    waits_for: str | None  # event id
    trigger_within: timedelta | None
    trigger_within_working_days: int | None
    kpis: list[Kpi]
    policy: Policy
    timezone: str
    utc_offset: timedelta  # of `timezone`; workflows compute new instants with it (no DST in VN)
    years: list[int]  # the years it runs: an ongoing task checks in through the plan's last year


def listing(occ: Occurrence) -> dict[str, object]:
    """What a list of occurrences shows of one beside its plan's names (title, period, units):
    kept with it where lists read it (its memo in Temporal, its row in dondoc's database)."""
    return {"title": occ.title, "period": occ.period, "kind": occ.kind,
            "deadline_text": occ.deadline_text,
            "start": occ.start.isoformat() if occ.start else None,
            "lead": occ.lead, "coordinating": occ.coordinating, "leader": occ.leader}


def next_allowed(at: datetime, policy: Policy) -> datetime:
    """`at`, or the end of the policy's quiet hours it falls in (the same tzinfo as `at`)."""
    return after_quiet_hours(at, policy.quiet_hours)


def after_quiet_hours(at: datetime, quiet: QuietHours | None) -> datetime:
    """`at`, or the end of the quiet hours it falls in (the same tzinfo as `at`)."""
    if quiet is None or not quiet.covers(at.timetz().replace(tzinfo=None)):
        return at
    end = datetime.combine(at.date(), quiet.end, at.tzinfo)
    return end if end > at else end + timedelta(days=1)


def due_instant(day: date, tz: tzinfo, at: time | None = None) -> datetime:
    return datetime.combine(day, at or END_OF_DAY, tz)


def reminders(
    due_date: date, due: datetime, policy: Policy, calendar: WorkingCalendar
) -> list[Step]:
    """The reminder instants before `due`, earliest first, without duplicates."""
    steps: dict[datetime, Step] = {}
    for rule in policy.reminders:
        if rule.before is not None:
            at = due - rule.before
            name = f"reminder-{_iso(rule.before)}"
        elif rule.working_days_before is not None:  # the model asks for one of the two
            day = calendar.add_working_days(due_date, -rule.working_days_before)
            at = datetime.combine(day, policy.send_time, due.tzinfo)
            name = f"reminder-{rule.working_days_before}wd"
        if at < due:
            steps.setdefault(at, Step(name=name, at=at))
    return sorted(steps.values(), key=lambda s: s.at)


def escalations(
    due_date: date, due: datetime, policy: Policy, calendar: WorkingCalendar, *, count: int,
    through: datetime | None = None,
) -> list[Step]:
    """The escalations after `due` up to level `count`, and any more up to `through`: the
    ladder, then its last rung repeated (at most `escalation_repeat.at_most` times)."""
    out: list[Step] = []

    def enough() -> bool:
        return bool(out) and out[-1].level >= count and (through is None or out[-1].at > through)

    last_day: date | None = None
    last_at = due
    for level, rule in enumerate(policy.escalation, start=1):
        if enough():
            return out
        if rule.after is not None:
            at = due + rule.after
        elif rule.working_days_after is not None:  # the model asks for one of the two
            last_day = calendar.add_working_days(due_date, max(rule.working_days_after, 1))
            at = datetime.combine(last_day, policy.send_time, due.tzinfo)
        out.append(Step(name=f"escalation-{level}", at=at, to=rule.to, level=level))
        last_at = at
    repeat = policy.escalation_repeat
    if not out or repeat is None:
        return out
    level, to = len(out), out[-1].to
    last_level = level + repeat.at_most if repeat.at_most is not None else None
    while not enough() and (last_level is None or level < last_level):
        if repeat.every is not None and through is not None:
            # Repeats that fell due in an outage, minutes apart for weeks: jump to the last one
            # due by `through` (the catch-up sends it; those between need no step of their own).
            missed = (through - last_at) // repeat.every
            if last_level is not None:
                missed = min(missed, last_level - level)
            if missed > 1:
                level += missed - 1
                last_at += repeat.every * (missed - 1)
        level += 1
        if repeat.every is not None:
            last_at = last_at + repeat.every
        elif repeat.working_days is not None:  # the model asks for one of the two
            last_day = calendar.add_working_days(last_day or last_at.date(), repeat.working_days)
            last_at = datetime.combine(last_day, policy.send_time, due.tzinfo)
        out.append(Step(name=f"escalation-{level}", at=last_at, to=to, level=level))
    return out


def checkins(occurrence: Occurrence, calendar: WorkingCalendar, years: list[int]) -> list[Step]:
    """For an ongoing task: a progress check-in due at the end of each period of its cadence,
    asked for with the policy's first reminder before it."""
    rule = dl.RecurrenceRule(every=occurrence.policy.checkin_every)
    # The fixed offset, not ZoneInfo: workflows call this, and the tz database is I/O that a
    # replay elsewhere could read differently (Viet Nam has no daylight saving time).
    tz = timezone(occurrence.utc_offset)
    steps = []
    for year in years:
        for label, _, due_day in rule.occurrences(year):
            if occurrence.start and due_day < occurrence.start:
                continue
            steps.append(Step(name=f"checkin-{label}", at=due_instant(due_day, tz)))
    return steps


def checkin_request(checkin: Step, policy: Policy, calendar: WorkingCalendar) -> datetime:
    """When to ask for a check-in: as the first reminder would ask before a deadline."""
    asked = reminders(checkin.at.date(), checkin.at, policy, calendar)
    return asked[0].at if asked else checkin.at


def expand(plan: Plan) -> list[Occurrence]:
    """Every occurrence of the plan, in task order then by due date. The plan must come from
    `plans.validation.check_plan`, which resolves each deadline to a rule."""
    out: list[Occurrence] = []
    for task in plan.tasks:
        out.extend(_task_occurrences(plan, task))
    return out


def _task_occurrences(plan: Plan, task: Task) -> list[Occurrence]:
    rule = task.deadline.rule
    if rule is None:
        raise ValueError(f"task {task.id}: deadline not resolved; validate the plan first")
    policy = task.policy.apply(plan.policy) if task.policy else plan.policy
    tz = plan.plan.tz

    slots = _slots(rule)
    if task.when is not None:
        slots = [(p, start, due, "event" if kind != "ongoing" else kind, at)
                 for p, start, due, kind, at in slots]

    units: list[str | None] = [None]
    if task.for_each is not None:
        excluded = set(task.for_each.exclude)
        units = [u.id for u in plan.members(task.for_each.group) if u.id not in excluded]

    within = within_wd = None
    if isinstance(rule, dl.EventDeadline):
        within, within_wd = rule.within, rule.within_working_days
    if task.when is not None and within is None and within_wd is None:
        within = policy.trigger_within

    out = []
    for unit in units:
        for period, start, due_day, kind, time_of_day in slots:
            ref = f"{plan.plan.id}/{task.id}" + (f"/{unit}" if unit else "") + (
                f"@{period}" if period else "")
            out.append(Occurrence(
                ref=ref,
                plan_id=plan.plan.id,
                task_id=task.id,
                unit_id=unit,
                period=period,
                kind=kind,
                title=task.title,
                source=task.source,
                deadline_text=task.deadline.text or _describe(rule),
                lead=[unit] if unit else list(task.lead),
                coordinating=list(task.coordinating),
                leader=task.leader or plan.roles.default_leader,
                start=start,
                due_date=due_day if kind == "deadline" or (kind == "event" and due_day) else None,
                due=due_instant(due_day, tz, time_of_day) if due_day and kind != "ongoing" else None,
                waits_for=task.when,
                trigger_within=within,
                trigger_within_working_days=within_wd,
                kpis=_unit_kpis(task, unit),
                policy=policy,
                timezone=plan.plan.timezone,
                utc_offset=datetime(plan.plan.year, 1, 1, tzinfo=tz).utcoffset() or timedelta(0),
                years=[y for y in plan.plan.years if start is None or y >= start.year],
            ))
    return sorted(out, key=lambda o: (o.due or datetime.max.replace(tzinfo=tz), o.ref))


Slot = tuple[str | None, date | None, date | None, OccurrenceKind, time | None]


def _slots(rule: dl.Deadline) -> list[Slot]:
    """(period, start, due, kind, time of day) of each occurrence a rule asks for."""
    time_of_day = rule.time if isinstance(rule, dl.DateDeadline | dl.RangeDeadline) else None
    match rule:
        case dl.RecurringDeadline():
            at = rule.rules[0].time if len(rule.rules) == 1 else None  # "trước 16 giờ hằng ngày"
            return [(label, first, due, "deadline", at) for label, first, due in rule.occurrences()]
        case dl.RangeDeadline(each_year=True, start=start, end=end):
            return [(str(y), date(y, 1, 1), date(y, 12, 31), "deadline", None)
                    for y in range(start.year, end.year + 1)]
        case dl.OngoingDeadline(start=start):
            return [(None, start, None, "ongoing", None)]
        case dl.EventDeadline(due=due):
            return [(None, None, due, "deadline", None)]
        case dl.CompositeDeadline(relation="then", parts=[dated, ongoing]):
            return [*_slots(dated), *[("ongoing", start, None, kind, at)
                                      for _, start, _, kind, at in _slots(ongoing)]]
        case dl.CompositeDeadline(parts=parts):
            # Each part its own obligation, with its own reference: "@2025-Q1", "@2026".
            out: list[Slot] = []
            for part in parts:
                for period, start, due, kind, at in _slots(part):
                    label = period or _label(part)
                    taken = {slot[0] for slot in out}
                    label = next(f"{label}-{n}" if n else label for n in range(len(out) + 1)
                                 if (f"{label}-{n}" if n else label) not in taken)
                    out.append((label, start, due, kind, at))
            return out
        case _:
            start, dues = dl.span(rule)
            return [(None, start, dues[-1], "deadline", time_of_day)]


def _label(part: dl.Deadline) -> str:
    match part:
        case dl.MonthDeadline(year=y, month=m):
            return dl.period_label("month", y, m)
        case dl.QuarterDeadline(year=y, quarter=q):
            return dl.period_label("quarter", y, q)
        case dl.HalfYearDeadline(year=y, half=h):
            return dl.period_label("half_year", y, h)
        case dl.YearDeadline(year=y):
            return str(y)
        case dl.RangeDeadline(start=start, end=end):
            return f"{start.isoformat()}_{end.isoformat()}"
        case dl.OngoingDeadline():
            return "ongoing"
        case _:
            _, dues = dl.span(part)
            return dues[-1].isoformat() if dues else part.kind


def _unit_kpis(task: Task, unit: str | None) -> list[Kpi]:
    if unit is None or task.for_each is None or unit not in task.for_each.targets:
        return list(task.kpis)
    own = task.for_each.targets[unit]
    return [
        kpi.model_copy(update=own[kpi.id].model_dump(exclude_unset=True)) if kpi.id in own else kpi
        for kpi in task.kpis
    ]


def _describe(rule: dl.Deadline) -> str:
    _, dues = dl.span(rule)
    return ", ".join(f"{d:%d/%m/%Y}" for d in dues) or rule.kind


def _iso(duration: timedelta) -> str:
    seconds = int(duration.total_seconds())
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    out = "P" + (f"{days}D" if days else "")
    if hours or minutes or secs:
        out += "T" + (f"{hours}H" if hours else "") + (f"{minutes}M" if minutes else "") + (
            f"{secs}S" if secs else "")
    return out if out != "P" else "PT0S"
