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
from zoneinfo import ZoneInfo

from dondoc.services.identity import require
from plans import report
from plans.access import Principal, Target
from plans.evidence import parse_kpi_value
from plans.validation import closest
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


def units_of(occ: report.ClassifiedOccurrence) -> list[str]:
    return (occ.unit or "").split(",") if occ.unit else []


def build(audit: AuditLog, plan: str, *, by: report.By, period: str | None,
          now: datetime, principal: Principal, unit: str | None = None,
          state: str | None = None) -> dict[str, Any]:
    """The six categories by unit, leader or task, and the KPIs, of the occurrences due in
    `period`, of lead unit `unit`, in category `state` (each filter when given)."""
    require(principal, "report", Target(plan=plan))
    if period is not None:
        try:
            report.period_bounds(period)
        except ValueError as error:
            raise ReportError(str(error)) from None
    if state is not None and state not in report.CATEGORIES:
        raise ReportError(f"{state!r} is not a state: use {', '.join(report.CATEGORIES)}")
    every = occurrences(audit, plan, now=now)
    units = sorted({u for o in every for u in units_of(o)})
    if unit is not None and unit not in units:
        raise ReportError(f"no occurrence of unit {unit!r} in plan {plan!r}{closest(unit, units)}")
    chosen = [o for o in every if in_period(o, period)
              and (unit is None or unit in units_of(o)) and (state is None or o.category == state)]
    rows = report.summarize(chosen, by)
    return {
        "plan": plan, "period": period, "by": by, "at": now.isoformat(),
        "unit": unit, "state": state, "units": units,
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


BY_VIETNAMESE = {"unit": "Đơn vị", "leader": "Lãnh đạo phụ trách", "task": "Nhiệm vụ"}
RATES = ("Tỷ lệ đúng hạn (hạn gia hạn)", "Tỷ lệ đúng hạn (hạn ban đầu)")
KPI_HEADERS = ("Nhiệm vụ", "Chỉ tiêu", "Đơn vị tính", "Mục tiêu", "Giá trị mới nhất",
               "Ngày số liệu", "Kết quả")
HCM = ZoneInfo("Asia/Ho_Chi_Minh")


def met_words(met: bool | None) -> str:
    return {True: "Đạt", False: "Chưa đạt", None: "Chưa có số liệu"}[met]


def as_csv(data: dict[str, Any]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([BY_VIETNAMESE[data["by"]], *(report.VIETNAMESE[c] for c in report.CATEGORIES),
                     *RATES])
    for row in data["rows"]:
        writer.writerow([row["key"], *(row[c] for c in report.CATEGORIES),
                         _percent(row["on_time_rate"]), _percent(row["on_time_rate_original"])])
    return buffer.getvalue().encode("utf-8-sig")


def as_xlsx(data: dict[str, Any]) -> bytes:
    """The report as an Excel workbook: the categories on one sheet, the KPIs on another;
    Vietnamese headers, rates as percentages, dates dd/mm/yyyy."""
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "Báo cáo"
    made = datetime.fromisoformat(data["at"]).astimezone(HCM).replace(tzinfo=None)
    sheet.append([f"Báo cáo kết quả thực hiện {data.get('title') or data['plan']}"])
    sheet["A1"].font = Font(bold=True, size=13)
    sheet.append(["Lập lúc", made])
    sheet["B2"].number_format = "dd/mm/yyyy hh:mm"
    chosen = [("Kỳ", data["period"]), ("Đơn vị", data.get("unit_name") or data["unit"]),
              ("Trạng thái", report.VIETNAMESE[data["state"]] if data["state"] else None)]
    for label, value in chosen:
        if value:
            sheet.append([label, value])
    sheet.append([])
    sheet.append([BY_VIETNAMESE[data["by"]], *(report.VIETNAMESE[c] for c in report.CATEGORIES),
                  *RATES])
    header = sheet.max_row
    for cell in sheet[header]:
        cell.font = Font(bold=True)
    for row in data["rows"]:
        sheet.append([row["key"], *(row[c] for c in report.CATEGORIES),
                      row["on_time_rate"], row["on_time_rate_original"]])
        for cell in sheet[sheet.max_row][-2:]:
            cell.number_format = "0%"
    sheet.freeze_panes = f"B{header + 1}"
    _widths(sheet, [28] + [14] * (len(report.CATEGORIES) + 2), get_column_letter)

    kpis = book.create_sheet("Chỉ tiêu")
    kpis.append(list(KPI_HEADERS))
    for cell in kpis[1]:
        cell.font = Font(bold=True)
    for line in data["kpis"]:
        target = f"{line['comparator']} {line['target']}" if line["target"] else ""
        kpis.append([line.get("task") or line["ref"], line["indicator"], line["unit"] or "",
                     target, Decimal(line["value"]) if line["value"] else None,
                     date.fromisoformat(line["as_of"]) if line["as_of"] else None,
                     met_words(line["met"])])
        kpis.cell(kpis.max_row, 6).number_format = "dd/mm/yyyy"
    _widths(kpis, [28, 40, 12, 12, 16, 14, 16], get_column_letter)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _widths(sheet: Any, widths: list[int], letter: Any) -> None:
    for index, width in enumerate(widths, start=1):
        sheet.column_dimensions[letter(index)].width = width


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
