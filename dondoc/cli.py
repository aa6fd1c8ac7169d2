"""The `dondoc` command: thin wrappers that parse arguments and call `plans/` or a client."""

from __future__ import annotations

import asyncio
import json
import os
import re
import sys
from collections.abc import Coroutine
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Annotated, Any, TypeVar
from zoneinfo import ZoneInfo

import typer
from pydantic import BaseModel
from rich.console import Console
from rich.progress import Progress
from rich.table import Table
from temporalio.client import Client

from activities.audit import AuditLog
from dondoc.files import Loaded, file_kind, read_calendar, read_contacts, read_plan
from dondoc.settings import Settings, load_settings
from plans import schedule
from plans.deadline import as_contract
from plans.grammar import parse_deadline
from plans.validation import Checked, Problem
from plans.vietnamese import format_date, format_datetime
from workflows.messages import ActorReason

app = typer.Typer(
    help="Đôn đốc: nhắc việc, đôn đốc và theo dõi các nhiệm vụ của kế hoạch.",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode=None,  # help texts hold "[/UNIT]" and "[@PERIOD]", which are not markup
    pretty_exceptions_enable=False,
)
out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)
HCM = ZoneInfo("Asia/Ho_Chi_Minh")
T = TypeVar("T")

StateDir = Annotated[
    Path | None,
    typer.Option("--state-dir", help="state folder (else DONDOC_STATE_DIR, else .dondoc/)"),
]


def settings(state_dir: Path | None = None) -> Settings:
    """The settings, with the state folder from --state-dir, and the address of a `dondoc dev`
    running on that folder when DONDOC_TEMPORAL_ADDRESS does not name another server."""
    resolved = load_settings().with_state_dir(state_dir)
    if "temporal_address" not in resolved.model_fields_set:
        from dondoc.devserver import dev_address

        address = dev_address(resolved)
        if address:
            resolved = resolved.model_copy(update={"temporal_address": address})
    return resolved


def fail(message: str, code: int = 1) -> typer.Exit:
    err.print(message, markup=False)
    return typer.Exit(code)


def print_problems(problems: list[Problem]) -> None:
    for problem in problems:
        err.print(str(problem), markup=False)


def load_or_exit(path: Path, contacts: Path | None = None) -> Loaded:
    loaded, problems = read_plan(
        path, calendar_file=settings().calendar_file, contacts_file=contacts
    )
    print_problems(problems)
    if loaded is None:
        raise fail(f"{path}: not loaded ({_count(problems)})")
    return loaded


def _count(problems: list[Problem]) -> str:
    errors = sum(p.severity == "error" for p in problems)
    warnings = len(problems) - errors
    return f"{errors} error{'s' * (errors != 1)}, {warnings} warning{'s' * (warnings != 1)}"


@app.command()
def validate(
    files: Annotated[list[Path], typer.Argument(help="plan files (*.yaml)")],
    contacts: Annotated[Path | None, typer.Option(help="contacts file to check with them")] = None,
) -> None:
    """Check plan files (and contacts or calendar files): one line per problem,
    FILE:LINE:COL: field: message."""
    failed = False
    for path in files:
        kind = file_kind(path)
        if kind != "plan":
            checked = read_contacts(path) if kind == "contacts" else _calendar_checked(path)
            print_problems(checked.problems)
            failed |= not checked.ok
            if checked.ok:
                out.print(f"{path}: ok ({kind})", markup=False)
            continue
        loaded, problems = read_plan(
            path, calendar_file=settings().calendar_file, contacts_file=contacts
        )
        print_problems(problems)
        if loaded is None:
            failed = True
        else:
            count = len(schedule.expand(loaded.plan))
            out.print(f"{path}: ok, {len(loaded.plan.tasks)} tasks, {count} occurrences"
                      + (f" ({_count(problems)})" if problems else ""), markup=False)
    if failed:
        raise typer.Exit(1)


def _calendar_checked(path: Path) -> Checked[Any]:
    overrides, problems = read_calendar(path)
    return Checked(overrides, problems)


def _parse_day(value: str | None, option: str) -> date | None:
    if value is None:
        return None
    for pattern in ("%Y-%m-%d", "%d/%m/%Y"):
        try:
            return datetime.strptime(value, pattern).date()
        except ValueError:
            continue
    raise fail(f"{option}: {value!r} is not a date (use 2025-04-30 or 30/04/2025)", 2)


def occurrence_json(occ: schedule.Occurrence, loaded: Loaded) -> dict[str, Any]:
    calendar, policy = loaded.calendar, occ.policy
    steps: dict[str, list[schedule.Step]] = {"reminders": [], "escalations": [], "checkins": []}
    if occ.due is not None and occ.due_date is not None:
        steps["reminders"] = schedule.reminders(occ.due_date, occ.due, policy, calendar)
        rungs = len(policy.escalation) + (1 if policy.escalation_repeat else 0)
        steps["escalations"] = schedule.escalations(occ.due_date, occ.due, policy, calendar,
                                                    count=rungs)
    if occ.kind == "ongoing":
        steps["checkins"] = schedule.checkins(occ, calendar, loaded.plan.plan.years)
    return {
        "ref": occ.ref,
        "plan": occ.plan_id,
        "task": occ.task_id,
        "unit": occ.unit_id or (occ.lead[0] if len(occ.lead) == 1 else None),
        "lead": occ.lead,
        "coordinating": occ.coordinating,
        "leader": occ.leader,
        "period": occ.period,
        "kind": occ.kind,
        "title": occ.title,
        "source": occ.source,
        "deadline_text": occ.deadline_text,
        "start": occ.start.isoformat() if occ.start else None,
        "due": occ.due.isoformat() if occ.due else None,
        "waits_for": occ.waits_for,
        "kpis": [k.model_dump(mode="json", exclude_none=True) for k in occ.kpis],
        **{
            name: [
                {"name": s.name, "at": s.at.isoformat()}
                | ({"to": s.to, "level": s.level} if name == "escalations" else {})
                for s in items
            ]
            for name, items in steps.items()
        },
    }


def _in_window(occ: schedule.Occurrence, start: date | None, end: date | None) -> bool:
    if start is None and end is None:
        return True
    if occ.due is None:
        return False
    day = occ.due.date()
    return (start is None or day >= start) and (end is None or day <= end)


@app.command()
def show(
    file: Annotated[Path, typer.Argument(help="plan file")],
    as_json: Annotated[bool, typer.Option("--json", help="print JSON")] = False,
    unit: Annotated[str | None, typer.Option(help="only this lead unit (id)")] = None,
    from_: Annotated[str | None, typer.Option("--from", help="due on or after (dd/mm/yyyy)")] = None,
    to: Annotated[str | None, typer.Option(help="due on or before (dd/mm/yyyy)")] = None,
) -> None:
    """The expanded schedule: each occurrence, its due date, reminders and escalations."""
    loaded = load_or_exit(file)
    start, end = _parse_day(from_, "--from"), _parse_day(to, "--to")
    if unit is not None and unit not in {u.id for u in loaded.plan.units}:
        from plans.validation import closest

        raise fail(f"--unit: unknown unit {unit!r}"
                   f"{closest(unit, [u.id for u in loaded.plan.units])}", 2)
    occurrences = [
        o for o in schedule.expand(loaded.plan)
        if _in_window(o, start, end) and (unit is None or unit in o.lead)
    ]
    rows = [occurrence_json(o, loaded) for o in occurrences]
    if as_json:
        print_json(rows)
        return
    _print_schedule(loaded, rows)


def _print_schedule(loaded: Loaded, rows: list[dict[str, Any]]) -> None:
    info = loaded.plan.plan
    out.print(f"[bold]{info.number or '(chưa có số)'}[/] {info.title}")
    table = Table(show_lines=False, expand=True)
    table.add_column("Mã (ref)", overflow="fold", ratio=3)
    table.add_column("Nhiệm vụ", overflow="fold", ratio=4)
    table.add_column("Chủ trì", ratio=1)
    table.add_column("Hạn", ratio=2)
    table.add_column("Nhắc việc", ratio=2)
    table.add_column("Leo thang", ratio=2)
    names = {u.id: u.name for u in loaded.plan.units}
    for row in rows:
        if row["due"]:
            due = format_datetime(datetime.fromisoformat(row["due"]))
        elif row["kind"] == "ongoing":
            due = f"Thường xuyên ({len(row['checkins'])} kỳ báo cáo)"
        else:
            due = f"chờ sự kiện: {row['waits_for']}"
        table.add_row(
            row["ref"],
            row["title"],
            ", ".join(names.get(u, u) for u in row["lead"]),
            due,
            ", ".join(format_date(datetime.fromisoformat(s["at"]).date())
                      for s in row["reminders"]),
            ", ".join(format_date(datetime.fromisoformat(s["at"]).date())
                      for s in row["escalations"]),
        )
    out.print(table)
    out.print(f"{len(rows)} occurrences")


@app.command("parse-deadline")
def parse_deadline_command(
    text: Annotated[str, typer.Argument(help="a deadline phrase, or - to read one per line")],
    year: Annotated[int | None, typer.Option(help="the plan's year (default: this year)")] = None,
    issued: Annotated[str | None, typer.Option(help="the plan's issue date")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="print JSON")] = False,
) -> None:
    """Read Vietnamese deadline phrases: 'Quý I/2025', 'trước ngày 30/04/2025', 'Thường xuyên'."""
    from plans.calendar import WorkingCalendar

    context_year = year or datetime.now(HCM).year
    issued_on = _parse_day(issued, "--issued")
    calendar = WorkingCalendar.vietnam([context_year])
    phrases = sys.stdin.read().splitlines() if text == "-" else [text]
    for phrase in phrases:
        deadline = parse_deadline(phrase, year=context_year, issued=issued_on,
                                  add_working_days=calendar.add_working_days)
        result = as_contract(phrase, deadline, tz=HCM)
        if as_json:
            sys.stdout.write(json.dumps(result, ensure_ascii=False) + "\n")
        else:
            reason = f" ({deadline.reason})" if deadline.kind == "unknown" else ""  # type: ignore[union-attr]
            due = ", ".join(result["due"]) or "-"
            out.print(f"{phrase}: {result['kind']}{reason}; due {due}"
                      + (f"; event {result['event']}" if result["event"] else "")
                      + (f"; start {result['start']}" if result["start"] else ""), markup=False)


@app.command()
def schema(
    output: Annotated[Path, typer.Argument(help="where to write")] = Path(
        "definitions/plan.schema.json"),
) -> None:
    """Write the JSON schema of plan files, for editors."""
    from dondoc.planschema import write_schema

    write_schema(output)
    out.print(f"wrote {output}", markup=False)


# -- the engine: load, operate, watch ------------------------------------------------------------


def run(work: Coroutine[Any, Any, T]) -> T:
    """Run a client coroutine; turn the errors a user can fix into one line and an exit code."""
    from dondoc.engine import Refused, UnknownRef
    from dondoc.temporal import Unreachable

    try:
        return asyncio.run(work)
    except Unreachable as error:
        raise fail(str(error)) from None
    except UnknownRef as error:
        raise fail(str(error)) from None
    except Refused as error:
        if error.kind == "AlreadyDone":
            out.print(str(error), markup=False)
            raise typer.Exit(0) from None
        raise fail(f"refused: {error}") from None


async def client_for(config: Settings) -> Client:
    from dondoc.temporal import connect

    return await connect(config)


@app.command()
def load(
    file: Annotated[Path, typer.Argument(help="plan file")],
    contacts: Annotated[Path | None, typer.Option(help="contacts file")] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="say what would change")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="print JSON")] = False,
    state_dir: StateDir = None,
) -> None:
    """Start one workflow per occurrence; a new version of a plan applies the difference."""
    from dondoc import engine

    loaded = load_or_exit(file, contacts)
    config = settings(state_dir)
    if contacts is not None and not dry_run:
        install_contacts(contacts, loaded.plan.plan.id, config)

    async def work() -> engine.LoadSummary:
        client = await client_for(config)
        count = len(schedule.expand(loaded.plan))
        with Progress(transient=True, disable=as_json or not out.is_terminal,
                      console=out) as progress:
            bar = progress.add_task(f"{loaded.plan.plan.id}", total=count)
            return await engine.load(
                client, loaded, task_queue=config.task_queue, now=datetime.now(HCM),
                dry_run=dry_run, on_progress=lambda ref, outcome: progress.advance(bar))

    summary = run(work())
    if as_json:
        print_json(summary.as_json())
        return
    verb = "would be " if dry_run else ""
    out.print(f"{loaded.plan.plan.id} (version {summary.version}): "
              f"{summary.count('started')} {verb}started, "
              f"{summary.count('unchanged') + summary.count('exists')} already running, "
              f"{summary.count('amended')} {verb}amended, {summary.count('cancelled')} "
              f"{verb}cancelled; {len(summary.past_due)} of those started already past due",
              markup=False)
    if summary.count("started") == 0 and summary.count("amended") == 0 and not dry_run:
        out.print("nothing new to start: this version of the plan is already loaded",
                  markup=False)


@app.command()
def status(
    plan: Annotated[str | None, typer.Option(help="plan id")] = None,
    unit: Annotated[str | None, typer.Option(help="unit id")] = None,
    state: Annotated[str | None, typer.Option(help="scheduled, due_soon, overdue, ...")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="print JSON")] = False,
    state_dir: StateDir = None,
) -> None:
    """Where every occurrence stands: scheduled, due soon, overdue, done, paused ..."""
    from dondoc import engine
    from workflows.messages import State

    if state is not None and state not in State.__args__:  # type: ignore[attr-defined]
        from plans.validation import closest

        raise fail(f"--state: unknown state {state!r}{closest(state, State.__args__)}", 2)  # type: ignore[attr-defined]

    async def work() -> list[engine.StatusRow]:
        return await engine.status(await client_for(settings(state_dir)), plan=plan, unit=unit,
                                   state=state)

    rows = run(work())
    if as_json:
        print_json([r.model_dump(mode="json") for r in rows])
        return
    table = Table(expand=True)
    for column in ("Mã (ref)", "Đơn vị", "Hạn", "Trạng thái", "Mức báo cáo"):
        table.add_column(column, overflow="fold")
    for row in rows:
        table.add_row(row.ref, row.unit or "", format_datetime(row.due.astimezone(HCM))
                      if row.due else "", STATE_VI.get(row.state, row.state),
                      str(row.escalation_level or ""))
    out.print(table)
    out.print(f"{len(rows)} occurrences", markup=False)


def install_contacts(source: Path, plan_id: str, config: Settings) -> None:
    """Put a validated contacts file where workers read it: <contacts dir>/<plan id>.yaml."""
    folder = config.contacts_dir or config.state_dir / "contacts"
    folder.mkdir(parents=True, exist_ok=True)
    temporary = folder / f".{plan_id}.yaml.tmp"
    temporary.write_text(source.read_text("utf-8"), "utf-8")
    temporary.replace(folder / f"{plan_id}.yaml")  # atomic: a worker never reads half a file
    out.print(f"contacts of {plan_id} installed in {folder}", markup=False)


STATE_VI = {
    "scheduled": "đang thực hiện trong hạn", "due_soon": "sắp đến hạn", "overdue": "quá hạn",
    "done_on_time": "hoàn thành đúng hạn", "done_late": "hoàn thành quá hạn",
    "paused": "tạm dừng", "cancelled": "đã hủy", "waiting_trigger": "chờ sự kiện",
    "ongoing": "thường xuyên",
}


def _evidence(text: str, evidence_date: str | None, link: str | None, note: str | None) -> Any:
    from workflows.messages import Evidence

    match = re.match(r"^\s*(?P<number>.+?)\s*(?:,|ngày)\s*(?P<date>\d{1,2}/\d{1,2}/\d{4})\s*$", text)
    number = re.sub(r"^(?:số|so)\s+", "", match.group("number") if match else text.strip(),
                    flags=re.IGNORECASE)
    day = _parse_day(evidence_date or (match.group("date") if match else None), "--evidence-date")
    return Evidence(number=number, date=day or datetime.now(HCM).date(), link=link, note=note)


def _operate(ref: str, update: str, argument: BaseModel, state_dir: Path | None) -> None:
    from dondoc import engine
    from workflows.occurrence import OccurrenceWorkflow

    async def work() -> Any:
        client = await client_for(settings(state_dir))
        return await engine.operate(client, ref, getattr(OccurrenceWorkflow, update), argument)

    result = run(work())
    due = format_datetime(result.due.astimezone(HCM)) if result.due else "-"
    out.print(f"{result.ref}: {STATE_VI.get(result.state, result.state)} (hạn {due})",
              markup=False)


Ref = Annotated[str, typer.Argument(help="occurrence reference PLAN/TASK[/UNIT][@PERIOD]")]
By = Annotated[str, typer.Option("--by", help="who does it: a unit or person id of the plan")]
Reason = Annotated[str, typer.Option("--reason", help="why")]


@app.command()
def complete(
    ref: Ref, by: By,
    evidence: Annotated[str, typer.Option(help="the unit's report: 'số 123/BC-TTYT ngày 28/03/2025'")],
    evidence_date: Annotated[str | None, typer.Option(help="the report's date")] = None,
    link: Annotated[str | None, typer.Option(help="link to the report")] = None,
    note: Annotated[str | None, typer.Option(help="a note")] = None,
    state_dir: StateDir = None,
) -> None:
    """Record that a unit reported completion, with its evidence."""
    from workflows.messages import Complete

    _operate(ref, "complete", Complete(by=by, evidence=_evidence(evidence, evidence_date, link,
                                                                 note)), state_dir)



@app.command()
def extend(
    ref: Ref, by: By, reason: Reason,
    until: Annotated[str, typer.Option(help="the new deadline (dd/mm/yyyy)")],
    state_dir: StateDir = None,
) -> None:
    """Ask for a new deadline; the responsible leader approves or denies it."""
    from workflows.messages import ExtensionRequest

    day = _parse_day(until, "--until")
    assert day is not None
    _operate(ref, "request_extension", ExtensionRequest(by=by, until=day, reason=reason),
             state_dir)


@app.command("approve-extension")
def approve_extension(ref: Ref, by: By, reason: Annotated[str, typer.Option()] = "",
                      state_dir: StateDir = None) -> None:
    """The responsible leader grants the pending extension."""
    _operate(ref, "approve_extension", ActorReason(by=by, reason=reason), state_dir)






def _actor_reason_command(name: str, update: str, help_text: str) -> None:
    """The operations that take only who does it and why."""

    def command(ref: Ref, by: By, reason: Reason, state_dir: StateDir = None) -> None:
        _operate(ref, update, ActorReason(by=by, reason=reason), state_dir)

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
def checkin(ref: Ref, by: By, note: Annotated[str, typer.Option(help="progress")],
            state_dir: StateDir = None) -> None:
    """Report progress on an ongoing ("Thường xuyên") task."""
    from workflows.messages import Checkin

    _operate(ref, "checkin", Checkin(by=by, note=note), state_dir)


@app.command()
def trigger(
    plan: Annotated[str, typer.Argument(help="plan id")],
    event: Annotated[str, typer.Argument(help="event id, e.g. ubnd-ban-hanh-kh")],
    at: Annotated[str, typer.Option(help="when it happened (dd/mm/yyyy)")],
    by: By,
    state_dir: StateDir = None,
) -> None:
    """The event happened: start the clock of every task waiting for it."""
    from dondoc import engine
    from workflows.messages import Trigger
    from workflows.occurrence import OccurrenceWorkflow

    day = _parse_day(at, "--at")
    assert day is not None

    async def work() -> list[tuple[str, str]]:
        client = await client_for(settings(state_dir))
        refs = await engine.waiting_for(client, plan, event)
        results = []
        for ref in refs:
            try:
                status = await engine.operate(client, ref, OccurrenceWorkflow.trigger,
                                              Trigger(event=event, at=day, by=by))
                results.append((ref, f"hạn {format_datetime(status.due.astimezone(HCM))}"))
            except engine.Refused as refusal:
                if refusal.kind != "AlreadyDone":
                    raise
                results.append((ref, str(refusal)))
        return results

    results = run(work())
    if not results:
        raise fail(f"no occurrence of plan {plan!r} waits for {event!r}")
    for ref, outcome in results:
        out.print(f"{ref}: {outcome}", markup=False)


@app.command()
def history(ref: Ref, as_json: Annotated[bool, typer.Option("--json")] = False,
            state_dir: StateDir = None) -> None:
    """The occurrence's timeline: reminders, escalations, completion, extensions, by whom."""
    from dondoc import engine

    config = settings(state_dir)
    ledger = ledger_of(config)
    audit = AuditLog(ledger.engine) if ledger is not None else None

    async def work() -> list[dict[str, Any]]:
        # The audit log answers without Temporal, years after its retention deleted the run.
        if audit is not None and audit.events(ref=ref):
            return await engine.history(None, ref, ledger, audit)
        return await engine.history(await client_for(config), ref, ledger, audit)

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
def schedules(
    run_now: Annotated[bool, typer.Option("--run-now", help="also run the digest now")] = False,
    state_dir: StateDir = None,
) -> None:
    """Create or update the Temporal Schedules: the weekly digest (Monday 07:30)."""
    from dondoc.schedules import ensure_schedules, run_digest_now

    config = settings(state_dir)

    async def work() -> str:
        client = await client_for(config)
        outcome = await ensure_schedules(client, config.task_queue)
        if run_now:
            await run_digest_now(client)
        return outcome

    outcome = run(work())
    out.print(f"weekly digest schedule {outcome} (Thứ Hai 07:30, Asia/Ho_Chi_Minh)"
              + ("; running it now" if run_now else ""), markup=False)


@app.command()
def worker(state_dir: StateDir = None) -> None:
    """Run a worker against the Temporal cluster of the settings (DONDOC_TEMPORAL_ADDRESS)."""
    import worker as worker_module
    from dondoc import logs
    from dondoc.temporal import Unreachable

    config = settings(state_dir)
    logs.configure(config.log_level)
    try:
        asyncio.run(worker_module.run_worker(config))
    except Unreachable as error:
        raise fail(str(error)) from None


@app.command()
def dev(
    state_dir: StateDir = None,
    port: Annotated[int, typer.Option(help="Temporal frontend port")] = 7233,
    ui_port: Annotated[int, typer.Option(help="Temporal web UI port")] = 8233,
    demo: Annotated[bool, typer.Option("--demo", help="load a demo plan due in minutes")] = False,
) -> None:
    """Everything on this machine: the Temporal dev server (SQLite in the state folder, web UI),
    dondoc's search attributes, a worker; Ctrl-C stops it all."""
    from dondoc.dev import run_dev

    config = settings(state_dir).model_copy(update={"temporal_address": f"127.0.0.1:{port}"})
    try:
        asyncio.run(run_dev(config, port=port, ui_port=ui_port, demo=demo, console=out))
    except (OSError, RuntimeError, TimeoutError) as error:
        raise fail(f"dondoc dev: {error}") from None


audit_app = typer.Typer(help="The audit log: verify its chains, export it.",
                        no_args_is_help=True, rich_markup_mode=None)
app.add_typer(audit_app, name="audit")


def audit_or_exit(config: Settings) -> AuditLog:
    ledger = ledger_of(config)
    if ledger is None:
        raise fail(f"no dondoc database in {config.state_dir} (set DONDOC_DATABASE_URL or "
                   "--state-dir)")
    return AuditLog(ledger.engine)


@audit_app.command("verify")
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


@audit_app.command("archive")
def audit_archive(
    hours: Annotated[int, typer.Option(help="closed in the last hours")] = 72,
    state_dir: StateDir = None,
) -> None:
    """Copy the full histories of closed runs into the database now (the schedule does it hourly)."""
    from activities.archive import Archiver

    config = settings(state_dir)
    audit = audit_or_exit(config)

    async def work() -> int:
        return await Archiver(await client_for(config), audit.engine).archive_closed(hours)

    try:
        archived = run(work())
    except Exception as error:
        raise refused_write(error) from None
    out.print(f"{archived} histories archived", markup=False)


@audit_app.command("export")
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
    from dondoc.audit_export import export

    if format not in ("csv", "json"):
        raise fail(f"--format: {format!r} is not csv or json", 2)
    audit = audit_or_exit(settings(state_dir))
    start, end = _parse_day(from_, "--from"), _parse_day(to, "--to")
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


db_app = typer.Typer(help="dondoc's database: migrations, auditor access.",
                     no_args_is_help=True, rich_markup_mode=None)
app.add_typer(db_app, name="db")


@db_app.command("upgrade")
def db_upgrade(state_dir: StateDir = None) -> None:
    """Bring the database to the latest schema (workers also do it when they start)."""
    from dondoc.db import database_url, upgrade

    upgrade(database_url(settings(state_dir)))
    out.print("database schema up to date", markup=False)


@db_app.command("grant-auditor")
def db_grant_auditor(
    login: Annotated[str, typer.Argument(help="the auditor's PostgreSQL login, e.g. thanh_tra")],
    password: Annotated[str, typer.Option(prompt=True, hide_input=True,
                                          help="the login's password")],
    state_dir: StateDir = None,
) -> None:
    """Give an auditor read-only access: SELECT on the audit and report tables, nothing else."""
    from dondoc.db import database_url, grant_auditor

    try:
        grant_auditor(database_url(settings(state_dir)), login, password)
    except ValueError as error:
        raise fail(str(error)) from None
    out.print(f"{login} can now read the audit log and reports, and write nothing", markup=False)


def refused_write(error: Exception) -> typer.Exit:
    from dondoc.db import is_read_only_refusal

    if is_read_only_refusal(error):
        return fail("the database refused to write: this user has read-only (auditor) access; "
                    "ask the office to do it")
    raise error


@app.command()
def report(
    plan: Annotated[str, typer.Option(help="plan id")],
    period: Annotated[str | None, typer.Option(help="2025, 2025-Q1, 2025-H1, 2025-03")] = None,
    by: Annotated[str, typer.Option(help="unit, leader or task")] = "unit",
    as_json: Annotated[bool, typer.Option("--json")] = False,
    as_csv: Annotated[bool, typer.Option("--csv")] = False,
    state_dir: StateDir = None,
) -> None:
    """Done on time, done late, open, overdue, paused, cancelled; on-time rates; KPIs."""
    from dondoc import reporting

    if by not in ("unit", "leader", "task"):
        raise fail(f"--by: {by!r} is not unit, leader or task", 2)
    audit = audit_or_exit(settings(state_dir))
    try:
        data = reporting.build(audit, plan, by=by, period=period,  # type: ignore[arg-type]
                               now=datetime.now(HCM))
    except reporting.ReportError as error:
        raise fail(str(error)) from None
    if as_json:
        print_json(data)
    elif as_csv:
        sys.stdout.buffer.write(reporting.as_csv(data))
    else:
        _print_report(data)


def _print_report(data: dict[str, Any]) -> None:
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


kpi_app = typer.Typer(help="KPI values (chỉ tiêu).", no_args_is_help=True, rich_markup_mode=None)
app.add_typer(kpi_app, name="kpi")


@kpi_app.command("record")
def kpi_record(
    ref: Ref, by: By,
    value: Annotated[str, typer.Option(help="the measured value, e.g. 58 or 58.5")],
    as_of: Annotated[str, typer.Option("--as-of", help="the day it was measured (dd/mm/yyyy)")],
    kpi: Annotated[str | None, typer.Option(help="the KPI id, when the task has several")] = None,
    state_dir: StateDir = None,
) -> None:
    """Record a KPI's value; reports show the latest against its target."""
    from dondoc import reporting

    day = _parse_day(as_of, "--as-of")
    assert day is not None
    audit = audit_or_exit(settings(state_dir))
    try:
        line = reporting.record_kpi(audit, ref, value=value, as_of=day, by=by, kpi_id=kpi,
                                    today=datetime.now(HCM).date())
    except reporting.ReportError as error:
        raise fail(str(error)) from None
    except Exception as error:
        raise refused_write(error) from None
    out.print(f"{ref}: {line['indicator']} = {line['value']} {line['unit'] or ''} "
              f"(chỉ tiêu {line['comparator']} {line['target']})", markup=False)


def ledger_of(config: Settings) -> Any:
    """The delivery ledger when this machine has one (the state folder's or the database's).
    Connecting does not migrate: an auditor's read-only role may read, never change, the
    schema."""
    from activities.ledger import Ledger
    from dondoc.db import database_url

    if config.database_url is None and not (config.state_dir / "dondoc.db").exists():
        return None
    return Ledger.connect(database_url(config))


def print_json(data: Any) -> None:
    json.dump(data, sys.stdout, ensure_ascii=False, indent=2, default=str)
    sys.stdout.write("\n")


def main() -> None:
    code: int | str | None = 0
    try:
        app()
    except SystemExit as done:  # click ends every run this way, usage errors (2) included
        code = done.code
    except KeyboardInterrupt:
        err.print("interrupted")
        code = 130
    sys.stdout.flush()
    sys.stderr.flush()
    # The Temporal client's native threads can call back into Python while the interpreter
    # finalizes and abort it ("PyGILState_Release"); all work is done and flushed here.
    os._exit(code if isinstance(code, int) else 1 if code else 0)
