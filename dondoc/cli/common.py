"""What every command group shares: the consoles, the settings, turning the errors a user can
fix into one line and an exit code, and reading the options every group takes.

The command modules import only the standard library, typer and rich at their top: Temporal's
client, SQLAlchemy, pydantic and the plan grammar are imported inside the commands that use
them, so `dondoc --help` and a quick read start in a fraction of a second
(tests/test_cli_startup.py)."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Coroutine
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TypeVar
from zoneinfo import ZoneInfo

import typer
from rich.console import Console

if TYPE_CHECKING:
    from temporalio.client import Client

    from dondoc.files import Loaded
    from dondoc.settings import Settings
    from plans.access import Operation, Principal
    from plans.validation import Problem
    from storage.accounts import Accounts
    from storage.audit import AuditLog
    from storage.ledger import Ledger
    from storage.plans import LoadedOccurrences

out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)
HCM = ZoneInfo("Asia/Ho_Chi_Minh")
EVERY_PLAN = "*"  # plans.access.EVERY_PLAN, here so that --help shows it without pydantic
T = TypeVar("T")

StateDir = Annotated[
    Path | None,
    typer.Option("--state-dir", help="state folder (else DONDOC_STATE_DIR, else .dondoc/)"),
]
AsJson = Annotated[bool, typer.Option("--json", help="print JSON")]
Ref = Annotated[str, typer.Argument(help="occurrence reference PLAN/TASK[/UNIT][@PERIOD]")]
OnBehalf = Annotated[str | None, typer.Option(
    "--by", help="office accounts only: the unit or person acted for (give --reason)")]
Reason = Annotated[str, typer.Option("--reason", help="why")]
OptionalReason = Annotated[str | None, typer.Option("--reason", help="why (when acting for --by)")]


def group(help_text: str) -> typer.Typer:
    """A command group; rich markup is off: help texts hold "[/UNIT]" and "[@PERIOD]"."""
    return typer.Typer(help=help_text, no_args_is_help=True, add_completion=False,
                       rich_markup_mode=None, pretty_exceptions_enable=False)


def settings(state_dir: Path | None = None) -> Settings:
    """The settings, with the state folder from --state-dir, and the address of a `dondoc dev`
    running on that folder when DONDOC_TEMPORAL_ADDRESS does not name another server."""
    from dondoc.settings import BadSetting, load_settings

    try:
        resolved = load_settings().with_state_dir(state_dir)
    except BadSetting as error:
        raise fail(f"setting refused: {error}", 2) from None
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


def count_problems(problems: list[Problem]) -> str:
    errors = sum(p.severity == "error" for p in problems)
    warnings = len(problems) - errors
    return f"{errors} error{'s' * (errors != 1)}, {warnings} warning{'s' * (warnings != 1)}"


def load_or_exit(path: Path, contacts: Path | None = None) -> Loaded:
    from dondoc.files import read_plan

    loaded, problems = read_plan(
        path, calendar_file=settings().calendar_file, contacts_file=contacts
    )
    print_problems(problems)
    if loaded is None:
        raise fail(f"{path}: not loaded ({count_problems(problems)})")
    return loaded


def parse_day(value: str | None, option: str) -> date | None:
    if value is None:
        return None
    for pattern in ("%Y-%m-%d", "%d/%m/%Y"):
        try:
            return datetime.strptime(value, pattern).date()
        except ValueError:
            continue
    raise fail(f"{option}: {value!r} is not a date (use 2025-04-30 or 30/04/2025)", 2)


def run(work: Coroutine[Any, Any, T]) -> T:
    """Run a client coroutine; turn the errors a user can fix into one line and an exit code."""
    import asyncio

    try:
        return asyncio.run(work)
    except Exception as error:
        raise one_line(error) from None


def one_line(error: Exception) -> typer.Exit:
    """The exit of an error a user can fix; any other is raised again. The modules of these
    errors are imported once one happened, not at every start."""
    from dondoc.services.identity import NotAllowed
    from dondoc.services.load import LoadInterrupted
    from dondoc.services.operate import Refused
    from dondoc.services.read import RecordElsewhere, UnknownRef
    from dondoc.temporal import Unreachable
    from workflows.search_attributes import NotAnId

    if isinstance(error, Unreachable | UnknownRef | RecordElsewhere | LoadInterrupted):
        return fail(str(error))
    if isinstance(error, NotAnId):
        return fail(str(error), 2)
    if isinstance(error, NotAllowed):
        return fail(f"refused: {error}")
    if isinstance(error, Refused):
        if error.kind == "AlreadyDone":
            out.print(str(error), markup=False)
            return typer.Exit(0)
        return fail(f"refused: {error}" + (f" [{error.kind}]" if error.kind in CODED else ""))
    raise error


# Refusals of the authorization table and the workflow's validators: scripts read the code at
# the end of the line.
CODED = {"Forbidden", "NotOnBehalf", "NoReason", "OwnRequest", "NoIdentity", "NoEvidence",
         "BadDocumentNumber", "FutureEvidence", "BackdatedEvidence", "Cancelled", "Completed",
         "NotCompleted", "NoDeadline", "NotAfterDeadline", "ExtensionPending",
         "NoExtensionPending", "AlreadyPaused", "NotPaused", "OtherEvent", "FutureEvent",
         "HasDeadline", "NoNote", "ReasonRequired", "Closed"}


def accounts_of(config: Settings) -> Accounts:
    from sqlalchemy import create_engine

    from dondoc.db import database_url
    from storage.accounts import Accounts

    if config.database_url is None and not (config.state_dir / "dondoc.db").exists():
        raise fail(f"no dondoc database in {config.state_dir}: run `dondoc db upgrade` (or set "
                   "DONDOC_DATABASE_URL / --state-dir)")
    return Accounts(create_engine(database_url(config)))


def identity(config: Settings, *, by: str | None = None, reason: str | None = None
             ) -> Principal:
    """The authenticated account of this command (refused in one line without one), on behalf
    of `by` when given."""
    from dondoc.services.identity import acting, current
    from storage.accounts import NotAuthenticated

    try:
        principal = current(config, accounts_of(config), at=datetime.now(UTC))
    except NotAuthenticated as error:
        raise fail(f"refused: {error}") from None
    return acting(principal, by=by, reason=reason)


def authorize(principal: Principal, operation: Operation, plan: str) -> None:
    """The authorization table's decision on one plan (or EVERY_PLAN); a refusal is one line."""
    from dondoc.services.identity import require
    from plans.access import Target

    allowed(lambda: require(principal, operation, Target(plan=plan)))


def allowed(work: Callable[[], T]) -> T:
    """Run a service call; its refusal by the authorization table is one line, exit 1."""
    from dondoc.services.identity import NotAllowed

    try:
        return work()
    except NotAllowed as error:
        raise fail(f"refused: {error}") from None


async def client_for(config: Settings) -> Client:
    from dondoc.temporal import connect

    return await connect(config)


def ledger_of(config: Settings) -> Ledger | None:
    """The delivery ledger when this machine has one (the state folder's or the database's).
    Connecting does not migrate: an auditor's read-only role may read, never change, the
    schema."""
    from dondoc.db import database_url
    from storage.ledger import Ledger

    if config.database_url is None and not (config.state_dir / "dondoc.db").exists():
        return None
    return Ledger.connect(database_url(config))


def kept_of(config: Settings) -> LoadedOccurrences:
    """Where `load` keeps each plan's occurrences: dondoc's database."""
    from storage.plans import LoadedOccurrences

    ledger = ledger_of(config)
    if ledger is None:
        raise fail(f"no dondoc database in {config.state_dir}: run `dondoc db upgrade` (or set "
                   "DONDOC_DATABASE_URL / --state-dir)")
    return LoadedOccurrences(ledger.engine)


def audit_or_exit(config: Settings, *, write: bool = False) -> AuditLog:
    """The audit log; a command that writes to it needs the audit key, a reader uses it when
    it has it (to check the rows' HMACs)."""
    from dondoc import keys
    from storage.audit import AuditLog

    ledger = ledger_of(config)
    if ledger is None:
        raise fail(f"no dondoc database in {config.state_dir} (set DONDOC_DATABASE_URL or "
                   "--state-dir)")
    try:
        key = keys.require(config, "audit") if write else keys.configured(config, "audit")
    except keys.MissingKey as error:
        raise fail(str(error)) from None
    return AuditLog(ledger.engine, key)


def refused_write(error: Exception) -> typer.Exit:
    from dondoc.db import is_read_only_refusal

    if is_read_only_refusal(error):
        return fail("the database refused to write: this user has read-only (auditor) access; "
                    "ask the office to do it")
    raise error


def print_table(header: tuple[str, ...], rows: list[tuple[str, ...]]) -> None:
    """Columns aligned by their display width, written as they are: rich's Table lays out every
    cell of every row first, seconds for a plan's 9,000 occurrences."""
    from rich.cells import cell_len

    widths = [max(cell_len(row[i]) for row in (header, *rows)) for i in range(len(header))]
    lines = ("  ".join(cell + " " * (width - cell_len(cell)) for cell, width
                       in zip(row, widths, strict=True)).rstrip() for row in (header, *rows))
    sys.stdout.writelines(line + "\n" for line in lines)
    sys.stdout.flush()


def print_json(data: Any) -> None:
    # One write: json.dump writes each token (450,000 writes for a plan's 9,400 rows).
    sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2, default=str) + "\n")


STATE_VI = {
    "scheduled": "đang thực hiện trong hạn", "due_soon": "sắp đến hạn", "overdue": "quá hạn",
    "done_on_time": "hoàn thành đúng hạn", "done_late": "hoàn thành quá hạn",
    "paused": "tạm dừng", "cancelled": "đã hủy", "waiting_trigger": "chờ sự kiện",
    "ongoing": "thường xuyên",
}
