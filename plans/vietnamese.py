"""Vietnamese formatting: dates as dd/mm/yyyy with the weekday, as people write them."""

from __future__ import annotations

from datetime import date, datetime

WEEKDAYS = ("Thứ Hai", "Thứ Ba", "Thứ Tư", "Thứ Năm", "Thứ Sáu", "Thứ Bảy", "Chủ nhật")


def weekday(day: date) -> str:
    return WEEKDAYS[day.weekday()]


def format_date(day: date) -> str:
    return f"{day:%d/%m/%Y}"


def format_date_long(day: date) -> str:
    """'Thứ Tư, 30/04/2025'"""
    return f"{weekday(day)}, {format_date(day)}"


def format_datetime(at: datetime) -> str:
    """'08:00 Thứ Năm, 20/03/2025' in the instant's own timezone."""
    return f"{at:%H:%M} {format_date_long(at.date())}"


def held_until(at: datetime) -> str:
    """What a notice held by quiet hours says: 'chờ đến 07:00 Thứ Hai, 04/03/2030'."""
    return f"chờ đến {format_datetime(at)}"
