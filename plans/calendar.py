"""The Vietnamese working calendar: which days a unit head is at work.

Public holidays, lunar Tết and Giỗ Tổ Hùng Vương come from the `holidays` package (country VN),
which also knows the government's swapped days off and the Saturdays worked in exchange (làm
bù) up to its release. Each year's announcement can come after a release, so an override table
adds days off and working days on top.

A `WorkingCalendar` is plain data (two sets of dates), so a workflow can carry it in its input and
compute the same instants on replay whatever `holidays` release the worker has.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta

import holidays
from pydantic import BaseModel, ConfigDict, Field

from plans.deadline import VnDate

SATURDAY = 5


class CalendarDay(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    date: VnDate
    name: str = Field(description="why, in Vietnamese: 'Nghỉ bù Quốc khánh', 'Làm bù cho 02/05'")


class CalendarOverrides(BaseModel):
    """The override table (`definitions/calendar.yaml`)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    days_off: list[CalendarDay] = []
    working_days: list[CalendarDay] = Field(
        [], description="weekend days worked in exchange for a day off (làm bù)"
    )


class WorkingCalendar(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    days_off: dict[date, str] = Field(description="holidays and days off on weekdays or weekends")
    working_weekend_days: frozenset[date] = frozenset()

    @classmethod
    def vietnam(
        cls, years: Iterable[int], overrides: CalendarOverrides | None = None
    ) -> WorkingCalendar:
        years = sorted(set(years))
        # One year either side: a reminder before a January deadline falls in December.
        vn = holidays.country_holidays("VN", years=range(years[0] - 1, years[-1] + 2), language="vi")
        days_off = {day: str(name) for day, name in vn.items()}
        working = set(vn.weekend_workdays)
        for extra in overrides.days_off if overrides else []:
            days_off[extra.date] = extra.name
            working.discard(extra.date)
        for extra in overrides.working_days if overrides else []:
            days_off.pop(extra.date, None)
            working.add(extra.date)
        return cls(days_off=days_off, working_weekend_days=frozenset(working))

    def is_working_day(self, day: date) -> bool:
        if day in self.days_off:
            return False
        if day.weekday() >= SATURDAY:
            return day in self.working_weekend_days
        return True

    def dates_only(self) -> WorkingCalendar:
        """The same working days without the holidays' names: what a workflow computes with,
        at about half the bytes in every start input."""
        return self.model_copy(update={"days_off": dict.fromkeys(self.days_off, "")})

    def holiday_name(self, day: date) -> str | None:
        return self.days_off.get(day)

    def on_or_before(self, day: date) -> date:
        """`day` if it is a working day, else the working day before it."""
        while not self.is_working_day(day):
            day -= timedelta(days=1)
        return day

    def add_working_days(self, day: date, count: int) -> date:
        """The `count`-th working day after `day` (before it when `count` is negative).

        `count == 0` is `day` itself, moved back to a working day if needed.
        """
        if count == 0:
            return self.on_or_before(day)
        step = timedelta(days=1 if count > 0 else -1)
        remaining = abs(count)
        while remaining:
            day += step
            if self.is_working_day(day):
                remaining -= 1
        return day

    def working_days_between(self, start: date, end: date) -> int:
        """Working days in (start, end]; negative when end is before start."""
        if end < start:
            return -self.working_days_between(end, start)
        return sum(
            self.is_working_day(start + timedelta(days=i)) for i in range(1, (end - start).days + 1)
        )
