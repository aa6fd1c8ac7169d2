"""Plan files: validate, show the schedule, read deadline phrases, write the schema, load."""

from __future__ import annotations

import sys
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from dondoc.cli.common import (
    HCM,
    AsJson,
    StateDir,
    authorize,
    client_for,
    count_problems,
    err,
    fail,
    group,
    identity,
    kept_of,
    load_or_exit,
    out,
    parse_day,
    print_json,
    print_problems,
    run,
    settings,
)
from plans.vietnamese import format_date, format_datetime

if TYPE_CHECKING:
    from dondoc.files import Loaded
    from dondoc.services.load import LoadSummary, Preview
    from dondoc.settings import Settings
    from plans import schedule
    from plans.access import Principal
    from plans.validation import Checked

app = group("Plan files.")


@app.command()
def validate(
    files: Annotated[list[Path], typer.Argument(help="plan files (*.yaml)")],
    contacts: Annotated[Path | None, typer.Option(help="contacts file to check with them")] = None,
) -> None:
    """Check plan files (and contacts or calendar files): one line per problem,
    FILE:LINE:COL: field: message."""
    from dondoc.files import file_kind, read_contacts, read_plan
    from plans import schedule

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
                      + (f" ({count_problems(problems)})" if problems else ""), markup=False)
    if failed:
        raise typer.Exit(1)


def _calendar_checked(path: Path) -> Checked[Any]:
    from dondoc.files import read_calendar
    from plans.validation import Checked

    overrides, problems = read_calendar(path)
    return Checked(overrides, problems)


def occurrence_json(occ: schedule.Occurrence, loaded: Loaded) -> dict[str, Any]:
    from plans import schedule

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
    as_json: AsJson = False,
    unit: Annotated[str | None, typer.Option(help="only this lead unit (id)")] = None,
    from_: Annotated[str | None, typer.Option("--from", help="due on or after (dd/mm/yyyy)")] = None,
    to: Annotated[str | None, typer.Option(help="due on or before (dd/mm/yyyy)")] = None,
) -> None:
    """The expanded schedule: each occurrence, its due date, reminders and escalations."""
    from plans import schedule

    loaded = load_or_exit(file)
    start, end = parse_day(from_, "--from"), parse_day(to, "--to")
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
    from rich.table import Table

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
    as_json: AsJson = False,
) -> None:
    """Read Vietnamese deadline phrases: 'Quý I/2025', 'trước ngày 30/04/2025', 'Thường xuyên'."""
    from plans.calendar import WorkingCalendar
    from plans.grammar.service import check_year, json_line, read_lines, split_lines

    context_year = datetime.now(HCM).year if year is None else year
    if (bad_year := check_year(context_year)) is not None:
        raise fail(bad_year, 2)
    issued_on = parse_day(issued, "--issued")
    calendar = WorkingCalendar.vietnam([context_year])
    phrases = split_lines(sys.stdin.read()) if text == "-" else [text]
    refused = 0
    for result, reason in read_lines(phrases, year=context_year, issued=issued_on,
                                     add_working_days=calendar.add_working_days, tz=HCM):
        refused += "error" in result
        if as_json:
            sys.stdout.write(json_line(result))
        elif "error" in result:
            out.print(f"{result['text']}: error ({result['error']})", markup=False)
        else:
            due = ", ".join(result["due"]) or "-"
            out.print(f"{result['text']}: {result['kind']}" + (f" ({reason})" if reason else "")
                      + f"; due {due}"
                      + (f"; event {result['event']}" if result["event"] else "")
                      + (f"; start {result['start']}" if result["start"] else ""), markup=False)
    if refused:
        raise fail(f"{refused} of {len(phrases)} phrases refused (see their error)", 1)


@app.command()
def schema(
    output: Annotated[Path, typer.Argument(help="where to write")] = Path(
        "definitions/plan.schema.json"),
) -> None:
    """Write the JSON schema of plan files, for editors."""
    from dondoc.planschema import write_schema

    write_schema(output)
    out.print(f"wrote {output}", markup=False)


@app.command()
def load(
    file: Annotated[Path, typer.Argument(help="plan file")],
    contacts: Annotated[Path | None, typer.Option(help="contacts file")] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="say what would change")] = False,
    as_json: AsJson = False,
    state_dir: StateDir = None,
) -> None:
    """Start one workflow per occurrence; a new version of a plan applies the difference."""
    from rich.progress import Progress

    from dondoc.services import load as loading
    from plans import schedule

    loaded = load_or_exit(file, contacts)
    config = settings(state_dir)
    principal = identity(config)
    authorize(principal, "load", loaded.plan.plan.id)
    if contacts is not None and not dry_run:
        folder = loading.install_contacts(contacts, loaded.plan.plan.id, config)
        # On stderr with --json: standard output is the JSON document alone.
        (err if as_json else out).print(f"contacts of {loaded.plan.plan.id} installed in "
                                        f"{folder}", markup=False)

    async def work() -> LoadSummary:
        client = await client_for(config)
        count = len(schedule.expand(loaded.plan))
        with Progress(transient=True, disable=as_json or not out.is_terminal,
                      console=out) as progress:
            bar = progress.add_task(f"{loaded.plan.plan.id}", total=count)
            return await loading.load(
                client, loaded, task_queue=config.task_queue, now=datetime.now(HCM),
                principal=principal, dry_run=dry_run, kept=kept_of(config),
                on_progress=lambda ref, outcome: progress.advance(bar))

    summary = run(work())
    if as_json:
        print_json(summary.as_json())
        return
    if dry_run:
        _print_difference(run(_preview(loaded, config, principal)), loaded)
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


async def _preview(loaded: Loaded, config: Settings, principal: Principal) -> Preview:
    from dondoc.services import load as loading

    return await loading.preview(await client_for(config), loaded, principal=principal,
                                 kept=kept_of(config))


def _print_difference(diff: Preview, loaded: Loaded) -> None:
    """What the new version adds (+), changes (~, field by field) and cancels (-): the same
    difference as the web app's preview."""
    from plans.difference import FIELD_WORDS, describe

    names = {u.id: u.name for u in loaded.plan.units} | \
        {p.id: p.display for p in loaded.plan.people}
    for occ in diff.added:
        due = f"hạn {format_date(occ.due_date)}" if occ.due_date else \
            f"chờ sự kiện {occ.waits_for}" if occ.waits_for else occ.deadline_text
        out.print(f"+ {occ.ref}: {occ.title} ({due})", markup=False)
    for change in diff.changed:
        out.print(f"~ {change.occurrence.ref}: {change.occurrence.title}", markup=False)
        for field, values in change.fields.items():
            out.print(f"    {FIELD_WORDS[field]}: {describe(field, values['from'], names)} → "
                      f"{describe(field, values['to'], names)}", markup=False)
    for gone in diff.cancelled:
        out.print(f"- {gone}" if isinstance(gone, str) else f"- {gone.ref}: {gone.title}",
                  markup=False)
