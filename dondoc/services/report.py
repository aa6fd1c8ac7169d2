"""Reports and KPI values from the audit log: no Temporal needed, years later."""

from __future__ import annotations

import csv
import io
import json
import uuid
from collections import defaultdict
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from dondoc.services.identity import require
from plans import report
from plans.access import Principal, Target
from plans.evidence import parse_kpi_value
from storage.audit import AuditLog, utc
from workflows.messages import OccurrenceEvent


class ReportError(Exception):
    """Bad input for a report or a KPI value: one line for the user."""


def occurrences(audit: AuditLog, plan: str, *, now: datetime) -> list[report.ClassifiedOccurrence]:
    rows = audit.events(plan=plan)
    if not rows:
        raise ReportError(f"no audit rows for plan {plan!r}")
    events: dict[str, list[report.AuditedEvent]] = defaultdict(list)
    for row in rows:
        if row.type != "plan.loaded":
            events[row.ref].append(report.AuditedEvent(row.ref, row.type, utc(row.at), row.actor,
                                                json.loads(row.details)))
    return [report.classify(ref, evs, now=now) for ref, evs in sorted(events.items())]


def in_period(occ: report.ClassifiedOccurrence, period: str | None) -> bool:
    if period is None:
        return True
    first, after = report.period_bounds(period)
    return occ.due is not None and first <= occ.due.date() < after


def build(audit: AuditLog, plan: str, *, by: report.By, period: str | None,
          now: datetime, principal: Principal) -> dict[str, Any]:
    require(principal, "report", Target(plan=plan))
    if period is not None:
        try:
            report.period_bounds(period)
        except ValueError as error:
            raise ReportError(str(error)) from None
    chosen = [o for o in occurrences(audit, plan, now=now) if in_period(o, period)]
    rows = report.summarize(chosen, by)
    return {
        "plan": plan, "period": period, "by": by, "at": now.isoformat(),
        "rows": [{"key": r.key, **r.counts, "done": r.done,
                  "on_time_rate": r.on_time_rate, "on_time_rate_original": r.on_time_rate_original}
                 for r in rows],
        "kpis": [kpi_line(o, k) for o in chosen for k in o.kpis],
    }


def kpi_line(occ: report.ClassifiedOccurrence, kpi: dict[str, Any]) -> dict[str, Any]:
    latest = occ.kpi_values.get(kpi["id"])
    target = Decimal(str(kpi["target"])) if kpi.get("target") is not None else None
    met = None
    if latest is not None and target is not None:
        value = latest[0]
        met = {"≥": value >= target, "≤": value <= target, "=": value == target,
               ">": value > target, "<": value < target}[kpi.get("comparator", "≥")]
    return {"ref": occ.ref, "kpi": kpi["id"], "indicator": kpi["indicator"],
            "unit": kpi.get("unit"), "comparator": kpi.get("comparator", "≥"),
            "target": str(target) if target is not None else kpi.get("target_text"),
            "value": str(latest[0]) if latest else None,
            "as_of": latest[1].isoformat() if latest else None, "met": met}


def as_csv(data: dict[str, Any]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([data["by"], *(report.VIETNAMESE[c] for c in report.CATEGORIES),
                     "Tỷ lệ đúng hạn (hạn gia hạn)", "Tỷ lệ đúng hạn (hạn ban đầu)"])
    for row in data["rows"]:
        writer.writerow([row["key"], *(row[c] for c in report.CATEGORIES),
                         _percent(row["on_time_rate"]), _percent(row["on_time_rate_original"])])
    return buffer.getvalue().encode("utf-8-sig")


def _percent(rate: float | None) -> str:
    return "" if rate is None else f"{rate * 100:.0f}%"


def record_kpi(audit: AuditLog, ref: str, *, value: str, as_of: date, principal: Principal,
               kpi_id: str | None, today: date) -> dict[str, Any]:
    """Append a KPI value to the log, after checking the reference, the KPI, the value's type
    and range, the date and who records it; nothing is written when anything is wrong."""
    rows = audit.events(ref=ref)
    started = next((r for r in rows if r.type == "started"), None)
    if started is None:
        raise ReportError(f"no occurrence {ref!r} in the audit log")
    facts = json.loads(started.details)
    decision = require(principal, "record_kpi", Target(
        plan=started.plan, lead=tuple(facts.get("lead") or ()), leader=facts.get("leader"),
        ref=ref))
    by = decision.acting_as or ""
    kpis = {k["id"]: k for k in facts.get("kpis", [])}
    if not kpis:
        raise ReportError(f"{ref} has no KPI to record")
    if kpi_id is None:
        if len(kpis) > 1:
            raise ReportError(f"{ref} has several KPIs: choose one with --kpi "
                              f"({', '.join(sorted(kpis))})")
        kpi_id = next(iter(kpis))
    if kpi_id not in kpis:
        raise ReportError(f"{ref} has no KPI {kpi_id!r} ({', '.join(sorted(kpis))})")
    kpi = kpis[kpi_id]
    try:
        number = parse_kpi_value(value, kpi.get("unit"))
    except ValueError as error:
        raise ReportError(f"--value: {error} ({kpi['indicator']})") from None
    if as_of > today:
        raise ReportError(f"--as-of: {as_of:%d/%m/%Y} is in the future")
    event = OccurrenceEvent(key=f"{ref}#kpi-{uuid.uuid4().hex}", ref=ref, plan=started.plan,
                            type="kpi.recorded", at=datetime.now(UTC), actor=by,
                            details={"kpi": kpi_id, "value": str(number),
                                     "as_of": as_of.isoformat(), "unit": kpi.get("unit"),
                                     **operator_details(principal)})
    audit.append(event)
    return kpi_line(report.classify(ref, [report.AuditedEvent(ref, "started", utc(started.at), None,
                                                       json.loads(started.details)),
                                          report.AuditedEvent(ref, event.type, event.at, by,
                                                       event.details)],
                                    now=datetime.now(UTC)), kpi)


def operator_details(principal: Principal) -> dict[str, Any]:
    """The account that did it, and for whom, as the workflows record it."""
    details: dict[str, Any] = {"operator": principal.account}
    if principal.acting_for:
        details |= {"acted_for": principal.acting_for, "on_behalf_reason": principal.reason}
    return details
