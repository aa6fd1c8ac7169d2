"""The phrase reader as a service: one answer for every line, whatever the line holds.

`read_lines` is what `dondoc parse-deadline -` prints: one contract object per input line (split
on "\\n" only, a trailing "\\r" dropped), and an `{"text", "error"}` object for a line it refuses
(a year outside the plans' range, "31/12/9999") or could not handle, so that a batch is never cut
short; the command then exits 1.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Iterator
from datetime import date
from typing import Any

from plans.deadline import UnknownDeadline, as_contract
from plans.grammar import MAX_YEAR, MIN_YEAR, AddWorkingDays, parse_deadline

OUT_OF_RANGE = f"outside {MIN_YEAR}-{MAX_YEAR}"  # how the grammar words a refused year


def json_line(result: dict[str, Any]) -> str:
    """One JSON object on one line: the separators that str.splitlines also breaks on (U+0085,
    U+2028, U+2029) are escaped, so that a reader splitting lines any way gets one per object."""
    text = json.dumps(result, ensure_ascii=False)
    return text.replace("\x85", "\\u0085").replace("\u2028", "\\u2028").replace(
        "\u2029", "\\u2029") + "\n"


def check_year(year: int) -> str | None:
    """Why a context year is refused, or None."""
    if not MIN_YEAR <= year <= MAX_YEAR:
        return f"--year {year} is not a plan's year; give a year from {MIN_YEAR} to {MAX_YEAR}"
    return None


def split_lines(text: str) -> list[str]:
    """Lines on "\\n" only (not on the other separators str.splitlines knows), without the empty
    line after a final newline."""
    lines = [line.removesuffix("\r") for line in text.split("\n")]
    return lines[:-1] if lines and lines[-1] == "" else lines


def read_lines(
    lines: Iterable[str],
    *,
    year: int,
    issued: date | None,
    add_working_days: AddWorkingDays | None,
    tz: dt.tzinfo,
) -> Iterator[tuple[dict[str, Any], str | None]]:
    """(the contract object, the reason a phrase is unknown) for every line."""
    for line in lines:
        try:
            deadline = parse_deadline(line, year=year, issued=issued,
                                      add_working_days=add_working_days)
            reason = deadline.reason if isinstance(deadline, UnknownDeadline) else None
            if reason and OUT_OF_RANGE in reason:
                yield {"text": line, "error": reason}, reason
                continue
            yield as_contract(line, deadline, tz=tz), reason
        except Exception as error:  # one bad line must not lose the batch
            yield {"text": line, "error": f"{type(error).__name__}: {error}"}, None
