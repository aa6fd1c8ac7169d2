"""How pages write dates, deadlines and states: dd/mm/yyyy in Asia/Ho_Chi_Minh, and each state
as words and a colour (the words carry it; the colour only helps)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from jinja2 import Environment

from plans.schedule import END_OF_DAY
from plans.vietnamese import format_date, format_date_long

HCM = ZoneInfo("Asia/Ho_Chi_Minh")

STATES = {  # state -> (words, css class)
    "scheduled": ("Trong hạn", "ok"),
    "due_soon": ("Sắp đến hạn", "soon"),
    "overdue": ("Quá hạn", "late"),
    "done_on_time": ("Hoàn thành đúng hạn", "done"),
    "done_late": ("Hoàn thành quá hạn", "done-late"),
    "paused": ("Tạm dừng", "muted"),
    "cancelled": ("Đã hủy", "muted"),
    "waiting_trigger": ("Chờ sự kiện", "muted"),
    "ongoing": ("Thường xuyên", "ok"),
}


def day(value: date | datetime | None) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = value.astimezone(HCM).date()
    return format_date(value)


def instant(value: datetime | None) -> str:
    """'08:05 ngày 20/03/2025', in Vietnam's time."""
    if value is None:
        return ""
    local = value.astimezone(HCM)
    return f"{local:%H:%M} ngày {format_date(local.date())}"


def deadline(value: datetime | None) -> str:
    """The deadline as people write it: the day with its weekday, and the hour when it has one."""
    if value is None:
        return "chưa xác định"
    local = value.astimezone(HCM)
    if local.time() == END_OF_DAY:
        return format_date_long(local.date())
    return f"{local:%H:%M} {format_date_long(local.date())}"


def isoday(value: str | None) -> str:
    """'2025-06-30' -> '30/06/2025'."""
    return format_date(date.fromisoformat(value)) if value else ""


def number(value: Decimal | str | None) -> str:
    """A number as Vietnamese write it: 15.754 (dots group thousands), 66,5 (a decimal comma)."""
    if value is None or value == "":
        return ""
    whole, _, fraction = f"{Decimal(value):f}".partition(".")
    grouped, fraction = f"{int(whole):,}".replace(",", "."), fraction.rstrip("0")
    return f"{grouped},{fraction}" if fraction else grouped


def local_date(value: datetime) -> date:
    return value.astimezone(HCM).date()


def measure(value: Decimal | str | None, unit: str | None) -> str:
    """'15.754 hồ sơ', '58%'."""
    return number(value) + ("" if not unit or unit == "%" else " ") + (unit or "")


def state_words(state: str) -> str:
    return STATES.get(state, (state, ""))[0]


def state_class(state: str) -> str:
    return STATES.get(state, ("", "muted"))[1]


def install(env: Environment) -> None:
    env.filters.update(day=day, instant=instant, deadline=deadline, state_words=state_words,
                       state_class=state_class, isoday=isoday, number=number,
                       measure=measure, local_date=local_date)
