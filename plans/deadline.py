"""Typed deadlines: what a plan's "Thời gian thực hiện" cell means, as data.

A deadline is inclusive: it ends at the end of its last day in the plan's timezone, unless a
time of day is given. Nothing here reads a clock; the context year is always passed in.
"""

from __future__ import annotations

import calendar as _cal
import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    WithJsonSchema,
    model_validator,
)
from pydantic.json_schema import SkipJsonSchema

from plans.limits import MAX_PLAN_YEARS, MAX_RECURRENCE_RULES

Kind = Literal[
    "absolute_date",
    "before_date",
    "month",
    "quarter",
    "half_year",
    "year",
    "year_range",
    "recurring",
    "relative_to_event",
    "conditional",
    "ongoing",
    "composite",
    "unknown",
]
Every = Literal["day", "week", "month", "quarter", "half_year", "year"]
Relation = Literal["all", "then", "or_ad_hoc"]

_MONTHS_PER: dict[str, int] = {"month": 1, "quarter": 3, "half_year": 6, "year": 12}


def month_end(year: int, month: int) -> date:
    return date(year, month, _cal.monthrange(year, month)[1])


def add_months(year: int, month: int, months: int) -> tuple[int, int]:
    index = year * 12 + (month - 1) + months
    return index // 12, index % 12 + 1


def period_bounds(every: Every, year: int, index: int) -> tuple[date, date]:
    """First and last day of the `index`-th (1-based) period of `every` in `year`."""
    if every == "day":
        first = date(year, 1, 1) + timedelta(days=index - 1)
        return first, first
    if every == "week":
        first = date.fromisocalendar(year, index, 1)
        return first, first + timedelta(days=6)
    span = _MONTHS_PER[every]
    first_month = (index - 1) * span + 1
    last_month = first_month + span - 1
    return date(year, first_month, 1), month_end(year, last_month)


def _period_index(every: Every, day: date) -> int:
    if every == "day":
        return day.timetuple().tm_yday
    if every == "week":
        return day.isocalendar().week
    return (day.month - 1) // _MONTHS_PER[every] + 1


def cadence_apart(days: list[date], longest: Every = "year", shortest: Every = "month") -> Every | None:
    """The longest cadence from `longest` down to `shortest` in which the days fall in different
    periods ("15/8 và 15/11" are a third and a fourth quarter's): a rule has one due day per period."""
    order: list[Every] = ["year", "half_year", "quarter", "month"]
    for every in order[order.index(longest) : order.index(shortest) + 1]:
        if len({_period_index(every, day) for day in days}) == len(days):
            return every
    return None


def periods_in_year(every: Every, year: int) -> int:
    if every == "day":
        return 366 if _cal.isleap(year) else 365
    if every == "week":
        return date(year, 12, 28).isocalendar().week
    return 12 // _MONTHS_PER[every]


def period_label(every: Every, year: int, index: int) -> str:
    if every == "day":
        return period_bounds("day", year, index)[0].isoformat()
    return {
        "week": f"{year}-W{index:02d}",
        "month": f"{year}-{index:02d}",
        "quarter": f"{year}-Q{index}",
        "half_year": f"{year}-H{index}",
        "year": f"{year}",
    }[every]


_DAY_MONTH = re.compile(r"^\s*(\d{1,2})\s*/\s*(\d{1,2})\s*$")


@dataclass(frozen=True, order=True)
class DayMonth:
    """A day of the year without the year, written dd/mm as in the plans ("30/03")."""

    month: int
    day: int

    def __post_init__(self) -> None:
        # 29/02 is allowed; it falls back to 28/02 in common years (see `in_year`).
        date(2024, self.month, self.day)

    @classmethod
    def parse(cls, text: str) -> DayMonth:
        match = _DAY_MONTH.match(text)
        if not match:
            raise ValueError(f"expected a day and month as dd/mm, got {text!r}")
        day, month = int(match.group(1)), int(match.group(2))
        try:
            return cls(month=month, day=day)
        except ValueError:
            raise ValueError(f"{text!r} is not a day of the year") from None

    def in_year(self, year: int) -> date:
        return date(year, self.month, min(self.day, _cal.monthrange(year, self.month)[1]))

    def __str__(self) -> str:
        return f"{self.day:02d}/{self.month:02d}"


class _Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


_VN_DATE = re.compile(r"^\s*(\d{1,2})\s*/\s*(\d{1,2})\s*/\s*(\d{4})\s*$")


def _vn_date(value: Any) -> Any:
    """Accept dd/mm/yyyy as the plans write it, beside ISO dates."""
    if isinstance(value, str):
        match = _VN_DATE.match(value)
        if match:
            day, month, year = (int(g) for g in match.groups())
            try:
                return date(year, month, day)
            except ValueError:
                raise ValueError(f"{value.strip()} is not a date") from None
    return value


VnDate = Annotated[
    date,
    BeforeValidator(_vn_date),
    WithJsonSchema({"type": "string", "examples": ["2025-04-30", "30/04/2025"]}),
]


def _parse_day_month(value: Any) -> Any:
    if isinstance(value, str):
        return DayMonth.parse(value)
    return value


DayMonthField = Annotated[
    DayMonth,
    BeforeValidator(_parse_day_month),
    PlainSerializer(str, return_type=str),
    WithJsonSchema({"type": "string", "pattern": r"^\d{1,2}/\d{1,2}$", "examples": ["30/03"]}),
]


class RecurrenceRule(_Frozen):
    """One recurring obligation: a due date in every period of `every`.

    Without `on`, the due day is `day` (or the last day) of the period's last month, shifted by
    `month_shift` months: `month_shift: 1` says "in the month after the period", as in
    "trước ngày 5 của tháng đầu quý sau". `on` lists irregular due days instead, each in the
    period it falls in (Quảng Ninh: 30/03, 30/06, 30/09, 15/12); periods it does not name have
    no occurrence ("báo cáo 6 tháng trước 15/6" is the first half only). `after_days` counts
    calendar days from the period's end instead ("15 ngày kể từ ngày kết thúc quý"); with
    `weekday`-less weekly rules, "trước thứ Hai tuần sau" is `after_days: 1`. `after_working_days`
    counts working days ("10 ngày làm việc kể từ ngày kết thúc quý"): the plan's calendar says
    which, so its due days are counted once, by `count_working_days`, and kept in `working_dues`.
    """

    every: Every
    day: Annotated[int | None, Field(ge=1, le=31)] = None
    month_shift: Annotated[int, Field(ge=-11, le=12)] = 0
    after_days: Annotated[int | None, Field(ge=1, le=366)] = None
    weekday: Annotated[int | None, Field(ge=1, le=7, description="1 = Monday; weekly only")] = None
    on: list[DayMonthField] | None = None
    time: dt.time | None = Field(None, description='the time of day it is due: "trước 16 giờ hằng ngày"')
    after_working_days: Annotated[int | None, Field(ge=1, le=250, description=(
        "working days after the period ends, on the plan's calendar"))] = None
    # The due day of each period (by label) counted on the plan's calendar: filled when the plan
    # is read, never written by hand.
    working_dues: SkipJsonSchema[dict[str, date] | None] = None

    @model_validator(mode="after")
    def _consistent(self) -> RecurrenceRule:
        if self.on is not None:
            if self.every == "week":
                raise ValueError("`on` lists days of the year; a weekly rule takes `weekday`")
            indexes = [_period_index(self.every, d.in_year(2024)) for d in self.on]
            if len(set(indexes)) != len(indexes):
                raise ValueError(f"`on` names two days in the same {self.every}")
            if self.day is not None or self.month_shift or self.after_days is not None:
                raise ValueError("give either `on` or `day`/`month_shift`/`after_days`, not both")
        if self.after_days is not None and (self.day is not None or self.month_shift):
            raise ValueError("give either `after_days` or `day`/`month_shift`, not both")
        if self.after_working_days is not None and (
                self.day is not None or self.month_shift or self.after_days is not None
                or self.on is not None or self.every in ("day", "week")):
            raise ValueError("`after_working_days` counts from the end of a month, quarter, half-year "
                             "or year, alone")
        if self.weekday is not None and self.every != "week":
            raise ValueError("`weekday` is for weekly rules only")
        return self

    def occurrences(self, year: int) -> list[tuple[str, date, date]]:
        """(period label, period start, due date) for every period of `year` it names."""
        if self.on is not None:
            dues = {_period_index(self.every, d.in_year(year)): d.in_year(year) for d in self.on}
        elif self.after_working_days is not None:
            dues = {}
            for index in range(1, periods_in_year(self.every, year) + 1):
                label = period_label(self.every, year, index)
                if self.working_dues is None or label not in self.working_dues:
                    raise ValueError(f"{self.after_working_days} working days after {label}: "
                                     "the plan's working calendar is needed to count them")
                dues[index] = self.working_dues[label]
        else:
            dues = {
                index: self._due(period_bounds(self.every, year, index)[1])
                for index in range(1, periods_in_year(self.every, year) + 1)
            }
        return [
            (period_label(self.every, year, index), period_bounds(self.every, year, index)[0], due)
            for index, due in sorted(dues.items())
        ]

    def count_working_days(self, years: list[int],
                           add_working_days: Callable[[date, int], date]) -> RecurrenceRule:
        """The rule with the due day of each of its periods in `years` counted on a calendar."""
        if self.after_working_days is None:
            return self
        dues = {
            period_label(self.every, year, index): add_working_days(
                period_bounds(self.every, year, index)[1], self.after_working_days)
            for year in years for index in range(1, periods_in_year(self.every, year) + 1)
        }
        return self.model_copy(update={"working_dues": dues})

    def _due(self, last: date) -> date:
        if self.after_days is not None:
            return last + timedelta(days=self.after_days)
        if self.every == "day":
            return last
        if self.every == "week":
            return last - timedelta(days=7 - (self.weekday or 7))
        due_year, due_month = add_months(last.year, last.month, self.month_shift)
        if self.day is None:
            return month_end(due_year, due_month)
        return date(due_year, due_month, min(self.day, month_end(due_year, due_month).day))


class DateDeadline(_Frozen):
    """A single day ("30/04/2025"), or a limit ("trước ngày 30/04/2025"), maybe with a time."""

    kind: Literal["absolute_date", "before_date"] = "before_date"
    date: VnDate
    time: dt.time | None = None


class MonthDeadline(_Frozen):
    kind: Literal["month"] = "month"
    year: int
    month: Annotated[int, Field(ge=1, le=12)]


class QuarterDeadline(_Frozen):
    kind: Literal["quarter"] = "quarter"
    year: int
    quarter: Annotated[int, Field(ge=1, le=4)]


class HalfYearDeadline(_Frozen):
    kind: Literal["half_year"] = "half_year"
    year: int
    half: Annotated[int, Field(ge=1, le=2)]


class YearDeadline(_Frozen):
    kind: Literal["year"] = "year"
    year: int
    open_start: bool = Field(False, description='"đến năm 2030": the phrase gives no start')


class RangeDeadline(_Frozen):
    """From `start` to `end` ("2025-2030", "Quý IV/2025 - Quý II/2026").

    With `each_year`, it is one obligation per calendar year of the range, due at the end of
    that year: the X marks of a plan's year columns.
    """

    kind: Literal["year_range"] = "year_range"
    start: VnDate
    end: VnDate
    time: dt.time | None = Field(None, description="the end's time of day, when given")
    each_year: bool = False

    @model_validator(mode="after")
    def _ordered(self) -> RangeDeadline:
        if self.end < self.start:
            raise ValueError(f"the range ends ({self.end:%d/%m/%Y}) before it starts")
        return self


class RecurringDeadline(_Frozen):
    """One or more recurrence rules ("báo cáo tháng ... 6 tháng ... năm") over some years."""

    kind: Literal["recurring"] = "recurring"
    rules: Annotated[list[RecurrenceRule], Field(min_length=1, max_length=MAX_RECURRENCE_RULES)]
    years: list[Annotated[int, Field(ge=1900, le=2200)]] | None = Field(
        None, max_length=MAX_PLAN_YEARS, description="the plan's years when left out")

    @model_validator(mode="after")
    def _one_due_per_period(self) -> RecurringDeadline:
        # working days are counted on the plan's calendar later (`count_working_days`)
        if self.years and all(r.after_working_days is None or r.working_dues is not None
                              for r in self.rules):
            self.occurrences()
        return self

    def occurrences(self) -> list[tuple[str, date, date]]:
        """(period label, period start, due) of every rule and year; one per label."""
        if not self.years:
            raise ValueError("a recurrence needs its years (fill them from the plan)")
        seen: dict[str, tuple[str, date, date]] = {}
        for rule in self.rules:
            for year in self.years:
                for label, first, due in rule.occurrences(year):
                    if label in seen and seen[label][2] != due:
                        raise ValueError(f"two due days for {label}: {seen[label][2]:%d/%m/%Y} "
                                         f"and {due:%d/%m/%Y}")
                    seen[label] = (label, first, due)
        return sorted(seen.values(), key=lambda o: (o[2], o[0]))


class EventDeadline(_Frozen):
    """Waits for an event: "khi UBND tỉnh ban hành KH", or "trong 30 ngày kể từ ngày ...".

    `event` is the trigger as the phrase names it. `within` (calendar days) or
    `within_working_days` gives the time allowed after it, when the phrase says.
    """

    kind: Literal["relative_to_event", "conditional"] = "conditional"
    event: str
    within: timedelta | None = None
    within_working_days: int | None = None
    within_months: Annotated[int | None, Field(ge=-120, le=120, description=(
        'calendar months, before the event when negative: "03 tháng trước ngày hết hạn"'))] = None
    due: VnDate | None = Field(None, description="known when the event is the plan's own issue")


class OngoingDeadline(_Frozen):
    """"Thường xuyên": no deadline; progress is checked in at a cadence instead."""

    kind: Literal["ongoing"] = "ongoing"
    start: VnDate | None = None


class UnknownDeadline(_Frozen):
    kind: Literal["unknown"] = "unknown"
    reason: str = ""


# What one obligation of a cell can be; a deadline is one of these, several, or unknown.
_OneDeadline = (
    DateDeadline
    | MonthDeadline
    | QuarterDeadline
    | HalfYearDeadline
    | YearDeadline
    | RangeDeadline
    | RecurringDeadline
    | EventDeadline
    | OngoingDeadline
)
Part = Annotated[_OneDeadline, Field(discriminator="kind")]


class CompositeDeadline(_Frozen):
    """Several obligations in one cell.

    `all`: every part is its own obligation ("sơ kết năm 2027, tổng kết năm 2030", "Quý I, III/2025").
    `then`: a dated part, then ongoing work ("Quý III/2025, sau đó duy trì thường xuyên").
    `or_ad_hoc`: the regular schedule of its parts; the ad hoc clause ("hoặc đột xuất khi có yêu
    cầu") is kept as a note.
    """

    kind: Literal["composite"] = "composite"
    relation: Relation
    parts: Annotated[list[Part], Field(min_length=1)]
    note: str | None = Field(None, description="or_ad_hoc: the ad hoc clause as written")

    @model_validator(mode="after")
    def _shape(self) -> CompositeDeadline:
        if self.relation == "all" and len(self.parts) < 2:
            raise ValueError("`all` needs at least two parts")
        if self.relation == "then" and (
            len(self.parts) != 2 or self.parts[1].kind != "ongoing" or self.parts[0].kind == "ongoing"
        ):
            raise ValueError("`then` is a dated part followed by an ongoing part")
        if self.relation == "or_ad_hoc" and not self.note:
            raise ValueError("`or_ad_hoc` keeps its ad hoc clause in `note`")
        return self


Deadline = Annotated[
    _OneDeadline | CompositeDeadline | UnknownDeadline,
    Field(discriminator="kind"),
]


def count_working_days(deadline: Deadline, add_working_days: Callable[[date, int], date]) -> Deadline:
    """The deadline with every "N working days after each period" counted on a calendar."""
    if isinstance(deadline, RecurringDeadline) and deadline.years and any(
            rule.after_working_days for rule in deadline.rules):
        rules = [rule.count_working_days(deadline.years, add_working_days) for rule in deadline.rules]
        return deadline.model_copy(update={"rules": rules})
    if isinstance(deadline, CompositeDeadline):
        parts = [count_working_days(part, add_working_days) for part in deadline.parts]
        return deadline.model_copy(update={"parts": parts})
    return deadline


def span(deadline: Deadline) -> tuple[date | None, list[date]]:
    """The start the phrase gives (if any) and its due dates, as `parse-deadline` prints them."""
    match deadline:
        case DateDeadline(date=day):
            return None, [day]
        case MonthDeadline(year=y, month=m):
            return date(y, m, 1), [month_end(y, m)]
        case QuarterDeadline(year=y, quarter=q):
            first, last = period_bounds("quarter", y, q)
            return first, [last]
        case HalfYearDeadline(year=y, half=h):
            first, last = period_bounds("half_year", y, h)
            return first, [last]
        case YearDeadline(year=y, open_start=open_start):
            return (None if open_start else date(y, 1, 1)), [date(y, 12, 31)]
        case RangeDeadline(start=start, end=end):
            return start, [end]
        case RecurringDeadline():
            return None, sorted({due for _, _, due in deadline.occurrences()})
        case EventDeadline(due=due):
            return None, [due] if due else []
        case OngoingDeadline(start=start):
            return start, []
        case CompositeDeadline(parts=parts):
            spans = [span(part) for part in parts]
            return spans[0][0], sorted({due for _, dues in spans for due in dues})
        case _:
            return None, []


def _part_contract(deadline: Deadline, tz: dt.tzinfo) -> dict[str, Any]:
    start, dues = span(deadline)
    due: list[str] = [d.isoformat() for d in dues]
    if isinstance(deadline, DateDeadline | RangeDeadline) and deadline.time is not None:
        due = [dt.datetime.combine(dues[-1], deadline.time, tz).isoformat()]
    if isinstance(deadline, RecurringDeadline) and len(deadline.rules) == 1 and deadline.rules[0].time:
        due = [dt.datetime.combine(day, deadline.rules[0].time, tz).isoformat() for day in dues]
    every = sorted({r.every for r in deadline.rules}, key=_EVERY_ORDER.index) if isinstance(
        deadline, RecurringDeadline) else None
    return {
        "kind": deadline.kind,
        "due": due,
        "start": start.isoformat() if start else None,
        "every": every,
        "event": deadline.event if isinstance(deadline, EventDeadline) else None,
    }


_EVERY_ORDER: list[str] = ["day", "week", "month", "quarter", "half_year", "year"]


def as_contract(text: str, deadline: Deadline, *, tz: dt.tzinfo) -> dict[str, Any]:
    """The `parse-deadline --json` object: {"text", "kind", "due", "event", "start", "parts",
    "relation"}. A composite takes the kind of its first dated part, and all parts' due dates in
    order; `parts` lists each part's own kind, due, start, every and event."""
    if isinstance(deadline, CompositeDeadline):
        parts = [_part_contract(part, tz) for part in deadline.parts]
        first = next((p for p in parts if p["due"]), parts[0])
        due = sorted({d for p in parts for d in p["due"]})
        return {
            "text": text,
            "kind": first["kind"],
            "due": due,
            "event": next((p["event"] for p in parts if p["event"]), None),
            "start": parts[0]["start"],
            "parts": parts,
            "relation": deadline.relation,
        }
    own = _part_contract(deadline, tz)
    return {
        "text": text,
        "kind": own["kind"],
        "due": own["due"],
        "event": own["event"],
        "start": own["start"],
        "parts": [] if isinstance(deadline, UnknownDeadline) else [own],
        "relation": None,
    }
