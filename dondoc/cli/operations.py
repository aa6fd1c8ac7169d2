"""Operations on running occurrences: complete, extend, approve, deny, reopen, pause, resume,
cancel, check in, trigger an event, record a KPI value."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from dondoc.cli.common import (
    HCM,
    STATE_VI,
    OnBehalf,
    OptionalReason,
    Reason,
    Ref,
    StateDir,
    allowed,
    audit_or_exit,
    client_for,
    fail,
    group,
    identity,
    kept_of,
    out,
    parse_day,
    refused_write,
    run,
    settings,
)
from plans.vietnamese import format_datetime

if TYPE_CHECKING:
    from pydantic import BaseModel

    from dondoc.services.operate import Refused
    from plans.access import Principal
    from workflows.messages import Status

app = group("Operations on occurrences.")
kpi_app = group("KPI values (chỉ tiêu).")


def _operate(ref: str, update: str, make: Callable[[Principal], BaseModel],
             state_dir: Path | None, *, by: str | None, reason: str | None) -> None:
    """Send the operation with the authenticated principal; the workflow's validator applies
    the authorization table before anything enters its history."""
    from dondoc.services import operate as operating
    from workflows.occurrence import OccurrenceWorkflow

    config = settings(state_dir)
    principal = identity(config, by=by, reason=reason)

    async def work() -> Status:
        client = await client_for(config)
        return await operating.operate(client, ref, getattr(OccurrenceWorkflow, update),
                                       make(principal))

    result = run(work())
    due = format_datetime(result.due.astimezone(HCM)) if result.due else "-"
    out.print(f"{result.ref}: {STATE_VI.get(result.state, result.state)} (hạn {due})",
              markup=False)


@app.command()
def complete(
    ref: Ref,
    evidence: Annotated[str, typer.Option(
        help="the unit's report: 'số 123/BC-TTYT ngày 28/03/2025'")] = "",
    evidence_date: Annotated[str | None, typer.Option(help="the report's date")] = None,
    file: Annotated[Path | None, typer.Option(
        "--file", help="the report itself: PDF, DOCX, XLSX or an image")] = None,
    link: Annotated[str | None, typer.Option(help="link to the report")] = None,
    note: Annotated[str | None, typer.Option(help="a note")] = None,
    by: OnBehalf = None, reason: OptionalReason = None,
    state_dir: StateDir = None,
) -> None:
    """Record that a unit reported completion, with its evidence: a document number that looks
    like one (123/BC-UBND), or the document attached with --file."""
    from dondoc.services import evidence as evidence_files
    from dondoc.services import operate as operating
    from plans.evidence import BadEvidence, check_evidence
    from workflows.messages import Complete, Evidence

    config = settings(state_dir)
    number, written_date = operating.split_evidence(evidence)
    today = datetime.now(HCM).date()
    day = parse_day(evidence_date or written_date, "--evidence-date") or today
    attached = None
    try:
        if file is not None:
            attached = evidence_files.store(file, config)
        check_evidence(number, day, has_file=attached is not None, not_before=None, today=today)
    except BadEvidence as error:
        if attached is not None:
            evidence_files.discard(attached, config)
        raise fail(f"refused: {error} [{error.code}]") from None
    proof = Evidence(number=number, date=day, link=link, note=note, **({
        "file_sha256": attached.sha256, "file_name": attached.name, "file_size": attached.size,
        "file_kind": attached.kind} if attached else {}))
    try:
        _operate(ref, "complete", lambda who: Complete(by=by or "", evidence=proof,
                                                       principal=who),
                 state_dir, by=by, reason=reason)
    except typer.Exit as done:
        if attached is not None and done.exit_code != 0:  # refused: the file is not kept
            evidence_files.discard(attached, config)
        raise


@app.command()
def extend(
    ref: Ref, reason: Reason,
    until: Annotated[str, typer.Option(help="the new deadline (dd/mm/yyyy)")],
    by: OnBehalf = None, state_dir: StateDir = None,
) -> None:
    """Ask for a new deadline; the responsible leader approves or denies it."""
    from workflows.messages import ExtensionRequest

    day = parse_day(until, "--until")
    assert day is not None
    _operate(ref, "request_extension", lambda who: ExtensionRequest(
        by=by or "", until=day, reason=reason, principal=who), state_dir, by=by, reason=reason)


@app.command("approve-extension")
def approve_extension(ref: Ref, reason: Annotated[str, typer.Option()] = "",
                      state_dir: StateDir = None) -> None:
    """The responsible leader (or the Steering Committee) grants the pending extension."""
    from workflows.messages import ActorReason

    _operate(ref, "approve_extension", lambda who: ActorReason(
        by="", reason=reason, principal=who), state_dir, by=None, reason=None)


def _actor_reason_command(name: str, update: str, help_text: str) -> None:
    """The operations that take only who does it and why."""

    def command(ref: Ref, reason: Reason, by: OnBehalf = None,
                state_dir: StateDir = None) -> None:
        from workflows.messages import ActorReason

        _operate(ref, update, lambda who: ActorReason(by=by or "", reason=reason, principal=who),
                 state_dir, by=by, reason=reason)

    app.command(name, help=help_text)(command)


for _name, _update, _help in [
    ("reopen", "reopen", "Reject the evidence of a completed occurrence: it is open again."),
    ("deny-extension", "deny_extension", "The responsible leader refuses the pending extension."),
    ("pause", "pause", "Stop reminders and escalations until resumed."),
    ("resume", "resume", "Resume a paused occurrence; what fell due meanwhile is not sent."),
    ("cancel", "cancel", "Cancel an occurrence for good."),
]:
    _actor_reason_command(_name, _update, _help)


@app.command()
def checkin(ref: Ref, note: Annotated[str, typer.Option(help="progress")],
            by: OnBehalf = None, reason: OptionalReason = None,
            state_dir: StateDir = None) -> None:
    """Report progress on an ongoing ("Thường xuyên") task."""
    from workflows.messages import Checkin

    _operate(ref, "checkin", lambda who: Checkin(by=by or "", note=note, principal=who),
             state_dir, by=by, reason=reason)


@app.command()
def trigger(
    plan: Annotated[str, typer.Argument(help="plan id")],
    event: Annotated[str, typer.Argument(help="event id, e.g. ubnd-ban-hanh-kh")],
    at: Annotated[str, typer.Option(help="when it happened (dd/mm/yyyy)")],
    state_dir: StateDir = None,
) -> None:
    """The event happened: start the clock of every task waiting for it."""
    from dondoc.services import operate as operating
    from workflows.messages import Status

    day = parse_day(at, "--at")
    assert day is not None
    config = settings(state_dir)
    principal = identity(config)

    async def work() -> list[tuple[str, Status | Refused]]:
        client = await client_for(config)
        return await operating.trigger(client, plan, event, at=day, principal=principal,
                                       kept=kept_of(config))

    results = run(work())
    if not results:
        raise fail(f"no occurrence of plan {plan!r} waits for {event!r}")
    for ref, outcome in results:
        if isinstance(outcome, Status) and outcome.due is not None:
            out.print(f"{ref}: hạn {format_datetime(outcome.due.astimezone(HCM))}", markup=False)
        else:
            out.print(f"{ref}: {outcome}", markup=False)


@kpi_app.command("record")
def kpi_record(
    ref: Ref,
    value: Annotated[str, typer.Option(help="the measured value, e.g. 58 or 58.5")],
    as_of: Annotated[str, typer.Option("--as-of", help="the day it was measured (dd/mm/yyyy)")],
    kpi: Annotated[str | None, typer.Option(help="the KPI id, when the task has several")] = None,
    by: OnBehalf = None, reason: OptionalReason = None,
    state_dir: StateDir = None,
) -> None:
    """Record a KPI's value; reports show the latest against its target."""
    from dondoc.services import report as reporting

    day = parse_day(as_of, "--as-of")
    assert day is not None
    config = settings(state_dir)
    principal = identity(config, by=by, reason=reason)
    audit = audit_or_exit(config, write=True)
    line: dict[str, Any]
    try:
        line = allowed(lambda: reporting.record_kpi(
            audit, ref, value=value, as_of=day, principal=principal, kpi_id=kpi,
            today=datetime.now(HCM).date()))
    except reporting.ReportError as error:
        raise fail(str(error)) from None
    except Exception as error:
        raise refused_write(error) from None
    out.print(f"{ref}: {line['indicator']} = {line['value']} {line['unit'] or ''} "
              f"(chỉ tiêu {line['comparator']} {line['target']})", markup=False)
