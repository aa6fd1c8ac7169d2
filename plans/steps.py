"""The steps of one occurrence from where it stands: what is still to come (reminders, the
overdue mark, escalations, check-ins) and, when some fell due while nobody ran them, what goes
out now. Pure: the occurrence workflow passes its deadline, its progress and `now`.

A step's key joins its name and the deadline it was planned for, so moving the deadline plans
the steps again and a step done stays done for the deadline it was done for.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime, timedelta, tzinfo
from typing import Literal, NamedTuple

from pydantic import BaseModel, ConfigDict

from plans import schedule
from plans.calendar import WorkingCalendar
from plans.schedule import Occurrence

LATE = timedelta(hours=1)  # a step fired later than this after its instant was missed

Role = Literal["lead", "coordinating", "leader", "steering_committee", "office"]
NoticeKind = Literal[
    "reminder", "due_today", "overdue", "escalation", "completion", "checkin", "checkin_missed",
    "extension", "cancelled", "reopened", "escalation_ended",
]


class Planned(BaseModel):
    """A step of the loop: a notice to some role, or a state change."""

    model_config = ConfigDict(frozen=True)

    name: str
    at: datetime
    action: Literal["notify", "mark_overdue", "checkin_due"]
    kind: NoticeKind | None = None
    role: Role | None = None
    level: int = 0


def step_key(step: Planned, due: datetime | None) -> str:
    return f"{step.name}@{due.isoformat() if due else None}"


def upcoming(occ: Occurrence, calendar: WorkingCalendar, *, due: datetime | None,
             escalation_level: int, done: Collection[str], tell_coordinating: bool,
             through: datetime | None = None) -> list[Planned]:
    """The steps not yet done, earliest first (the overdue mark before a notice of its instant),
    for an occurrence that is being chased with deadline `due`. With `through` (now), every
    escalation due by then is among them, so one firing catches up the whole ladder."""
    out = checkin_steps(occ, calendar) if occ.kind == "ongoing" else (
        deadline_steps(occ, calendar, due=due, escalation_level=escalation_level,
                       tell_coordinating=tell_coordinating, through=through)
        if due is not None else [])
    return sorted((s for s in out if step_key(s, due) not in done),
                  key=lambda s: (s.at, s.action != "mark_overdue"))


def checkin_steps(occ: Occurrence, calendar: WorkingCalendar) -> list[Planned]:
    out: list[Planned] = []
    for checkin in schedule.checkins(occ, calendar, occ.years):
        label = checkin.name.removeprefix("checkin-")
        asked = schedule.checkin_request(checkin, occ.policy, calendar)
        out.append(Planned(name=f"checkin-request-{label}", at=asked, action="notify",
                           kind="checkin", role="lead"))
        out.append(Planned(name=f"checkin-due-{label}", at=checkin.at, action="checkin_due"))
    return out


def deadline_steps(occ: Occurrence, calendar: WorkingCalendar, *, due: datetime,
                   escalation_level: int, tell_coordinating: bool,
                   through: datetime | None = None) -> list[Planned]:
    """The reminders before `due`, the overdue mark at it, then the overdue notice and the
    escalations: two rungs past the level reached (so the next one is always known), and
    every rung due by `through`."""
    policy, due_day = occ.policy, due.date()
    told = policy.coordinating_told if tell_coordinating and occ.coordinating else []
    out: list[Planned] = []
    for i, reminder in enumerate(schedule.reminders(due_day, due, policy, calendar)):
        kind: NoticeKind = "due_today" if reminder.at.date() == due_day else "reminder"
        out.append(Planned(name=reminder.name, at=reminder.at, action="notify", kind=kind,
                           role="lead"))
        if i == 0 and "first_reminder" in told:
            out.append(Planned(name=f"{reminder.name}-coordinating", at=reminder.at,
                               action="notify", kind=kind, role="coordinating"))
    out.append(Planned(name="overdue", at=due, action="mark_overdue"))
    ladder = schedule.escalations(due_day, due, policy, calendar, count=escalation_level + 2,
                                  through=through)
    if ladder:
        out.append(Planned(name="overdue-notice", at=ladder[0].at, action="notify",
                           kind="overdue", role="lead"))
        if "overdue" in told:
            out.append(Planned(name="overdue-notice-coordinating", at=ladder[0].at,
                               action="notify", kind="overdue", role="coordinating"))
    out += [Planned(name=e.name, at=e.at, action="notify", kind="escalation", role=e.to,
                    level=e.level) for e in ladder]
    repeat = policy.escalation_repeat
    if (ladder and repeat is not None and repeat.at_most is not None
            and ladder[-1].level == len(policy.escalation) + repeat.at_most):
        # The repeats end here: the office is told once, with the last escalation.
        out.append(Planned(name="escalation-final", at=ladder[-1].at, action="notify",
                           kind="escalation_ended", role="office", level=ladder[-1].level))
    return out


class Firing(NamedTuple):
    """What to do with the notices that fell due: `send` goes out now (as a catch-up when
    `catch_up`); `skipped`, earlier ones, and `dropped`, under the policy `catch_up: none`,
    are recorded as skipped."""

    send: list[Planned]
    skipped: list[Planned]
    dropped: list[Planned]
    catch_up: bool


def firing(notices: Sequence[Planned], *, now: datetime, occ: Occurrence, tz: tzinfo) -> Firing:
    """Notices due at or before `now`, earliest first: only the latest instant's go out (the
    overdue notice and the first escalation share one), so an outage or a late start becomes
    one catch-up, never a burst."""
    latest = notices[-1].at
    current = [s for s in notices if s.at == latest]
    earlier = [s for s in notices if s.at != latest]
    late = now - schedule.next_allowed(latest.astimezone(tz), occ.policy)
    catch_up = bool(earlier) or late > LATE
    if catch_up and occ.policy.catch_up == "none":
        return Firing(send=[], skipped=earlier, dropped=current, catch_up=True)
    return Firing(send=current, skipped=earlier, dropped=[], catch_up=catch_up)
