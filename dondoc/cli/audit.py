"""The audit log: verify its chains, archive closed histories, export it."""

from __future__ import annotations

import sys
from datetime import datetime, timedelta
from pathlib import Path
from typing import Annotated

import typer

from dondoc.cli.common import (
    EVERY_PLAN,
    HCM,
    StateDir,
    audit_or_exit,
    authorize,
    client_for,
    err,
    fail,
    group,
    identity,
    out,
    parse_day,
    refused_write,
    run,
    settings,
)

app = group("The audit log: verify it against its anchors, anchor, archive, retain, export.")
SHOWN = 50  # findings printed; the rest are counted


@app.command("verify")
def audit_verify(
    plan: Annotated[str | None, typer.Option(help="plan id")] = None,
    digest: Annotated[list[Path] | None, typer.Option(
        help="a weekly digest e-mail (.eml) the Steering Committee received; repeatable")] = None,
    no_temporal: Annotated[bool, typer.Option(
        "--no-temporal", help="do not read the anchors kept in Temporal")] = False,
    bundle: Annotated[Path | None, typer.Option(
        help="check an auditor's bundle (dondoc audit bundle) instead of the database")] = None,
    state_dir: StateDir = None,
) -> None:
    """Check the audit log: row hashes, chains, heads, retentions, archived histories, and the
    anchors kept outside the database (Temporal, the digests sent); exit 1 naming each check
    that fails and the anchor a rewrite contradicts."""
    from dondoc.services.audit import gather_anchors
    from dondoc.services.evidence import check_files, evidence_dir

    if bundle is not None:
        _verify_bundle(bundle)
        return
    config = settings(state_dir)
    principal = identity(config)
    authorize(principal, "audit", plan or EVERY_PLAN)
    audit = audit_or_exit(config)
    try:
        anchors, notes = run(gather_anchors(config, audit, digest or [],
                                            temporal=not no_temporal))
    except (ValueError, OSError) as error:
        raise fail(str(error)) from None
    verified = audit.verify(plan, anchors)
    for note in notes:
        err.print(str(note), markup=False, highlight=False)
    if verified.unlogged_archives:
        err.print(f"{verified.unlogged_archives} archived histories predate the logging of "
                  "archives: checked against their own SHA-256 only", markup=False,
                  highlight=False)
    if verified.unchecked_macs:
        err.print(f"{verified.unchecked_macs} row HMACs not checked: DONDOC_AUDIT_KEY is not "
                  "set (chains, heads and anchors were)", markup=False, highlight=False)
    findings = [str(f) for f in verified.findings] + [
        f"[evidence] {line}" for line in check_files(evidence_dir(config),
                                                    audit.stream(plan=plan, type="completed"))]
    for finding in findings[:SHOWN]:
        err.print(f"audit log broken: {finding}", markup=False, highlight=False)
    if findings:
        more = len(findings) - SHOWN
        raise fail(f"... and {more} more" if more > 0 else f"{len(findings)} check(s) failed")
    out.print(f"audit log intact: {verified.rows} rows" + (f" of plan {plan}" if plan else "")
              + f"; {verified.anchors} anchors agree", markup=False)


def _verify_bundle(folder: Path) -> None:
    """A bundle is checked on its own: no database, no Temporal, no account."""
    from dondoc.services.bundle import BundleError, verify_bundle

    try:
        plan, rows, findings = verify_bundle(folder)
    except BundleError as error:
        raise fail(str(error)) from None
    for finding in findings[:SHOWN]:
        err.print(f"bundle broken: {finding}", markup=False, highlight=False)
    if findings:
        more = len(findings) - SHOWN
        raise fail(f"... and {more} more" if more > 0 else f"{len(findings)} check(s) failed")
    out.print(f"bundle intact: {rows} audit rows of plan {plan}, with its heads, archived "
              "histories, anchors and evidence files", markup=False)


@app.command("bundle")
def audit_bundle(
    plan: Annotated[str, typer.Option(help="plan id")],
    output: Annotated[Path | None, typer.Option(
        help="a new folder (default: bundle-<plan>-<yyyy-mm-dd>)")] = None,
    state_dir: StateDir = None,
) -> None:
    """A read-only bundle for an auditor: the plan's audit rows, archived histories and
    evidence files with their hashes; `dondoc audit verify --bundle` checks it anywhere."""
    from dondoc.services.bundle import BundleError, export_bundle
    from dondoc.services.evidence import evidence_dir

    config = settings(state_dir)
    principal = identity(config)
    authorize(principal, "audit", plan)
    audit = audit_or_exit(config)
    now = datetime.now(HCM)
    folder = output or Path(f"bundle-{plan}-{now:%Y-%m-%d}")
    try:
        made = export_bundle(audit.engine, plan, folder, evidence_dir(config), now=now)
    except BundleError as error:
        raise fail(str(error)) from None
    out.print(f"{folder}: {made.rows} audit rows, {made.histories} archived histories, "
              f"{made.files} evidence files, read-only; check it with "
              f"`dondoc audit verify --bundle {folder}`", markup=False)


@app.command("anchor")
def audit_anchor(state_dir: StateDir = None) -> None:
    """Record each plan's audit head in Temporal now (a schedule does it daily at 23:50)."""
    from storage.anchors import anchor_heads

    config = settings(state_dir)
    principal = identity(config)
    authorize(principal, "archive", EVERY_PLAN)
    audit = audit_or_exit(config)

    async def work() -> int:
        return len(await anchor_heads(await client_for(config), audit, config.task_queue))

    out.print(f"{run(work())} plan heads anchored in Temporal", markup=False)


@app.command("retain")
def audit_retain(
    before: Annotated[str, typer.Option(help="remove rows older than this day (dd/mm/yyyy)")],
    by: Annotated[str, typer.Option(help="who decided it (the signer of the decision)")],
    state_dir: StateDir = None,
) -> None:
    """Retention, the one removal the database allows: recorded in the log first, then the
    older rows and archived histories removed; the chains and anchors still verify."""
    config = settings(state_dir)
    principal = identity(config)
    authorize(principal, "archive", EVERY_PLAN)
    day = parse_day(before, "--before")
    assert day is not None
    cut = datetime.combine(day, datetime.min.time(), HCM)
    now = datetime.now(HCM)
    if (now - cut).days < config.audit_keep_days:
        raise fail(f"--before: {day:%d/%m/%Y} is within the {config.audit_keep_days} days the "
                   "log must keep (DONDOC_AUDIT_KEEP_DAYS)")
    audit = audit_or_exit(config, write=True)
    try:
        removed = audit.retain(cut, by=by, now=now)
    except Exception as error:
        raise refused_write(error) from None
    out.print(f"{removed} audit rows older than {day:%d/%m/%Y} removed; the retention is in the "
              "log", markup=False)


@app.command("archive")
def audit_archive(
    hours: Annotated[int, typer.Option(help="closed in the last hours")] = 72,
    state_dir: StateDir = None,
) -> None:
    """Copy the full histories of closed runs into the database now (the schedule does it hourly)."""
    from storage.archive import HistoryArchive

    config = settings(state_dir)
    principal = identity(config)
    authorize(principal, "archive", EVERY_PLAN)
    audit = audit_or_exit(config, write=True)

    async def work() -> int:
        return await HistoryArchive(await client_for(config), audit.engine,
                                    audit).archive_closed(hours)

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
    config = settings(state_dir)
    principal = identity(config)
    authorize(principal, "audit", plan)
    audit = audit_or_exit(config)
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


