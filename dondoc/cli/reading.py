"""Reading: where occurrences stand, an occurrence's timeline, the plan's report."""

from __future__ import annotations

import sys
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from dondoc.cli.common import (
    HCM,
    STATE_VI,
    AsJson,
    Ref,
    StateDir,
    allowed,
    audit_or_exit,
    client_for,
    err,
    fail,
    group,
    identity,
    ledger_of,
    out,
    print_json,
    print_table,
    run,
    settings,
)
from plans.vietnamese import format_datetime, held_until

if TYPE_CHECKING:
    from dondoc.services.read import StatusRow

app = group("Reading occurrences and reports.")


@app.command()
def status(
    plan: Annotated[str | None, typer.Option(help="plan id")] = None,
    unit: Annotated[str | None, typer.Option(help="unit id")] = None,
    state: Annotated[str | None, typer.Option(help="scheduled, due_soon, overdue, ...")] = None,
    limit: Annotated[int | None, typer.Option(
        min=1, help="print the first N (by due date); a last line says how many more")] = None,
    as_json: AsJson = False,
    state_dir: StateDir = None,
) -> None:
    """Where every occurrence stands: scheduled, due soon, overdue, done, paused ... All of
    them, unless --limit says how many."""
    from dondoc.services import read as reading
    from workflows.messages import State

    if state is not None and state not in State.__args__:  # type: ignore[attr-defined]
        from plans.validation import closest

        raise fail(f"--state: unknown state {state!r}{closest(state, State.__args__)}", 2)  # type: ignore[attr-defined]

    from storage.audit import AuditLog

    config = settings(state_dir)
    principal = identity(config)
    ledger = ledger_of(config)  # its audit log names the units coordinating each occurrence

    async def work() -> list[StatusRow]:
        if ledger is not None:  # where each occurrence stands is kept there: no Temporal call
            from storage.standing import Standings

            kept = await reading.standing(Standings(ledger.engine), principal, plan=plan,
                                          unit=unit, state=state,
                                          audit=AuditLog(ledger.engine))
            if kept is not None:
                return kept
        return await reading.status(await client_for(config), principal, plan=plan, unit=unit,
                                    state=state,
                                    audit=AuditLog(ledger.engine) if ledger else None)

    rows = run(work())
    shown = rows[:limit]
    more = len(rows) - len(shown)
    if as_json:
        print_json([r.model_dump(mode="json") for r in shown])
    else:
        now = datetime.now(HCM)
        print_table(("Mã (ref)", "Đơn vị", "Hạn", "Trạng thái", "Mức báo cáo"), [
            (row.ref, row.unit or "", format_datetime(row.due.astimezone(HCM)) if row.due else "",
             state_text(row, now), str(row.escalation_level or ""))
            for row in shown])
        out.print(f"{len(rows)} occurrences", markup=False)
    if more:
        # On standard error: the JSON on standard output stays a list a script can read.
        err.print(f"{more} more occurrences not shown (--limit {limit}); --limit {len(rows)} "
                  "shows them all", markup=False)


def state_text(row: StatusRow, now: datetime) -> str:
    """The state in Vietnamese, and until when notices held by quiet hours wait."""
    state = STATE_VI.get(row.state, row.state)
    if row.held_until and row.held_until > now:
        state += f", {held_until(row.held_until.astimezone(HCM))}"
    return state


@app.command()
def history(ref: Ref, as_json: AsJson = False,
            state_dir: StateDir = None) -> None:
    """The occurrence's timeline: reminders, escalations, completion, extensions, by whom."""
    from dondoc.services import read as reading
    from storage.audit import AuditLog

    config = settings(state_dir)
    principal = identity(config)
    ledger = ledger_of(config)
    audit = AuditLog(ledger.engine) if ledger is not None else None

    async def work() -> list[dict[str, Any]]:
        # The audit log answers without Temporal, years after its retention deleted the run.
        if audit is not None and audit.events(ref=ref):
            return await reading.history(None, ref, principal, ledger, audit)
        return await reading.history(await client_for(config), ref, principal, ledger, audit)

    rows = run(work())
    if as_json:
        print_json(rows)
        return
    for row in rows:
        at = format_datetime(datetime.fromisoformat(row["at"]).astimezone(HCM))
        rest = {k: v for k, v in row.items() if k not in ("at", "type", "actor") and v not in
                (None, "", [], {})}
        who = f" bởi {row['actor']}" if row.get("actor") else ""
        details = ", ".join(f"{k}={v}" for k, v in rest.items())
        out.print(f"{at}  {row['type']}{who}  {details}", markup=False)


@app.command()
def report(
    plan: Annotated[str, typer.Option(help="plan id")],
    period: Annotated[str | None, typer.Option(help="2025, 2025-Q1, 2025-H1, 2025-03")] = None,
    by: Annotated[str, typer.Option(help="unit, leader or task")] = "unit",
    unit: Annotated[str | None, typer.Option(help="only this lead unit (id)")] = None,
    state: Annotated[str | None, typer.Option(
        help="only this state: done_on_time, done_late, open_in_time, overdue_open, paused, "
        "cancelled")] = None,
    as_json: AsJson = False,
    as_csv: Annotated[bool, typer.Option("--csv")] = False,
    xlsx: Annotated[Path | None, typer.Option(help="write an Excel workbook here")] = None,
    state_dir: StateDir = None,
) -> None:
    """Done on time, done late, open, overdue, paused, cancelled; on-time rates; KPIs."""
    from dondoc.services import report as reporting

    if by not in ("unit", "leader", "task"):
        raise fail(f"--by: {by!r} is not unit, leader or task", 2)
    config = settings(state_dir)
    principal = identity(config)
    audit = audit_or_exit(config)
    try:
        data = allowed(lambda: reporting.build(
            audit, plan, by=by, period=period, now=datetime.now(HCM),  # type: ignore[arg-type]
            principal=principal, unit=unit, state=state))
    except reporting.ReportError as error:
        raise fail(str(error)) from None
    if xlsx is not None:
        xlsx.write_bytes(reporting.as_xlsx(data))
        out.print(f"wrote {xlsx}", markup=False)
    elif as_json:
        print_json(data)
    elif as_csv:
        sys.stdout.buffer.write(reporting.as_csv(data))
    else:
        _print_report(data)


def _print_report(data: dict[str, Any]) -> None:
    from rich.table import Table

    from plans.report import CATEGORIES, VIETNAMESE

    out.print(f"Kế hoạch {data['plan']}" + (f", kỳ {data['period']}" if data["period"] else ""),
              markup=False)
    table = Table(expand=True)
    table.add_column({"unit": "Đơn vị", "leader": "Lãnh đạo", "task": "Nhiệm vụ"}[data["by"]])
    for category in CATEGORIES:
        table.add_column(VIETNAMESE[category], justify="right")
    table.add_column("Tỷ lệ đúng hạn", justify="right")
    for row in data["rows"]:
        rate = row["on_time_rate"]
        table.add_row(row["key"], *(str(row[c]) for c in CATEGORIES),
                      "" if rate is None else f"{rate * 100:.0f}%")
    out.print(table)
    for kpi in data["kpis"]:
        value = kpi["value"] or "chưa báo cáo"
        out.print(f"{kpi['ref']}: {kpi['indicator']} {kpi['comparator']} {kpi['target']} "
                  f"{kpi['unit'] or ''}: {value}" + (" (đạt)" if kpi["met"] else
                                                    " (chưa đạt)" if kpi["met"] is False else ""),
                  markup=False)


