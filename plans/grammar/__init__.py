"""The Vietnamese deadline grammar: "Quý I/2025", "trước ngày 30/04/2025", "Thường xuyên" ...

`parse_deadline(text, year=..., issued=...)` returns a typed `Deadline`. It never guesses: a
phrase it cannot read completely, or that reads two ways, becomes `UnknownDeadline` with the
reason, not a date.

How it reads a cell: `lexer` normalizes it (NFC, one space for any run of whitespace) and turns
it into typed tokens; `structure` parses the token classes with a lark grammar into parts joined
by separators ("; ", ", ", "và", "sau đó") and an ad hoc tail ("hoặc đột xuất"); `passes` reads
each part: the days counted from a period ("15 ngày kể từ ngày kết thúc quý") by the lark grammar
of `periods` and its transformer, every other family by ordered regex passes; the semantic step
here puts the parts together (`all`, `then`, `or_ad_hoc`).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date
from typing import Any

from pydantic import ValidationError

from plans import deadline as dl
from plans.grammar.lexer import MAX_LENGTH, MAX_YEAR, MIN_YEAR, fold, normalize, tokens
from plans.grammar.lexer import Token as Lexeme
from plans.grammar.passes import read_part
from plans.grammar.structure import classes, structure

__all__ = ["MAX_YEAR", "MIN_YEAR", "explain", "fold", "normalize", "parse_deadline"]

AddWorkingDays = Callable[[date, int], date]
# "khởi công tháng 6, hoàn thành tháng 12": the first part is a start, not an obligation;
# "tháng 6 (10,5%), tháng 9 (14,9%)": milestones of one piece of work.
MAX_TOKENS = 60  # the longest real cell has 40 tokens; the structure parse grows faster than linearly
# What can join parts (see `structure`): a cell without any is one part.
_SEPARATOR = re.compile(r"[;,+&()]|\b(?:và|sau đó|tiếp tục|tiếp theo đó|hoặc)\b", re.IGNORECASE)
# The token kinds a part needs to read alone.
_DATED = frozenset({"DATE", "DAY_MONTH", "MONTH_YEAR", "YEAR", "NUMBER", "ROMAN", "TIME", "EVERY",
                    "ONGOING", "AD_HOC", "CONDITION", "UNIT", "CITATION"})
# A part that is only a cadence, maybe with who does it ("hằng năm, Bộ Quốc phòng tổng hợp, ..."),
# qualifies the next one.
_CADENCE_KINDS = frozenset({"EVERY", "UNIT"})
_CADENCE_ONLY = re.compile(r"\s*(?:dinh ky\s*)?(?:hang|moi)\s*(?:nam|qu[yi]|thang|tuan|ngay)\s*")
# "thời điểm báo cáo là 31/5, thời hạn gửi báo cáo là 30/6": the date the figures are taken is no
# obligation; the deadline is the other part.
_CUT_OFF = re.compile(r"\bthoi diem (?:bao cao|lay so lieu|chot so lieu)\b|\bchot so lieu\b")
_NOT_OBLIGATIONS = re.compile(r"\b(?:khoi cong|khoi dong|bat dau)\b|%")


def parse_deadline(
    text: str,
    *,
    year: int,
    issued: date | None = None,
    years: list[int] | None = None,
    add_working_days: AddWorkingDays | None = None,
) -> dl.Deadline:
    """Read one deadline cell.

    `year` fills what the phrase leaves out; `years` are the years a recurrence that names none
    covers (default: `year` alone; a plan passes all its years); `issued` is the plan's issue
    date, for "trong 30 ngày kể từ ngày ký"; `add_working_days` counts working days.
    """
    if not MIN_YEAR <= year <= MAX_YEAR:
        return dl.UnknownDeadline(reason=f"the context year {year} is outside {MIN_YEAR}-{MAX_YEAR}")
    original = normalize(text)
    if not original:
        return dl.UnknownDeadline(reason="empty")
    if len(original) > MAX_LENGTH:
        return dl.UnknownDeadline(
            reason=f"{len(original)} characters: a deadline cell is at most {MAX_LENGTH}")

    def read(part: str) -> dl.Deadline:
        try:
            return read_part(part, year=year, issued=issued, years=years,
                             add_working_days=add_working_days)
        except (ValueError, OverflowError) as error:  # ValidationError is a ValueError
            return dl.UnknownDeadline(reason=_message(error))

    whole = read(original)
    if not isinstance(whole, dl.UnknownDeadline) and not _SEPARATOR.search(original):
        return whole  # one part: nothing else to read it as
    composite = _composite(original, read)
    if composite is None or (isinstance(composite, dl.UnknownDeadline)
                             and not isinstance(whole, dl.UnknownDeadline)):
        return whole  # a part that does not read alone is no second reading
    if isinstance(whole, dl.UnknownDeadline):
        return composite
    if dl.span(whole)[1] == dl.span(composite)[1]:
        return whole  # the same due dates either way
    return dl.UnknownDeadline(reason="two readings: as one deadline and as several parts")


def _composite(original: str, read: Callable[[str], dl.Deadline]) -> dl.Deadline | None:
    """The cell read as several parts, or None when its structure has one part only."""
    lexemes = tokens(original)
    if len(lexemes) > MAX_TOKENS:
        return None  # longer than any real cell: the whole cell's reading stands
    shape = structure(classes(lexemes))
    if shape is None or (len(shape.parts) < 2 and shape.ad_hoc is None):
        return None

    def text_of(first: int, last: int) -> str:
        return original[lexemes[first].start : lexemes[last - 1].end]

    if _NOT_OBLIGATIONS.search(fold(original)):
        return dl.UnknownDeadline(reason="a start or a share of the work among the parts")
    note = text_of(*shape.ad_hoc).strip(" ,()") if shape.ad_hoc else None
    if shape.ad_hoc and len(shape.parts) > 1:
        # "trước ngày 15 tháng 6 và 15 tháng 12 hàng năm hoặc đột xuất": the schedule before the
        # ad hoc clause is read whole first, as a cell of its own
        head = read(text_of(shape.parts[0][0], shape.parts[-1][1]))
        if not isinstance(head, dl.UnknownDeadline):
            heads: list[dl.Deadline] = [*head.parts] if isinstance(head, dl.CompositeDeadline) else [head]
            return _compose(heads, note)

    # A piece that does not read alone joins the next: "tháng 03, 06, 09 và ..." stays one part.
    parts: list[dl.Deadline] = []
    start = shape.parts[0][0]
    for index, (_, end) in enumerate(shape.parts):
        last_piece = index == len(shape.parts) - 1
        piece = text_of(start, end)
        dated = {lexeme.kind for lexeme in lexemes[start:end]} & _DATED
        if not last_piece and (_CADENCE_ONLY.fullmatch(fold(piece)) or dated <= _CADENCE_KINDS):
            # "hằng năm, trước ngày 05/12": the cadence belongs to what follows; "Bộ Khoa học và
            # Công nghệ, ..." has nothing to read alone.
            continue
        reading = read(piece)
        if isinstance(reading, dl.UnknownDeadline):
            if last_piece:
                return reading
            continue
        if not _CUT_OFF.search(fold(piece)):
            parts.append(reading)
        if not last_piece:
            start = shape.parts[index + 1][0]
    if not parts:
        return dl.UnknownDeadline(reason="only the date the figures are taken, no deadline")
    return _compose(parts, note)


def _compose(parts: list[dl.Deadline], note: str | None) -> dl.Deadline:
    flat: list[dl.Part] = []
    for part in parts:
        if isinstance(part, dl.CompositeDeadline | dl.UnknownDeadline):
            return dl.UnknownDeadline(reason="a part with parts of its own")
        flat.append(part)
    try:
        if note is not None:
            return dl.CompositeDeadline(relation="or_ad_hoc", parts=flat, note=note)
        if len(flat) == 1:
            return flat[0]
        ongoing = [p for p in flat if isinstance(p, dl.OngoingDeadline)]
        if ongoing and len(flat) == 2 and flat[1] is ongoing[0]:
            then = dl.OngoingDeadline(start=_day_after(flat[0]))
            return dl.CompositeDeadline(relation="then", parts=[flat[0], then])
        if ongoing:
            return dl.UnknownDeadline(reason="ongoing work among several deadlines")
        return _all(flat)
    except ValidationError as error:
        return dl.UnknownDeadline(reason=_message(error))


def _all(parts: list[dl.Part]) -> dl.Deadline:
    """Each part its own obligation; two due days for one period is a contradiction, unless they
    are the days of two reports each made once a year (merged into one rule whose periods part
    them: "trước 01/10 đối với báo cáo 9 tháng và trước 20/12 đối với báo cáo năm" is monthly)."""
    yearly = _yearly_days(parts)
    if yearly is not None:
        return yearly
    seen: dict[str, date] = {}
    for part in parts:
        if isinstance(part, dl.RecurringDeadline) and part.years:
            for label, _, due in part.occurrences():
                if seen.setdefault(label, due) != due:
                    return dl.UnknownDeadline(reason=f"two due days for {label}")
    return dl.CompositeDeadline(relation="all", parts=parts)


def _yearly_days(parts: list[dl.Part]) -> dl.RecurringDeadline | None:
    """Parts that are each one yearly due day, of the same years, as one rule."""
    rules = [rule for part in parts if isinstance(part, dl.RecurringDeadline) for rule in part.rules]
    years = {tuple(part.years or ()) for part in parts if isinstance(part, dl.RecurringDeadline)}
    if len(rules) != len(parts) or len(years) != 1 or any(
            rule.every != "year" or not rule.on or len(rule.on) != 1
            or rule.time != rules[0].time for rule in rules):
        return None
    on = sorted(day for rule in rules for day in rule.on or [])
    every = dl.cadence_apart([day.in_year(2024) for day in on])
    if every is None:
        return None
    rule = dl.RecurrenceRule(every=every, on=on, time=rules[0].time)
    return dl.RecurringDeadline(rules=[rule], years=list(years.pop()) or None)


def _day_after(part: dl.Part) -> date | None:
    _, dues = dl.span(part)
    return date.fromordinal(dues[-1].toordinal() + 1) if dues else None


def _message(error: Exception) -> str:
    if isinstance(error, ValidationError):
        return str(error.errors()[0]["msg"]).removeprefix("Value error, ")
    return str(error)


def explain(
    text: str,
    *,
    year: int,
    issued: date | None = None,
    years: list[int] | None = None,
    add_working_days: AddWorkingDays | None = None,
) -> tuple[str | None, dict[str, Any]]:
    """For a cell read as unknown: the part it could not read (None when every part reads but
    they do not go together), and the structured rule to write beside it, from what it did read."""
    original = normalize(text)[:MAX_LENGTH]
    lexemes = tokens(original)
    shape = structure(classes(lexemes)) if lexemes else None
    spans = list(shape.parts) if shape else [(0, len(lexemes))]
    unread: str | None = None
    read: list[dl.Part] = []
    for first, last in spans:
        if first >= last:
            continue
        piece = original[lexemes[first].start : lexemes[last - 1].end]
        reading = parse_deadline(piece, year=year, issued=issued, years=years,
                                 add_working_days=add_working_days)
        if isinstance(reading, dl.CompositeDeadline):
            read += reading.parts
        elif isinstance(reading, dl.UnknownDeadline):
            unread = unread or piece
        else:
            read.append(reading)
    rule: dl.Deadline
    if len(read) > 1:
        rule = dl.CompositeDeadline(relation="all", parts=read)
    elif read:
        rule = read[0]
    else:
        rule = _guess_from_tokens(lexemes, original, year)
    return (unread if unread != original or len(spans) > 1 else original), _as_rule(rule)


def _guess_from_tokens(lexemes: list[Lexeme], original: str, year: int) -> dl.Deadline:
    """A rule from the cell's own last date, month or year (else the plan's year), or its event."""
    for lexeme in reversed(lexemes):
        numbers = [int(n) for n in re.findall(r"\d+", lexeme.text)]
        try:
            if lexeme.kind == "DATE":
                return dl.DateDeadline(date=date(numbers[2], numbers[1], numbers[0]))
            if lexeme.kind == "DAY_MONTH":
                return dl.DateDeadline(date=date(year, numbers[1], numbers[0]))
            if lexeme.kind == "MONTH_YEAR":
                return dl.MonthDeadline(year=numbers[1], month=numbers[0])
            if lexeme.kind == "YEAR" and MIN_YEAR <= numbers[0] <= MAX_YEAR:
                return dl.YearDeadline(year=numbers[0])
        except (ValueError, IndexError):  # "31/02": not a date; look further back
            continue
    if any(t.kind in ("CONDITION", "AD_HOC") for t in lexemes):
        return dl.EventDeadline(kind="conditional", event=original)
    return dl.YearDeadline(year=year)


def _as_rule(rule: dl.Deadline) -> dict[str, Any]:
    dumped = rule.model_dump(mode="json", exclude_defaults=True)
    for written in dumped.get("rules", []):
        written.pop("working_dues", None)  # counted again on the plan's calendar when it is read
    if isinstance(rule, dl.CompositeDeadline):
        dumped["parts"] = [_as_rule(part) for part in rule.parts]
    return {"kind": rule.kind, **dumped}
