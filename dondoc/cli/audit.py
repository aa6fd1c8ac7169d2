"""The audit log: verify its chains, archive closed histories, export it."""

from __future__ import annotations

import sys
from datetime import datetime, timedelta
from pathlib import Path
from typing import Annotated

import typer

from dondoc.cli.common import (
    HCM,
    StateDir,
    audit_or_exit,
    client_for,
    fail,
    group,
    out,
    parse_day,
    refused_write,
    run,
    settings,
)

app = group("The audit log: verify its chains, export it.")


@app.command("verify")
def audit_verify(plan: Annotated[str | None, typer.Option(help="plan id")] = None,
                 state_dir: StateDir = None) -> None:
    """Recompute the hash chains; exit 1 naming the first row that was edited or deleted."""
    audit = audit_or_exit(settings(state_dir))
    broken = audit.verify(plan)
    if broken is not None:
        raise fail(f"audit log broken at {broken}")
    count = len(audit.events(plan=plan))
    out.print(f"audit log intact: {count} rows" + (f" of plan {plan}" if plan else ""),
              markup=False)


@app.command("archive")
def audit_archive(
    hours: Annotated[int, typer.Option(help="closed in the last hours")] = 72,
    state_dir: StateDir = None,
) -> None:
    """Copy the full histories of closed runs into the database now (the schedule does it hourly)."""
    from storage.archive import HistoryArchive

    config = settings(state_dir)
    audit = audit_or_exit(config)

    async def work() -> int:
        return await HistoryArchive(await client_for(config), audit.engine).archive_closed(hours)

    try:
        archived = run(work())
    except Exception as error:
        raise refused_write(error) from None
    out.print(f"{archived} histories archived", markup=False)


@app.command("export")
def audit_export(
    plan: Annotated[str, typer.Option(help="plan id")],
    format: Annotated[str, typer.Option("--format", help="csv or json")] = "csv",
    from_: Annotated[str | None, typer.Option("--from", help="from this day (dd/mm/yyyy)")] = None,
    to: Annotated[str | None, typer.Option(help="up to this day, included")] = None,
    output: Annotated[Path | None, typer.Option(help="file to write (else standard output)")]
    = None,
    state_dir: StateDir = None,
) -> None:
    """The plan's audit rows; CSV is UTF-8 with a BOM, so Excel shows Vietnamese correctly."""
    from dondoc.services.audit import export

    if format not in ("csv", "json"):
        raise fail(f"--format: {format!r} is not csv or json", 2)
    audit = audit_or_exit(settings(state_dir))
    start, end = parse_day(from_, "--from"), parse_day(to, "--to")
    rows = audit.events(
        plan=plan,
        since=datetime.combine(start, datetime.min.time(), HCM) if start else None,
        until=datetime.combine(end, datetime.min.time(), HCM) + timedelta(days=1) if end else None)
    if not rows and not audit.events(plan=plan):
        raise fail(f"no audit rows for plan {plan!r}")
    data = export(rows, format)
    if output is None:
        sys.stdout.buffer.write(data)
    else:
        output.write_bytes(data)
        out.print(f"{len(rows)} rows written to {output}", markup=False)


