"""What a new version of a plan changes against the version loaded: which occurrences it adds,
which it cancels, which it changes and how. Pure: `dondoc load` (and its --dry-run), the web
app's preview and the occurrence workflow's amendment all read the difference from here."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from plans.schedule import Occurrence
from plans.vietnamese import format_date

# What an amendment may change of an occurrence, and what its `amended` event records.
CHANGED_FIELDS = ("due", "deadline_text", "lead", "coordinating", "leader", "title", "policy",
                  "kpis")


@dataclass(frozen=True)
class Difference:
    added: tuple[str, ...]  # refs the new version has and the loaded one has not
    changed: tuple[str, ...]  # in both, with another specification
    cancelled: tuple[str, ...]  # in the loaded version only
    unchanged: tuple[str, ...]

    @property
    def empty(self) -> bool:
        return not (self.added or self.changed or self.cancelled)


def difference(loaded: Mapping[str, str], new: Mapping[str, str]) -> Difference:
    """Compare two versions by their occurrences: ref -> hash of the occurrence's specification
    (what `PlanRecord.occurrences` keeps of the loaded version)."""
    return Difference(
        added=tuple(sorted(r for r in new if r not in loaded)),
        changed=tuple(sorted(r for r in new if r in loaded and loaded[r] != new[r])),
        cancelled=tuple(sorted(r for r in loaded if r not in new)),
        unchanged=tuple(sorted(r for r in new if loaded.get(r) == new[r])))


def changes(before: Occurrence, after: Occurrence) -> dict[str, dict[str, Any]]:
    """Field by field, what an amendment changes: {"due": {"from": ..., "to": ...}} (as JSON)."""
    old, new = before.model_dump(mode="json"), after.model_dump(mode="json")
    return {f: {"from": old[f], "to": new[f]} for f in CHANGED_FIELDS if old[f] != new[f]}


FIELD_WORDS = {"due": "Hạn", "deadline_text": "Thời hạn (kế hoạch ghi)", "lead": "Chủ trì",
               "coordinating": "Phối hợp", "leader": "Lãnh đạo phụ trách", "title": "Nội dung",
               "policy": "Lịch nhắc việc, leo thang", "kpis": "Chỉ tiêu"}


def describe(field: str, value: Any, names: Mapping[str, str]) -> str:
    """A changed field's value (as `changes` gives it) as the office reads it: names of units
    and people, dates dd/mm/yyyy in the plan's zone."""
    if value is None or value == []:
        return "không có"
    if field == "due":
        return format_date(datetime.fromisoformat(value).date())
    if field in ("lead", "coordinating"):
        return ", ".join(names.get(v, v) for v in value)
    if field == "leader":
        return names.get(value, str(value))
    if field == "kpis":
        return "; ".join(f"{k['indicator']} {k.get('comparator', '≥')} "
                         f"{k.get('target', k.get('target_text', ''))}" for k in value)
    if field == "policy":
        return "đã thay đổi"
    return str(value)
