"""The Vietnamese working calendar: lunar Tết, Hùng Kings' day, swapped days, overrides."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from plans.calendar import CalendarDay, CalendarOverrides, WorkingCalendar

CAL = WorkingCalendar.vietnam([2025, 2026, 2027])


@pytest.mark.parametrize(
    ("first", "last"),
    [
        (date(2025, 1, 27), date(2025, 1, 31)),  # Ất Tỵ: 29 Tết to Mùng ba, Monday-Friday
        (date(2026, 2, 16), date(2026, 2, 20)),  # Bính Ngọ: Giao thừa to Mùng bốn
        (date(2027, 2, 4), date(2027, 2, 10)),  # Đinh Mùi
    ],
)
def test_lunar_new_year_is_off(first: date, last: date):
    days = [first + timedelta(days=i) for i in range((last - first).days + 1)]
    assert not any(CAL.is_working_day(d) for d in days)
    assert CAL.is_working_day(first - timedelta(days=3 if first.weekday() == 0 else 1))


def test_tet_2026_names_are_vietnamese():
    assert CAL.holiday_name(date(2026, 2, 17)) == "Tết Nguyên Đán"


def test_hung_kings_day_follows_the_lunar_calendar():
    assert not CAL.is_working_day(date(2025, 4, 7))  # 10/3 Ất Tỵ
    assert not CAL.is_working_day(date(2027, 4, 16))  # 10/3 Đinh Mùi
    # 2026: Giỗ Tổ falls on Sunday 26/04; the day off moves to Monday 27/04.
    assert not CAL.is_working_day(date(2026, 4, 27))


def test_compensatory_saturday_is_a_working_day():
    # Government swap for 2025: Friday 02/05 off, worked on Saturday 26/04.
    assert CAL.is_working_day(date(2025, 4, 26))
    assert not CAL.is_working_day(date(2025, 5, 2))
    assert not CAL.is_working_day(date(2025, 4, 19))  # an ordinary Saturday


def test_override_table_adds_days_off_and_working_saturdays():
    overrides = CalendarOverrides(
        days_off=[CalendarDay(date=date(2027, 12, 31), name="Nghỉ bù (giả định)")],
        working_days=[CalendarDay(date=date(2027, 12, 25), name="Làm bù cho 31/12/2027")],
    )
    calendar = WorkingCalendar.vietnam([2027], overrides)
    assert not calendar.is_working_day(date(2027, 12, 31))
    assert calendar.holiday_name(date(2027, 12, 31)) == "Nghỉ bù (giả định)"
    assert calendar.is_working_day(date(2027, 12, 25))  # a Saturday
    assert CAL.is_working_day(date(2027, 12, 31))


def test_counting_working_days_skips_the_april_may_holidays():
    # 30/04 and 01/05 are holidays, 02/05 is swapped off, 03-04/05 a weekend.
    assert CAL.add_working_days(date(2025, 4, 29), 1) == date(2025, 5, 5)
    assert CAL.add_working_days(date(2025, 5, 5), -1) == date(2025, 4, 29)
    assert CAL.working_days_between(date(2025, 4, 28), date(2025, 5, 5)) == 2


@given(st.dates(date(2025, 1, 1), date(2027, 12, 31)), st.integers(-30, 30))
def test_adding_working_days_lands_on_a_working_day(start: date, count: int):
    landed = CAL.add_working_days(start, count)
    assert CAL.is_working_day(landed)
    if count > 0:
        assert CAL.working_days_between(start, landed) == count
