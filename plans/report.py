"""Reports in the categories Vietnamese government task tracking uses, from the audit log.

Each occurrence is classified at an instant from its recorded events: done on time (hoàn thành
đúng hạn), done late (hoàn thành quá hạn), open within its deadline (đang thực hiện trong hạn),
overdue and open (quá hạn chưa hoàn thành), paused (tạm dừng) or cancelled (đã hủy), against
the extended deadline and, beside it, the original one. Pure: events and `now` are parameters.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Literal

Category = Literal["done_on_time", "done_late", "open_in_time", "overdue_open", "paused",
                   "cancelled"]
CATEGORIES: tuple[Category, ...] = ("done_on_time", "done_late", "open_in_time", "overdue_open",
                                    "paused", "cancelled")
VIETNAMESE: dict[Category, str] = {
    "done_on_time": "Hoàn thành đúng hạn", "done_late": "Hoàn thành quá hạn",
    "open_in_time": "Đang thực hiện trong hạn", "overdue_open": "Quá hạn chưa hoàn thành",
    "paused": "Tạm dừng", "cancelled": "Đã hủy",
}
By = Literal["unit", "leader", "task"]


@dataclass(frozen=True)
class AuditedEvent:
    ref: str
    type: str
    at: datetime
    actor: str | None
    details: dict[str, Any]


@dataclass
class ClassifiedOccurrence:
    ref: str
    plan: str
    task: str
    unit: str | None
    leader: str | None
    due: datetime | None = None
    original_due: datetime | None = None
    category: Category = "open_in_time"
    on_time_original: bool | None = None
    kpis: list[dict[str, Any]] = field(default_factory=list)
    kpi_values: dict[str, tuple[Decimal, date]] = field(default_factory=dict)


def _dt(value: Any) -> datetime | None:
    return datetime.fromisoformat(value) if isinstance(value, str) and value else None


def classify(ref: str, events: Sequence[AuditedEvent], *, now: datetime) -> ClassifiedOccurrence:
    """An occurrence's category at `now`, from its events in order."""
    plan, _, rest = ref.partition("/")
    task, _, unit_period = rest.partition("/")
    unit = unit_period.split("@")[0] if unit_period else None
    occ = ClassifiedOccurrence(ref=ref, plan=plan, task=task.split("@")[0], unit=unit, leader=None)
    state: Category | None = None
    for event in events:
        details = event.details
        if event.type == "started":
            occ.due = occ.original_due = _dt(details.get("due"))
            lead = details.get("lead") or []
            occ.unit = occ.unit or (lead[0] if len(lead) == 1 else ",".join(lead) or None)
            occ.leader = details.get("leader")
            occ.kpis = list(details.get("kpis") or [])
        elif event.type in ("extension.approved", "triggered") or (
                event.type == "amended" and "due" in details.get("changes", {})):
            occ.due = _dt(details.get("due")) or occ.due
            if event.type != "extension.approved":
                occ.original_due = occ.due
        elif event.type == "completed":
            state = "done_on_time" if details.get("on_time_extended") else "done_late"
            occ.on_time_original = bool(details.get("on_time_original"))
        elif event.type == "reopened":
            state, occ.on_time_original = None, None
        elif event.type == "paused":
            state = "paused"
        elif event.type == "resumed":
            state = None
        elif event.type == "cancelled":
            state = "cancelled"
        elif event.type == "kpi.recorded":
            occ.kpi_values[details["kpi"]] = (Decimal(str(details["value"])),
                                              date.fromisoformat(details["as_of"]))
    if state is None:
        state = "overdue_open" if occ.due is not None and occ.due < now else "open_in_time"
    occ.category = state
    return occ


@dataclass
class Row:
    key: str
    counts: dict[Category, int]
    done_late_original: int  # done after the original deadline, extended or not

    @property
    def done(self) -> int:
        return self.counts["done_on_time"] + self.counts["done_late"]

    @property
    def on_time_rate(self) -> float | None:
        return self.counts["done_on_time"] / self.done if self.done else None

    @property
    def on_time_rate_original(self) -> float | None:
        return (self.done - self.done_late_original) / self.done if self.done else None


def summarize(occurrences: Iterable[ClassifiedOccurrence], by: By) -> list[Row]:
    rows: dict[str, Row] = {}
    for occ in occurrences:
        key = {"unit": occ.unit, "leader": occ.leader, "task": occ.task}[by] or "-"
        row = rows.setdefault(key, Row(key, dict.fromkeys(CATEGORIES, 0), 0))
        row.counts[occ.category] += 1
        if occ.category in ("done_on_time", "done_late") and occ.on_time_original is False:
            row.done_late_original += 1
    return [rows[k] for k in sorted(rows)]


_PERIOD = re.compile(r"^(?P<y>\d{4})(?:-(?:Q(?P<q>[1-4])|H(?P<h>[12])|(?P<m>0[1-9]|1[0-2])))?$")


def period_bounds(text: str) -> tuple[date, date]:
    """'2025', '2025-Q1', '2025-H2', '2025-03': first day and the day after the last."""
    match = _PERIOD.match(text.strip())
    if not match:
        raise ValueError(f"{text!r} is not a period: use 2025, 2025-Q1, 2025-H1 or 2025-03")
    year = int(match["y"])
    if match["q"]:
        first_month, months = (int(match["q"]) - 1) * 3 + 1, 3
    elif match["h"]:
        first_month, months = (int(match["h"]) - 1) * 6 + 1, 6
    elif match["m"]:
        first_month, months = int(match["m"]), 1
    else:
        first_month, months = 1, 12
    end_index = year * 12 + first_month - 1 + months
    return date(year, first_month, 1), date(end_index // 12, end_index % 12 + 1, 1)
