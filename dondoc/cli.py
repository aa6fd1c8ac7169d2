"""The `dondoc` command: thin wrappers that parse arguments and call `plans/` or a client."""

from __future__ import annotations

import json
import sys
from datetime import date, datetime
from pathlib import Path
from typing import Annotated, Any
from zoneinfo import ZoneInfo

import typer
from rich.console import Console
from rich.table import Table

from dondoc.files import Loaded, file_kind, read_calendar, read_contacts, read_plan
from dondoc.settings import Settings, load_settings
from plans import schedule
from plans.deadline import as_contract
from plans.grammar import parse_deadline
from plans.model import Plan
from plans.validation import Checked, Problem
from plans.vietnamese import format_date, format_datetime

app = typer.Typer(
    help="Đôn đốc: nhắc việc, đôn đốc và theo dõi các nhiệm vụ của kế hoạch.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)
HCM = ZoneInfo("Asia/Ho_Chi_Minh")

StateDir = Annotated[
    Path | None,
    typer.Option("--state-dir", help="state folder (else DONDOC_STATE_DIR, else .dondoc/)"),
]


def settings(state_dir: Path | None = None) -> Settings:
    return load_settings().with_state_dir(state_dir)


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


def _leads(occ: schedule.Occurrence, unit: str, plan: Plan) -> bool:
    return unit in occ.lead


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
        if _in_window(o, start, end) and (unit is None or _leads(o, unit, loaded.plan))
    ]
    rows = [occurrence_json(o, loaded) for o in occurrences]
    if as_json:
        json.dump(rows, sys.stdout, ensure_ascii=False, indent=2)
        sys.stdout.write("\n")
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


def main() -> None:
    try:
        app()
    except KeyboardInterrupt:
        err.print("interrupted")
        sys.exit(130)
