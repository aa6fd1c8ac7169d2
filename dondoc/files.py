"""Reading plan, contacts and calendar files from disk: the I/O around `plans.validation`."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from plans.calendar import CalendarOverrides, WorkingCalendar
from plans.limits import MAX_FILE_BYTES
from plans.model import Contacts, Plan
from plans.validation import Checked, Problem, check_calendar, check_contacts, check_plan
from plans.yamlsource import TOO_LARGE, Position, YamlProblem, read_yaml


@dataclass(frozen=True)
class Loaded:
    plan: Plan
    calendar: WorkingCalendar
    contacts: Contacts | None
    problems: list[Problem]  # warnings only, when loaded
    text: str


def _read_text(path: Path) -> str | Problem:
    """The file's text; never more than the size limit is read."""
    try:
        with path.open("rb") as stream:
            data = stream.read(MAX_FILE_BYTES + 1)
    except FileNotFoundError:
        return Problem(str(path), Position(1, 1), "", "no such file")
    except OSError as error:
        return Problem(str(path), Position(1, 1), "", error.strerror or str(error))
    return decode_text(data, str(path))


def decode_text(data: bytes, name: str) -> str | Problem:
    """A file's bytes (read from disk or uploaded) as text, or the problem with them."""
    if len(data) > MAX_FILE_BYTES:
        return Problem(name, Position(1, 1), "", TOO_LARGE)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        before = data[: error.start].decode("utf-8")  # what decodes, up to the bad byte
        where = Position(before.count("\n") + 1, len(before) - before.rfind("\n"))
        return Problem(name, where, "", f"not UTF-8 text ({error.reason}): save the file "
                       "as UTF-8")
    return text.replace("\r\n", "\n").replace("\r", "\n")  # as text mode reads it


def read_calendar(path: Path | None) -> tuple[CalendarOverrides | None, list[Problem]]:
    if path is None or not path.exists():
        return None, []
    text = _read_text(path)
    if isinstance(text, Problem):
        return None, [text]
    checked = check_calendar(text, str(path))
    return checked.value, checked.problems


FileKind = Literal["plan", "contacts", "calendar"]


def file_kind(path: Path) -> FileKind:
    """What a dondoc YAML file holds, by its top-level keys."""
    text = _read_text(path)
    if isinstance(text, Problem):
        return "plan"
    try:
        data = read_yaml(text).data
    except YamlProblem:
        return "plan"
    if isinstance(data, dict) and "contacts" in data:
        return "contacts"
    if isinstance(data, dict) and ({"days_off", "working_days"} & set(data)) and "plan" not in data:
        return "calendar"
    return "plan"


def read_contacts(path: Path, *, plan: Plan | None = None) -> Checked[Contacts]:
    text = _read_text(path)
    if isinstance(text, Problem):
        return Checked(None, [text])
    return check_contacts(text, str(path), plan=plan)


def read_plan(
    path: Path, *, calendar_file: Path | None = None, contacts_file: Path | None = None
) -> tuple[Loaded | None, list[Problem]]:
    """Validate a plan file (and its contacts); the plan only when there is no error."""
    text = _read_text(path)
    if isinstance(text, Problem):
        return None, [*read_calendar(calendar_file)[1], text]
    return check_plan_text(text, str(path), calendar_file=calendar_file,
                           contacts_file=contacts_file)


def check_plan_text(
    text: str, name: str, *, calendar_file: Path | None = None, contacts_file: Path | None = None
) -> tuple[Loaded | None, list[Problem]]:
    """Validate a plan's text (a file's, or an upload's) and its contacts; the plan only when
    there is no error."""
    overrides, problems = read_calendar(calendar_file)
    checked_plan = check_plan(text, name, calendar_overrides=overrides)
    problems += checked_plan.problems
    contacts = None
    if contacts_file is not None:
        checked = read_contacts(contacts_file, plan=checked_plan.value)
        problems += checked.problems
        contacts = checked.value
    if not checked_plan.ok or any(p.severity == "error" for p in problems):
        return None, problems
    assert checked_plan.value is not None
    plan = checked_plan.value
    calendar = WorkingCalendar.vietnam(plan.plan.years, overrides)
    return Loaded(plan, calendar, contacts, problems, text), problems
