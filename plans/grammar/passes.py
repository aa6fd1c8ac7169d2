"""The Vietnamese deadline grammar: "Quý I/2025", "trước ngày 30/04/2025", "Thường xuyên" ...

`parse_deadline(text, year=..., issued=...)` returns a typed `Deadline`. It never guesses: a
phrase it cannot read completely becomes `UnknownDeadline` with the reason, not a date.

How it reads a phrase: the text is folded to lower-case ASCII of the same length ("Quí" and
"quý" both become "qui"/"quy", "đ" becomes "d"), so spelling variants match one pattern and every
span still points into the original text. Passes then take, in order, the constructs that could
otherwise be misread by a later pass (a cited document's date, a relative period, a recurrence,
"ngày 30 tháng 4", months, dates, half-years, quarters, years). What is left must be filler
words: a leftover digit, or a word that changes the meaning ("giữa", "hoặc", "sau"), makes the
phrase unknown.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, time, timedelta
from typing import Any

from pydantic import ValidationError

from plans.deadline import (
    CompositeDeadline,
    DateDeadline,
    DayMonth,
    Deadline,
    EventDeadline,
    Every,
    HalfYearDeadline,
    MonthDeadline,
    OngoingDeadline,
    QuarterDeadline,
    RangeDeadline,
    RecurrenceRule,
    RecurringDeadline,
    UnknownDeadline,
    YearDeadline,
    cadence_apart,
    month_end,
    period_bounds,
    span,
)
from plans.grammar.lexer import MAX_YEAR, MIN_YEAR, fold, lower_each
from plans.grammar.lexicon import FILLER_SYLLABLES, LEAVABLE_WORDS
from plans.grammar.periods import AfterPeriod, DayOfPeriod, NotRead, read_days_of_period

__all__ = ["read_part"]

AddWorkingDays = Callable[[date, int], date]


# -- the pieces of a phrase -------------------------------------------------------------------

_ROMAN = {"i": 1, "ii": 2, "iii": 3, "iv": 4}
_WORD_NUMBERS = {"mot": 1, "hai": 2, "ba": 3, "bon": 4, "tu": 4}
_SEP_YEAR = r"(?:\s*[/,.\-]?\s*(?:nam\s*)?(?P<year>(?:19|20)\d{2})(?!\d))?"
_QUARTER_NUM = r"(?:iv|iii|ii|i)(?![a-z])|[1-4](?!\d)|(?:mot|hai|ba|bon|tu)(?![a-z])"
_LIST_SEP = r"\s*(?:,|;|-|va|den het|den|toi|&)\s*"

_BEFORE = re.compile(
    r"(?:truoc|cham nhat|muon nhat|han chot|khong (?:qua|muon hon|cham hon)|den het|han|xong|"
    r"hoan thanh|den)\s*(?:la\s*|vao\s*|truoc\s*)?(?:ngay\s*)?$|cham nhat\s*trong\s*ngay\s*$"
)
# "hạn chót xác nhận nhập học đợt 1 là 17h ngày 30.8", "hoàn thành triển khai hồ sơ ... vào 31/12"
_BEFORE_LEAD = re.compile(
    r"\b(?:han chot|han cuoi|thoi han|hoan thanh|cham nhat|muon nhat)\b[^;,.]*\b(?:la|vao)\s*(?:ngay\s*)?$"
)
_BEFORE_AFTER = re.compile(r"^\s*,?\s*(?:la\s*)?(?:han\s*(?:cuoi|chot)|thoi han cuoi)")
_FILLER = re.compile(
    r"\b(?:" + "|".join(re.escape(word) for word in sorted(
        LEAVABLE_WORDS, key=len, reverse=True))
    + r")\b"
)
_WORD = re.compile(r"[a-z]+")
# Words that change what a date means ("giữa tháng 6", "sau ngày 30/4", "hoặc"), matched on the
# accented text, because folding merges "sau" (after) with "sáu" (six).
# Numbers in words count days or months only before a unit: "mười lăm ngày", not "một số".
_COUNT_WORD = r"một|hai|ba|bốn|(?<!đầu )tư|năm|sáu|bảy|tám|chín|mười|mươi|lăm|linh|lẻ|trăm"
_POISON = re.compile(
    r"(?<!\w)(?:giữa|hoặc|tùy|tuỳ|trừ|khoảng(?! thời gian)|chưa|sau|(?<!bắt )đầu(?! tư)|sớm|"
    r"muộn(?! nhất| hơn)|ước|nếu|ngoài|chiều|sáng|tuần|không(?! quá| muộn| chậm| ít)|hiệu lực|"
    # time and counting words whose folded spelling is also a task's word ("tám"/"tạm")
    r"(?<!đúng )tiến độ(?!\s*:)|lộ trình(?!\s*:)|kịp(?! thời)|ngày mai|tiếp theo|liền|cuối cùng|âm lịch|"
    r"tết|trở đi|"
    r"thứ(?!\s*\d)|lúc|(?:" + _COUNT_WORD + r")(?=(?:\s+(?:" + _COUNT_WORD + r"))*\s+(?:ngày|tuần|"
    r"tháng|quý|năm|giờ|đợt|kỳ)(?!\w))|"
    r"đó|kia|(?<!gửi )tới(?!\s*(?:hết|ngày|tháng|quý|năm|\d))|"
    r"trễ|hạn chế|gần|mùa|lặp|hoãn|chậm(?! nhất| hơn| trễ))"
    r"(?!\w)"
)
# Numbers that count things, not dates: "100% người dân", "18 tuổi", "Kỳ họp thứ 2", "1.000".
_QUANTITY = re.compile(
    r"(?<![\d.,])\d{1,3}(?:[.,]\d{3})+|(?<![\d.,])\d+(?:[.,]\d+)?\s*%"
    r"|\b(?:thu|lan|mui|khoa|dot|ky|buoc|giai doan|muc|nhom|phu luc|dieu|khoan|so)\s*\d+\b(?!\s*[/.\-]\s*\d)"
    r"|\b\d+\s*(?:tuoi|nguoi|bac si|diem|ca|ho so|co so|don vi|xa|phuong|huyen|luot|mui|trieu|ty|"
    r"dong|tram|benh vien|tai khoan|thu tuc|phong|khoa|can bo|cong chuc|vien chuc|tieng|phut|"
    r"buoi|lop|hoc vien|du an|nhiem vu|chi tieu|van ban|dot|ngay|tuan|thang|nam)\b(?!\s*[/.\-]\s*\d)"
)
# A plan's horizon, not its deadline: "giai đoạn 2021-2030, tầm nhìn đến năm 2045".
_VISION = re.compile(
    r"(?:,\s*)?(?:va\s*)?(?:dinh huong|tam nhin)\s*(?:den\s*)?(?:nam\s*)?(?:19|20)\d{2}"
)
# The period a report's figures cover, not when it is due: "(kỳ báo cáo tính từ ngày 01/01 đến hết
# ngày 31/12)", "số liệu tính từ ...".
_DATA_PERIOD = re.compile(r"\(\s*(?:ky bao cao|so lieu)[^()]*\)")
# "để xây dựng chương trình năm sau": what the work is for; its year is not the deadline's.
_PURPOSE = re.compile(r"(?<!\w)để(?!\w)[^;,.()]*")
_PURPOSE_YEAR = re.compile(r"(?<!\w)(?:(?:cho|của)\s+)?năm\s+(?:sau|tới|tiếp theo|kế tiếp)(?!\w)")
# "đối với báo cáo quý 1", "đối với kỳ báo cáo năm trước đó": which report a due day is for; its
# quarter or year is the report's period, not a deadline.
_REPORT_NAME = re.compile(
    r"\bdoi voi\s*(?:ky\s*)?bao cao\s*(?:qu[yi]\s*(?:iv|iii|ii|i|[1-4])(?![a-z0-9/])|"
    r"(?:ca\s*)?nam truoc(?:\s*do)?\b)")
# "trước ngày 30 tháng 3 của năm cuối kỳ kế hoạch 05 năm": the plan's period is not said.
_PLAN_PERIOD_YEAR = re.compile(r"\bnam (?:cuoi|dau) (?:ky|giai doan|nhiem ky)\b")
_YEAR_END = re.compile(r"\b(?:den\s*)?(?:het|cuoi)\s*nam\b(?!\s*(?:nay\s*)?(?:19|20)\d{2})")
_START_ONLY = re.compile(r"(?:^|[\s,(:])(?:bat dau\s*)?tu\s*(?:ngay\s*|nam\s*|thang\s*|qu[yi]\s*)?$")
_ORDINAL_DAY = re.compile(r"(?<=ngay )(?:thu|mung|mong)(?= ?\d)")  # "ngày thứ 20", "ngày mùng 5"
_NUMBER_WORDS = re.compile(
    r"(?<=\d)\s*\(\s*(?:(?:mot|hai|ba|bon|tu|nam|lam|sau|bay|tam|chin|muoi|muoi|linh|le)\s*)+\)"
)


@dataclass
class _Piece:
    start: int
    end: int
    what: str  # date, month, quarter, half, year, range_word ...
    value: object
    explicit_year: bool = True


@dataclass(frozen=True)
class _Day:
    day: date
    before: bool  # "trước ngày ...": a limit, not just a date
    at: time | None  # its own time of day: "17h ngày 28/7"


@dataclass
class _Scan:
    original: str
    folded: str
    year: int
    taken: bytearray = field(default_factory=bytearray)
    hidden: set[int] = field(default_factory=set)
    pieces: list[_Piece] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.taken = bytearray(len(self.folded))
        self._rest = self.folded  # the folded text with what is taken blanked: kept as it changes

    def free(self, start: int, end: int) -> bool:
        return self.taken.find(1, start, end) < 0

    def take(self, start: int, end: int) -> None:
        if end > start:
            self.taken[start:end] = b"\x01" * (end - start)
            self._rest = self._rest[:start] + " " * (end - start) + self._rest[end:]

    def blank(self, start: int, end: int) -> None:
        """Hide a span from every pattern, as if it were whitespace."""
        self.folded = self.folded[:start] + " " * (end - start) + self.folded[end:]
        self._rest = self._rest[:start] + " " * (end - start) + self._rest[end:]
        self.hidden.update(range(start, end))

    def rewrite(self, start: int, end: int, text: str) -> None:
        """Put `text` in place of a span the patterns should read differently: "mười lăm" as
        "15"; the words themselves are not left over."""
        self.blank(start, end)
        written = text.ljust(end - start)
        self.folded = self.folded[:start] + written + self.folded[end:]
        self._rest = self._rest[:start] + written + self._rest[end:]

    def matches(self, pattern: re.Pattern[str], *needles: str) -> Iterator[re.Match[str]]:
        """The free matches; with `needles`, none unless the text holds one of them (cheaper than
        letting a pattern try every position)."""
        if needles and not any(needle in self.folded for needle in needles):
            return
        for match in pattern.finditer(self.folded):
            if match.end() > match.start() and self.free(match.start(), match.end()):
                yield match

    def add(self, match: re.Match[str], what: str, value: object, *,
            explicit_year: bool = True) -> None:
        self.take(match.start(), match.end())
        self.pieces.append(_Piece(match.start(), match.end(), what, value, explicit_year))

    def after(self, index: int, width: int = 30) -> str:
        return self.folded[index : index + width]

    def before(self, index: int, width: int = 30) -> str:
        return self.folded[max(0, index - width) : index]

    def leftover(self) -> str:
        return self._rest

    def unread_original(self) -> str:
        """The lower-cased original with every taken or hidden span blanked."""
        text = lower_each(self.original)
        mask = bytearray(self.taken)
        for i in self.hidden:
            mask[i] = 1
        pieces, last = [], 0
        for run in _RUNS.finditer(mask):
            pieces += [text[last : run.start()], " " * (run.end() - run.start())]
            last = run.end()
        pieces.append(text[last:])
        return "".join(pieces)


_RUNS = re.compile(rb"\x01+")
_DIGIT = re.compile(r"\d")


def _year_of(match: re.Match[str], default: int) -> int:
    year = match.groupdict().get("year")
    return int(year) if year else default


def _safe_date(scan: _Scan, year: int, month: int, day: int) -> date | None:
    if not MIN_YEAR <= year <= MAX_YEAR:
        scan.errors.append(f"year {year} is outside {MIN_YEAR}-{MAX_YEAR}")
        return None
    try:
        return date(year, month, day)
    except ValueError:
        scan.errors.append(f"{day:02d}/{month:02d}/{year} is not a date")
        return None


def _full_year(text: str | None, default: int) -> int:
    if not text:
        return default
    return int(text) if len(text) == 4 else 2000 + int(text)


# "mười lăm ngày", "ba mươi (30) ngày": a count in words before a unit, read as its number.
_DIGIT_WORDS = {"một": 1, "mốt": 1, "hai": 2, "ba": 3, "bốn": 4, "tư": 4, "năm": 5, "lăm": 5,
                "sáu": 6, "bảy": 7, "tám": 8, "chín": 9}
_COUNT = re.compile(
    r"(?<!\w)(?P<words>(?:(?:một|mốt|hai|ba|bốn|tư|năm|lăm|sáu|bảy|tám|chín|mười|mươi|linh|lẻ|"
    r"trăm)\s+){0,5}(?:một|mốt|hai|ba|bốn|tư|năm|lăm|sáu|bảy|tám|chín|mười|mươi))"
    r"(?P<digits>\s*\(\s*\d{1,3}\s*\))?(?=\s*(?:ngày|tuần|tháng|năm|giờ)(?!\w))"
)


_COUNT_FOLDED = re.compile(
    r"\b(?:mot|hai|ba|bon|tu|nam|lam|sau|bay|tam|chin|muoi)(?:\s*\(\s*\d{1,3}\s*\))?\s*"
    r"(?:ngay|tuan|thang|nam|gio)\b")


def _count_value(words: list[str]) -> int | None:
    """The number "ba mươi lăm" (35), "mười lăm" (15), "một trăm linh năm" (105) says, or None."""
    total, current = 0, 0
    for word in words:
        if word == "trăm":
            if current == 0:
                return None
            total, current = total + current * 100, 0
        elif word == "mười":
            current += 10
        elif word == "mươi":
            if not 1 < current < 10:
                return None
            current *= 10
        elif word in ("linh", "lẻ"):
            continue
        elif word in _DIGIT_WORDS:
            if current % 10:
                return None  # two digits in a row: "hai ba ngày" is no number
            current += _DIGIT_WORDS[word]
    return total + current or None


# "tháng tư hằng năm": a month named in words, read as its number ("tháng năm" is left alone:
# it is also "tháng, năm"; "tháng hai lần" counts times).
_MONTH_WORDS = {"giêng": 1, "một": 1, "hai": 2, "ba": 3, "tư": 4, "sáu": 6, "bảy": 7, "tám": 8,
                "chín": 9, "mười": 10, "mười một": 11, "mười hai": 12}
_MONTH_NAME = re.compile(
    r"(?<!\w)tháng\s+(?P<name>mười một|mười hai|mười|giêng|một|hai|ba|tư|sáu|bảy|tám|chín)"
    # only where a date would end: not "hằng tháng tư vấn", "tháng một số", "tháng hai lần"
    r"(?=\s*(?:$|[,;.:)/\-]|(?:năm|hằng|hàng|mỗi|của|và|đến|tới|trước)(?!\w)))")


def _month_names(scan: _Scan) -> None:
    if "thang" not in scan.folded:
        return
    for match in _MONTH_NAME.finditer(lower_each(scan.original)):
        if scan.free(match.start("name"), match.end("name")):
            scan.rewrite(match.start("name"), match.end("name"), str(_MONTH_WORDS[match.group("name")]))


def _purposes(scan: _Scan) -> None:
    """Hide the year a purpose clause names ("để xây dựng kế hoạch cho năm sau"): it must not move
    the deadline to the next year. The rest of the clause is read as any other words."""
    if " de " not in f" {scan.folded} ":
        return
    lowered = lower_each(scan.original)
    for clause in _PURPOSE.finditer(lowered):
        for year in _PURPOSE_YEAR.finditer(lowered, clause.start(), clause.end()):
            scan.blank(year.start(), year.end())


def _counts_in_words(scan: _Scan) -> None:
    if not _COUNT_FOLDED.search(scan.folded):
        return
    for match in _COUNT.finditer(lower_each(scan.original)):
        words = match.group("words").split()
        if words == ["năm"] and re.match(r"\s+năm\b", scan.original[match.end():].lower()):
            continue
        value = _count_value(words)
        if value is None or not scan.free(match.start(), match.end()):
            continue
        digits = match.group("digits")  # "mười (10) ngày": the words and the digits must agree
        if digits and int(re.sub(r"\D", "", digits)) != value:
            scan.errors.append(f"{match.group(0)!r}: the words and the digits differ")
            continue
        scan.rewrite(match.start(), match.end(), str(value))


# -- passes -----------------------------------------------------------------------------------

_CITATION = re.compile(
    r"\b(?:nq|qd|kh|cv|tt|nd|ct|tb|bc|ubnd|byt|hd|cp|ttg|cttu)\d+[a-z]*\b|"
    r"(?:\bso|\bqd|\bkh|\bcv)\s*:?\s*\d+[\w/\-.&]*(?:\s*,?\s*ngay\s*\d{1,2}\s*[/.\-]\s*\d{1,2}"
    r"\s*[/.\-]\s*\d{2,4})?"
    r"|\b\d+\s*/\s*(?:\d{4}\s*/\s*)?[a-z]{2,}[\w/\-&]*(?:\s*,?\s*ngay\s*\d{1,2}\s*[/.\-]\s*"
    r"\d{1,2}\s*[/.\-]\s*\d{2,4})?"
)


def _citations(scan: _Scan) -> None:
    """'Kế hoạch số 92/KH-UBND ngày 18/3/2025' names a document; its date is not a deadline."""
    for match in scan.matches(_CITATION):
        scan.add(match, "citation", match.group(0))


_RELATIVE = re.compile(
    r"(?:trong (?:thoi han|vong|thoi gian)?|trong|sau|cham nhat(?: la)?|khong qua|truoc)?\s*"
    r"(?:(?P<n>\d{1,3})\s*(?P<unit>ngay|tuan|thang|tieng|gio)|(?P<unit2>ngay)\s*(?P<n2>\d{1,3}))"
    r"(?P<work>\s*lam viec)?\s*,?\s*"
    r"(?:ke tu|tinh tu|sau khi|sau|ke tu khi|tu khi|tu ngay(?!\s*\d))\s*(?:ngay|khi)?\s*(?P<event>.+)$"
)
_UNIT = {"ngay": timedelta(days=1), "tuan": timedelta(weeks=1), "tieng": timedelta(hours=1),
         "gio": timedelta(hours=1)}
_OWN_ISSUE = re.compile(
    r"\b(?:ky|ky ban hanh|ban hanh (?:ke hoach|van ban|quyet dinh) nay|ke hoach nay|"
    r"van ban nay|quyet dinh nay|co hieu luc)\b"
)


_BEFORE_EVENT = re.compile(
    r"(?:it nhat|toi thieu|khong it hon|cham nhat(?: la)?|truoc|trong(?: thoi han| vong)?)\s*"
    r"(?P<n>\d{1,3})\s*"
    r"(?P<unit>ngay|tuan|thang)(?P<work>\s*lam viec)?\s*,?\s*truoc\s*(?:khi|ngay)\s*(?P<event>.+)$"
)
_PERIOD_END = re.compile(
    r"(?:ngay |thoi diem |khi )?ket thuc\s*(?P<period>qu[yi]|nam(?: duong lich)?|thang|"
    r"(?:0?6|sau) thang(?: dau nam)?)(?![a-z])(?P<rest>.*)$"
)
_FINANCIAL_YEAR = re.compile(r"\bnam tai chinh\b")
_PERIOD_OF: dict[str, Every] = {"quy": "quarter", "qui": "quarter", "nam": "year", "thang": "month"}


def _period_end(event: str) -> Every | None:
    """The period an offset counts from: "15 ngày kể từ ngày kết thúc quý" is quarterly; what
    follows the period may only say what is done ("... kết thúc quý và gửi cho Bộ Tài chính")."""
    match = _PERIOD_END.fullmatch(event.strip())
    if match is None or not _only_filler(match.group("rest")):
        return None
    word = match.group("period").split()[0]
    return _PERIOD_OF.get(word, "half_year")


def _only_filler(text: str) -> bool:
    rest = _FILLER.sub(" ", text)
    return not re.search(r"\d", rest) and all(
        word in FILLER_SYLLABLES for word in _WORD.findall(rest))


_DAY_BEFORE = re.compile(r"\bngay\s*(?:thu\s*)?$")


@dataclass(frozen=True)
class _Relative:
    """The time allowed after an event (before it when negative), and the event."""

    within: timedelta | None
    working_days: int | None
    months: int | None
    event: str
    own_issue: bool  # the event is the plan's own signing


def _allowed(n: int, unit: str, working: bool) -> tuple[timedelta | None, int | None, int | None]:
    if unit == "thang":
        return None, None, n
    if working and unit == "ngay":
        return None, n, None
    return n * _UNIT[unit], None, None


def _relative(scan: _Scan) -> _Relative | None:
    """The time allowed from an event ("trong 30 ngày kể từ ngày ...", "03 tháng trước ngày hết
    hạn"): backwards from the event ("ít nhất 30 ngày trước khi hết hạn"), it is negative."""
    for match in scan.matches(_BEFORE_EVENT, "truoc"):
        event = scan.original[match.start("event") :].strip(" .;:,()")
        scan.take(match.start(), len(scan.folded))
        within, working, months = _allowed(-int(match.group("n")), match.group("unit"),
                                           bool(match.group("work")))
        return _Relative(within, working, months, event, False)
    for match in scan.matches(_RELATIVE, "ke tu", "tinh tu", "sau", "tu khi", "tu ngay"):
        if match.group("unit") == "thang" and _DAY_BEFORE.search(scan.folded, 0, match.start("n")):
            continue  # "ngày 12 tháng sau": a day of the next month, not 12 months
        event = scan.original[match.start("event") :].strip(" .;:,()")
        own = bool(_OWN_ISSUE.search(match.group("event")))
        scan.take(match.start(), len(scan.folded))
        n, unit = int(match.group("n") or match.group("n2")), match.group("unit") or "ngay"
        within, working, months = _allowed(n, unit, bool(match.group("work")))
        return _Relative(within, working, months, event, own)
    return None


_CONDITION = re.compile(
    r"\(?\s*(?:(?:ngay |ngay sau |sau )?khi|sau khi|theo yeu cau|khi co|neu co|trong truong hop)"
    r"\b(?P<event>[^)]*)\)?"
)


def _condition(scan: _Scan) -> str | None:
    for match in _CONDITION.finditer(scan.folded):
        if not scan.free(match.start(), match.start("event")):
            continue
        head = scan.folded[match.start() : match.start("event")]
        event = scan.original[match.start("event") : match.end("event")].strip(" .;:,()")
        if "theo yeu cau" in head:
            event = event or "có yêu cầu"
        scan.take(match.start(), match.end())
        return event or scan.original[match.start() : match.end()].strip(" .;:,()")
    return None


_ONGOING = re.compile(
    r"\b(?:thuong xuyen|lien tuc|suot (?:nam|ca nam|qua trinh)|"
    r"24\s*/\s*24(?![\d/])(?:\s*gio)?|24\s*/\s*7(?![\d/])|(?:tiep tuc )?duy tri|"
    r"cac nam tiep theo|nhung nam tiep theo|hang nam tiep theo)\b"
)
_FROM = re.compile(
    r"\btu\s*(?:nam\s*(?P<y1>(?:19|20)\d{2})|thang\s*(?P<m2>\d{1,2})\s*[/\-]\s*(?P<y2>\d{4})|"
    r"(?:ngay\s*)?(?P<d3>\d{1,2})\s*[/.\-]\s*(?P<m3>\d{1,2})\s*[/.\-]\s*(?P<y3>\d{4}))"
    r"|^\s*(?:nam\s*)?(?P<y4>(?:19|20)\d{2})\s*(?:va|,)"
)


def _ongoing(scan: _Scan) -> tuple[bool, date | None]:
    found = False
    for match in scan.matches(_ONGOING):
        scan.add(match, "ongoing", None)
        found = True
    if not found:
        return False, None
    start = None
    for match in scan.matches(_FROM):
        groups = match.groupdict()
        if groups["y1"] or groups["y4"]:
            start = date(int(groups["y1"] or groups["y4"]), 1, 1)
        elif groups["m2"]:
            start = _safe_date(scan, int(groups["y2"]), int(groups["m2"]), 1)
        else:
            start = _safe_date(scan, int(groups["y3"]), int(groups["m3"]), int(groups["d3"]))
        scan.take(match.start(), match.end())
        break
    return True, start


# Recurrence: "hằng quý", "06 tháng/lần", "trước ngày 20 hằng tháng", "hàng năm trước 10/12",
# "trước ngày 30 của tháng 03, 06, 09 và trước ngày 15 của tháng 12", "báo cáo tháng ...; báo
# cáo quý ...", "trước ngày 5 của tháng đầu quý sau".
_EVERY_WORDS: list[tuple[re.Pattern[str], Every]] = [
    (re.compile(r"\b(?:hang|moi)\s*ngay\b(?!\s*(?:lam viec\s*)?\d)|\bhangngay\b|"
                r"\b\d{1,2}\s*lan\s*(?:/|moi|trong)\s*(?:1\s*)?ngay\b"), "day"),
    (re.compile(r"\b(?:hang|moi|dinh ky|dinh ky hang)\s*tuan\b"), "week"),
    (re.compile(r"\b(?:hang|moi)\s*thang\b|(?<!\d)(?<!\d )(?<!\d  )\bthang\s*(?:/|mot|1|01)\s*lan\b|"
                r"\bbao cao thang\b"),
     "month"),
    (re.compile(r"\b(?:hang|moi)\s*qu[yi]\b|\bqu[yi]\s*(?:/|mot|1|01)\s*lan\b|"
                r"\b0?3\s*thang\s*(?:/|mot|1|01)\s*lan\b|\b(?:dinh ky|hang|moi)\s*0?3\s*thang\b|"
                r"\bbao cao qu[yi]\b(?!\s*(?:iv|iii|ii|i|[1-4])\b)"
                r"|\bdinh ky qu[yi]\b(?!\s*(?:iv|iii|ii|i|[1-4])\b)"),
     "quarter"),
    (re.compile(r"\b(?:0?6|sau)\s*thang\s*(?:/|mot|1|01)\s*lan\b|\bdinh ky\s*(?:0?6|sau)\s*thang\b|"
                r"\bbao cao\s*(?:0?6|sau)\s*thang(?:\s*(?:dau|cuoi)\s*nam)?\b|\b(?:hang|moi)\s*6\s*thang\b|"
                r"\bnua nam\s*(?:/|mot|1)\s*lan\b|\b0?6\s*thang\s*,\s*(?:12|mot nam)\b"),
     "half_year"),
    (re.compile(r"\b(?:hang|moi|tung)\s*nam\b|(?<!\d)(?<!\d )(?<!\d  )\bnam\s*(?:/|mot|1|01)\s*lan\b|"
                r"\b12\s*thang\s*(?:/|mot|1|01)\s*lan\b|\bbao cao nam\b|\bdinh ky nam\b|"
                r"\b0?1\s*nam\s*/\s*lan\b"),
     "year"),
]
_DAY_OF_MONTHS = re.compile(
    r"ngay\s*(?P<day>\d{1,2})\s*(?:cua\s*)?(?:cac\s*)?thang\s*"
    r"(?P<months>\d{1,2}(?:\s*(?:,|va|;)\s*\d{1,2}(?!\d|\s*thang))*)(?![\d/])"
)
_DAY_OF_PERIOD = re.compile(
    r"ngay\s*(?P<day>\d{1,2}|cuoi cung)\s*(?:cua\s*)?(?:(?P<rel>thang\s*(?P<which>dau tien|dau|"
    r"thu hai|thu ba|cuoi cung|cuoi)\s*(?:cua\s*)?(?:moi\s*|cac\s*|hang\s*)?(?P<period>qu[yi]|ky|nam)"
    r"(?P<next>\s*(?:sau|tiep theo|ke tiep|lien ke|lien sau)(?:\s*lien ke)?"
    r"(?:\s*(?:ngay sau\s*)?qu[yi] (?:bao cao|phat sinh))?)?"
    r"|thang\s*(?:sau|tiep theo|ke tiep)(?:\s*(?:lien ke|ngay sau))?(?:\s*thang (?:bao cao|phat sinh))?"
    r"|(?:hang|moi)\s*thang|"
    r"(?:nam|qu[yi])\s*(?:sau|tiep theo)|thang bao cao))"
)
_WHICH_MONTH = {"dau": 1, "dau tien": 1, "thu hai": 2, "thu ba": 3, "cuoi": 3, "cuoi cung": 3}
_DAY_MONTH = re.compile(r"(?<![\d/.])(?P<d>\d{1,2})\s*[/\-.]\s*(?P<m>\d{1,2})(?![\d/.\-]|\s*[/.\-]\s*\d)")
_DAY_MONTH_WORDS = re.compile(
    r"(?:(?<![a-z])ngay\s*|(?<=va )|(?<=truoc ))(?P<d>\d{1,2})\s*thang\s*(?P<m>\d{1,2})"
    r"(?!\d|\s*(?:nam|[/.\-])\s*\d|\s*(?:/\s*)?lan\b)")  # "12 tháng 1 lần" is a cadence
_RECUR_RANGE = re.compile(r"(?P<a>(?:19|20)\d{2})\s*(?:-|den|toi)\s*(?:nam\s*)?(?P<b>(?:19|20)\d{2})")


def _clauses(folded: str) -> list[tuple[int, int]]:
    """Split a recurrence phrase into clauses at ';' or where a new report kind starts. A clause
    with no cadence of its own belongs to the report named after it: "Ngày 20 tháng 6: báo cáo
    6 tháng"."""
    cuts = [0]
    # "đối với báo cáo 6 tháng đầu năm" names the report of the clause it ends; it starts none
    for match in re.finditer(r";|(?<!doi voi )\bbao cao (?=(?:thang|qu[yi]|nam|(?:0?6|sau) thang)\b)",
                             folded):
        if match.start() > cuts[-1]:
            cuts.append(match.start())
    cuts.append(len(folded))
    if len(cuts) == 2:
        return [(0, len(folded))]
    clauses: list[tuple[int, int]] = []
    start = 0
    for a, b in itertools.pairwise(cuts):
        cadence = any(pattern.search(folded[a:b]) for pattern, _ in _EVERY_WORDS)
        if not cadence and b < len(folded) and folded[b] != ";":
            continue  # joins the next clause
        clauses.append((start, b))
        start = b
    return clauses


def _recurrence(scan: _Scan) -> tuple[list[RecurrenceRule], list[int] | None] | None:
    rules: list[RecurrenceRule] = []
    for start, end in _clauses(scan.folded):
        clause = scan.folded[start:end]
        everies: list[tuple[int, int, Every]] = []
        for pattern, cadence in _EVERY_WORDS:
            everies += [
                (match.start(), match.end(), cadence)
                for match in pattern.finditer(clause)
                if scan.free(start + match.start(), start + match.end())
            ]
        explicit = [m for m in _DAY_OF_MONTHS.finditer(clause)
                    if scan.free(start + m.start(), start + m.end())]
        if not everies:
            pairs = sum(len(re.findall(r"\d{1,2}", m.group("months"))) for m in explicit)
            implied = _implied_every(clause)
            if pairs < 2 and implied is None:
                continue  # "ngày 30 tháng 4" is one date, not a recurrence
            if pairs < 2:
                explicit = []
                everies = [(0, 0, implied)] if implied else []
        inside = [(m.start(), m.end()) for m in _DAY_OF_PERIOD.finditer(clause)]
        for s, e, _ in everies:
            if not any(a <= s and e <= b for a, b in inside):
                scan.take(start + s, start + e)
        kinds = {cadence for _, _, cadence in everies}
        if len(kinds) > 1 and not explicit and not _DAY_OF_PERIOD.search(clause) and not any(
                scan.free(start + m.start(), start + m.end()) for m in _DAY_MONTH.finditer(clause)):
            # "định kỳ hằng quý, 6 tháng, năm": a report at the end of each of these periods.
            rules += [RecurrenceRule(every=k) for k in sorted(kinds, key=_CADENCE_ORDER.index)]
            continue
        if len(kinds) > 1:
            # "hằng năm ... hằng quý": every quarter of every year.
            kinds.discard("year")
        if len(kinds) > 1:
            scan.errors.append("two cadences and one due day in one clause")
            return None
        rule = _rule_in_clause(scan, start, end, next(iter(kinds)) if kinds else None, explicit)
        if rule is None:
            return None
        rules.append(rule)
    if not rules:
        return None
    years: list[int] | None = None
    for match in scan.matches(_RECUR_RANGE):
        a, b = int(match.group("a")), int(match.group("b"))
        if a <= b <= a + 30:
            years = list(range(a, b + 1))
            scan.add(match, "recur_years", years)
    else:
        for match in scan.matches(re.compile(r"(?:nam\s*)?(?<!\d)(?P<y>(?:19|20)\d{2})(?!\d)")):
            years = [int(match.group("y"))]
            scan.add(match, "recur_years", years)
            break
    return rules, years


_CADENCE_ORDER: list[Every] = ["day", "week", "month", "quarter", "half_year", "year"]


def _implied_every(clause: str) -> Every | None:
    """The cadence a due day implies: "ngày 25 của tháng cuối quý" is quarterly."""
    match = _DAY_OF_PERIOD.search(clause)
    if match is None:
        return None
    rel = match.group("rel")
    if re.search(r"qu[yi]", rel):
        return "quarter"
    if re.search(r"\bnam\b", rel):
        return "year"
    if re.search(r"\b(?:hang|moi)\b|\bthang\s*(?:sau|tiep theo|ke tiep)\b", rel):
        return "month"
    return None


def _rule_in_clause(
    scan: _Scan, start: int, end: int, every: Every | None, explicit: list[re.Match[str]]
) -> RecurrenceRule | None:
    clause = scan.folded[start:end]
    try:
        if explicit:
            days = []
            for match in explicit:
                day = int(match.group("day"))
                for month in re.findall(r"\d{1,2}", match.group("months")):
                    days.append(DayMonth(month=int(month), day=day))
                scan.take(start + match.start(), start + match.end())
            # "ngày 30 tháng 6 và 31 tháng 12": the days written out after the first
            for m in _DAY_MONTH_WORDS.finditer(clause):
                if scan.free(start + m.start(), start + m.end()):
                    days.append(DayMonth(month=int(m.group("m")), day=int(m.group("d"))))
                    scan.take(start + m.start(), start + m.end())
            return RecurrenceRule(every=_cadence_of(every, days), on=sorted(days))
        assert every is not None
        for match in _DAY_OF_PERIOD.finditer(clause):
            if not scan.free(start + match.start(), start + match.end()):
                continue
            scan.take(start + match.start(), start + match.end())
            due_day = None if match.group("day") == "cuoi cung" else int(match.group("day"))
            return RecurrenceRule(every=every, day=due_day, month_shift=_shift(match, every))
        day_months = [m for pattern in (_DAY_MONTH, _DAY_MONTH_WORDS) for m in pattern.finditer(clause)
                      if scan.free(start + m.start(), start + m.end())]
        if day_months:
            days = [DayMonth(month=int(m.group("m")), day=int(m.group("d"))) for m in day_months]
            for m in day_months:
                scan.take(start + m.start(), start + m.end())
            if len(day_months) == 2 and _SPAN_BETWEEN.fullmatch(
                    clause[day_months[0].end():day_months[1].start()]):
                days = days[1:]  # "từ ngày 01/7 đến ngày 15/7 hằng năm": due at the span's end
            return RecurrenceRule(every=_cadence_of(every, days), on=sorted(days))
        day_only = re.search(r"ngay\s*(\d{1,2})(?![\d/])", clause)
        if day_only and every == "month" and scan.free(start + day_only.start(),
                                                       start + day_only.end()):
            scan.take(start + day_only.start(), start + day_only.end())
            return RecurrenceRule(every="month", day=int(day_only.group(1)))
        weekday = re.search(r"thu\s*(hai|ba|tu|nam|sau|bay|[2-7])\b", clause)
        if every == "week" and weekday:
            names = {"hai": 1, "ba": 2, "tu": 3, "nam": 4, "sau": 5, "bay": 6}
            value = weekday.group(1)
            scan.take(start + weekday.start(), start + weekday.end())
            return RecurrenceRule(every="week", weekday=names.get(value) or int(value) - 1)
        return RecurrenceRule(every=every)
    except ValidationError as error:
        scan.errors.append(error.errors()[0]["msg"].removeprefix("Value error, "))
        return None
    except ValueError as error:
        scan.errors.append(str(error))
        return None


def _shift(match: re.Match[str], every: Every) -> int:
    """Months from the period's last month to the due month: "tháng cuối quý" 0, "tháng đầu quý
    sau" 1, "tháng thứ hai quý sau" 2, "tháng cuối quý sau" 3, "tháng đầu mỗi quý" -2."""
    rel, which = match.group("rel"), match.group("which")
    if which is None:
        return 1 if re.search(r"\b(?:sau|tiep theo|ke tiep)\b", rel) else 0
    length = {"quarter": 3, "half_year": 6, "year": 12}.get(every, 3)
    month = _WHICH_MONTH[which] if which not in ("cuoi", "cuoi cung") else length
    return month - length + (length if match.group("next") else 0)


_SPAN_BETWEEN = re.compile(r"\s*(?:-|den het|den|toi)\s*(?:ngay\s*)?")


def _cadence_of(every: Every | None, days: list[DayMonth]) -> Every:
    """The cadence of due days written out: "ngày 10 tháng 01 và ngày 10 tháng 7 hằng năm" is a
    day in each half-year; a weekly or yearly word with one day is yearly."""
    if every in (None, "week", "year"):
        return _every_of(days) if len(days) > 1 else "year"
    return every


def _every_of(days: list[DayMonth]) -> Every:
    by_count: dict[int, Every] = {2: "half_year", 4: "quarter", 12: "month"}
    longest = by_count.get(len(days), "year")
    # "15/8 và 15/11": a third and a fourth quarter's; else the rule refuses the days
    return cadence_apart([d.in_year(2024) for d in days], longest, "quarter") or longest


_DATE_WORDS = re.compile(
    r"(?:ngay\s*|(?<=tu )|(?<=den )|(?<=truoc ))(?P<d>\d{1,2})\s*thang\s*(?P<m>\d{1,2})"
    r"(?:\s*,?\s*(?:cua\s*)?nam\s*(?:(?P<y>\d{4})|(?P<next>sau|tiep theo|ke tiep)"
    r"(?:\s*lien (?:ke|sau))?))?"
)
_DAY_RANGE = re.compile(
    r"(?<![\d/.])(?P<d1>\d{1,2})\s*-\s*(?P<d2>\d{1,2})\s*/\s*(?P<m>\d{1,2})"
    r"(?:\s*/\s*(?P<y>\d{4}))?(?![\d/])"
    # "từ ngày 15 đến 22-10-2014", "từ 17 đến 20.8": the first day takes the second's month
    r"|(?<=tu )(?:ngay\s*)?(?P<f1>\d{1,2})\s*(?:den|toi)\s*(?:ngay\s*)?(?P<f2>\d{1,2})\s*"
    r"(?P<fs>[/.\-])\s*(?P<fm>\d{1,2})(?:\s*(?P=fs)\s*(?P<fy>\d{4}))?(?![\d/.\-])"
    r"|(?<![\d/.])(?P<a>\d{1,2})\s*/\s*(?P<am>\d{1,2})\s*-\s*(?P<b>\d{1,2})\s*/\s*(?P<bm>\d{1,2})"
    r"(?:\s*/\s*(?P<by>\d{4}))?(?![\d/])"
)
_TIME_BEFORE = re.compile(
    r"(?:luc\s*)?(?P<h>\d{1,2})\s*(?:h|gio|:)\s*(?P<mi>\d{2})?\s*(?:phut)?\s*"
    r"(?P<ap>sang|chieu|toi)?\s*,?\s*(?:ngay\s*)?$"
)
_TIME_AFTER = re.compile(
    r"^\s*,?\s*(?:truoc|luc|vao)?\s*(?P<h>\d{1,2})\s*(?:h|gio|:)\s*(?P<mi>\d{2})?\s*(?:phut)?"
    r"\s*(?P<ap>sang|chieu|toi)?(?![\d/])"
)
_MONTH_YEAR = re.compile(r"(?<![\d/.\-])(?P<m>\d{1,2})\s*[/\-.]\s*(?P<y>(?:19|20)\d{2})(?![\d/])")
_DATE = re.compile(
    r"(?<![\d/.\-])(?P<d>\d{1,2})\s*[/.\-]\s*(?P<m>\d{1,2})(?:\s*[/.\-]\s*(?P<y>\d{4}|\d{2}))?"
    r"(?![\d/])"
)
_TIME = re.compile(
    r"(?<![\d/])(?P<h>\d{1,2})\s*(?:h|gio|:)\s*(?P<mi>\d{2})?\s*(?:phut|p\b)?(?:\s*(?P<ap>sang|chieu))?"
    r"(?![\d/])"
)


_NEXT_YEAR = re.compile(
    r"(?:,\s*)?(?:cua\s*)?nam\s*(?:sau|tiep theo|ke tiep|lien sau|lien ke)(?:\s*lien (?:ke|sau))?"
    r"(?:\s*(?:cua\s*)?nam bao cao)?\b")


def _next_year(scan: _Scan) -> bool:
    """"... năm sau": what the phrase dates without a year falls in the next year."""
    for match in scan.matches(_NEXT_YEAR, "sau", "tiep", "ke tiep", "lien"):
        scan.take(match.start(), match.end())
        scan.year += 1
        return True
    return False


def _word_dates(scan: _Scan) -> None:
    _add_dates(scan, _DATE_WORDS, "thang")


def _numeric_dates(scan: _Scan) -> None:
    for match in scan.matches(_DAY_RANGE, "-", "den", "toi"):
        g = match.groupdict()
        if g["f1"]:
            year = _full_year(g["fy"], scan.year)
            first = _safe_date(scan, year, int(g["fm"]), int(g["f1"]))
            last = _safe_date(scan, year, int(g["fm"]), int(g["f2"]))
            if first and last and first < last:
                scan.add(match, "day_range", (first, last), explicit_year=bool(g["fy"]))
            continue
        if g["d1"]:
            year = _full_year(g["y"], scan.year)
            first = _safe_date(scan, year, int(g["m"]), int(g["d1"]))
            last = _safe_date(scan, year, int(g["m"]), int(g["d2"]))
        else:
            year = _full_year(g["by"], scan.year)
            first = _safe_date(scan, year, int(g["am"]), int(g["a"]))
            last = _safe_date(scan, year, int(g["bm"]), int(g["b"]))
        if first and last:
            scan.add(match, "day_range", (first, last), explicit_year=bool(g["y"] or g["by"]))
    for match in scan.matches(_MONTH_YEAR):
        if re.search(r"(?:thang|qu[yi]|q\.?)\s*(?:\d{1,2}\s*[-,]\s*)?$", scan.before(match.start(), 12)):
            continue
        if 1 <= int(match.group("m")) <= 12:
            scan.add(match, "month", [(int(match.group("y")), int(match.group("m")))])
    _add_dates(scan, _DATE)


def _add_dates(scan: _Scan, pattern: re.Pattern[str], *needles: str) -> None:
    for match in scan.matches(pattern, *needles):
        if re.search(r"thang\s*$", scan.before(match.start(), 8)):
            continue  # "tháng 6-7/2025" is a month range, not 6 July
        if not match.group("y") and _COUNTED.match(scan.after(match.end())):
            scan.errors.append(f"{match.group(0)!r} counts days, it is not a date")  # "7-10 ngày"
            continue
        year = _full_year(match.group("y"), scan.year)
        if match.groupdict().get("next"):
            year += 1
        day = _safe_date(scan, year, int(match.group("m")), int(match.group("d")))
        at = _attached_time(scan, match)
        context = _TIME.sub(" ", scan.before(match.start()))
        before = bool(_BEFORE.search(context)) or bool(
            _BEFORE_LEAD.search(_TIME.sub(" ", scan.before(match.start(), 80)))) or bool(
            _BEFORE_AFTER.search(_TIME.sub(" ", scan.after(match.end()))))
        scan.add(match, "date", _Day(day, before, at) if day else None,
                 explicit_year=bool(match.group("y") or match.groupdict().get("next")))


_COUNTED = re.compile(r"\s*(?:ngay|tuan|gio)\b")


def _attached_time(scan: _Scan, match: re.Match[str]) -> time | None:
    """The time of day written right before or after a date ("17h ngày 28/7", "28/4 lúc 14h")."""
    window = scan.before(match.start(), 30)
    found = _TIME_BEFORE.search(window)
    offset = match.start() - len(window)
    if found is None or not scan.free(offset + found.start(), offset + found.end()):
        found = _TIME_AFTER.search(scan.after(match.end()))
        offset = match.end()
        if found is None or not scan.free(offset + found.start(), offset + found.end()):
            return None
    hour, minute = int(found.group("h")), int(found.group("mi") or 0)
    if found.group("ap") in ("chieu", "toi") and hour < 12:
        hour += 12
    if hour > 23 or minute > 59:
        scan.errors.append(f"{found.group(0).strip()} is not a time of day")
        return None
    scan.take(offset + found.start(), offset + found.end())
    return time(hour, minute)


def _times(scan: _Scan) -> time | None:
    """The time of day of a deadline ("trước 14h00 ngày 28/4"); more than one makes it vague."""
    found = []
    for match in scan.matches(_TIME):
        hour, minute = int(match.group("h")), int(match.group("mi") or 0)
        if match.group("ap") == "chieu" and hour < 12:
            hour += 12
        if hour > 23 or minute > 59:
            scan.errors.append(f"{match.group(0)} is not a time of day")
            return None
        scan.add(match, "time", None)
        found.append(time(hour, minute))
    return found[0] if len(found) == 1 else None


_HALF = re.compile(
    r"(?:0?6|sau)\s*thang\s*(?P<which>dau|cuoi)\s*(?:nam|cua nam)" + _SEP_YEAR
    + r"|nua\s*(?P<which2>dau|cuoi)\s*nam" + _SEP_YEAR.replace("year", "year2")
)


_FIRST_MONTHS = re.compile(
    r"(?<![\d/])(?P<n>\d{1,2})\s*thang\s*(?:dau\s*)?(?:nam|cua nam)\s*(?P<year>(?:19|20)\d{2})?"
)


def _halves(scan: _Scan) -> None:
    for match in scan.matches(_FIRST_MONTHS, "thang"):
        n, year = int(match.group("n")), _year_of(match, scan.year)
        if n == 6 or not 1 <= n <= 12 or not re.search(r"thang\s*dau|\d{4}", match.group(0)):
            continue
        if n == 3:
            scan.add(match, "quarter", [(year, 1)])
        elif n == 12:
            scan.add(match, "year", (year, False))
        else:
            scan.add(match, "months_from_january", (year, n))
    for match in scan.matches(_HALF, "thang", "nua"):
        which = match.group("which") or match.group("which2")
        year = int(match.group("year") or match.group("year2") or scan.year)
        scan.add(match, "half", (year, 1 if which == "dau" else 2))


_QUARTER = re.compile(
    r"(?<![a-z])(?:quy|qui|q\.?)\s*(?P<nums>(?:" + _QUARTER_NUM + r")(?:" + _LIST_SEP
    + r"(?:(?:quy|qui|q\.?)\s*)?(?:" + _QUARTER_NUM + r"))*)" + _SEP_YEAR
)
_MONTH = re.compile(
    r"(?<![a-z])(?:thang|t)\s*(?P<nums>\d{1,2}(?:" + _LIST_SEP + r"(?:thang\s*)?\d{1,2})*)"
    r"(?![\d])(?:\s*(?:/|-|,|\.)?\s*(?:nam\s*)?(?P<year>\d{4})(?!\d))?"
)


def _numbers(text: str) -> list[int]:
    values = []
    for token in re.findall(r"iv|iii|ii|i|\d+|mot|hai|ba|bon|tu", text):
        values.append(_ROMAN.get(token) or _WORD_NUMBERS.get(token) or int(token))
    return values


def _quarters(scan: _Scan) -> None:
    for match in scan.matches(_QUARTER):
        nums = _numbers(re.sub(r"qu[yi]|q\.?", " ", match.group("nums")))
        year = _year_of(match, scan.year)
        if any(not 1 <= n <= 4 for n in nums):
            scan.errors.append(f"no quarter {nums}")
            continue
        listed = len(nums) > 1 and not re.search(r"-|\bden\b|\btoi\b", match.group("nums"))
        if len(nums) > 2 and not listed:
            scan.errors.append(f"a span of {len(nums)} quarters")
            continue
        scan.add(match, "quarter_list" if listed else "quarter", [(year, n) for n in nums],
                 explicit_year=bool(match.group("year")))


def _months(scan: _Scan) -> None:
    for match in scan.matches(_MONTH):
        written = match.group(0).strip()
        if not written.startswith("thang") and not re.match(r"t\d{1,2}(?:\s*[/\-]\s*\d{4}|$)", written):
            continue  # a bare "t" is a month only in "T6/2025" or "T5"
        nums = [int(n) for n in re.findall(r"\d+", match.group("nums"))]
        if any(not 1 <= n <= 12 for n in nums):
            continue
        listed = len(nums) > 1 and not re.search(r"-|\bden\b|\btoi\b", match.group("nums"))
        if len(nums) > 2 and not listed:
            scan.errors.append(f"a span of {len(nums)} months")
            continue
        scan.add(match, "month_list" if listed else "month", [(_year_of(match, scan.year), n) for n in nums],
                 explicit_year=bool(match.group("year")))


_YEAR_RANGE = re.compile(
    r"(?<!\d)(?P<a>(?:19|20)\d{2})\s*(?:-|den het|den|toi|va)\s*(?:nam\s*)?(?P<b>(?:19|20)\d{2})"
    r"(?!\d)"
)
_YEAR = re.compile(r"(?<![\d/.])(?P<year>(?:19|20)\d{2})(?![\d/])")


_COUNTED_YEARS = re.compile(r"(?<![\d/])\d{1,2}\s*nam\s*(?=(?:19|20)\d{2}\s*-)")


def _year_ends(scan: _Scan) -> None:
    """"đến hết năm", "cuối năm" with no year: the end of the plan's year."""
    for match in scan.matches(_YEAR_END):
        scan.add(match, "year", (scan.year, False), explicit_year=False)


def _years(scan: _Scan) -> None:
    for match in scan.matches(_COUNTED_YEARS, "-"):
        scan.take(match.start(), match.end())  # "5 năm 2026-2030": the count the range states
    for match in scan.matches(_YEAR_RANGE):
        a, b = int(match.group("a")), int(match.group("b"))
        if a < b:
            scan.add(match, "year_range", (a, b))
    for match in scan.matches(_YEAR):
        open_start = bool(re.search(r"den\s*(?:het\s*)?(?:nam\s*)?$", scan.before(match.start(), 12)))
        scan.add(match, "year", (int(match.group("year")), open_start))


# -- putting the pieces together --------------------------------------------------------------


def _bounds(piece: _Piece) -> tuple[date, date] | None:
    """The first and last day a piece covers."""
    match piece.what, piece.value:
        case "date", _Day(day=day):
            return day, day
        case "month", list() as items:
            (y1, m1), (y2, m2) = _ends(items)
            return date(y1, m1, 1), month_end(y2, m2)
        case "quarter", list() as items:
            (y1, q1), (y2, q2) = _ends(items)
            return period_bounds("quarter", y1, q1)[0], period_bounds("quarter", y2, q2)[1]
        case "half", (int() as y, int() as h):
            return period_bounds("half_year", y, h)
        case "year", (int() as y, _):
            return date(y, 1, 1), date(y, 12, 31)
        case "year_range", (int() as a, int() as b):
            return date(a, 1, 1), date(b, 12, 31)
        case "day_range", (date() as first, date() as last):
            return first, last
        case "months_from_january", (int() as y, int() as n):
            return date(y, 1, 1), month_end(y, n)
    return None


def _ends(items: list[Any]) -> tuple[tuple[int, int], tuple[int, int]]:
    """First and last (year, number) of a listed month or quarter: "tháng 6-7/2025"."""
    return items[0], items[-1]


def _single(piece: _Piece, time_of_day: time | None) -> Deadline | None:
    match piece.what, piece.value:
        case "month_list", list() as items:
            return CompositeDeadline(relation="all", parts=[MonthDeadline(year=y, month=m)
                                                            for y, m in items])
        case "quarter_list", list() as items:
            return CompositeDeadline(relation="all", parts=[QuarterDeadline(year=y, quarter=q)
                                                            for y, q in items])
        case "date", _Day(day=day, before=before, at=at):
            return DateDeadline(
                kind="before_date" if before else "absolute_date", date=day, time=at or time_of_day
            )
        case "month", [(int() as y, int() as m)]:
            return MonthDeadline(year=y, month=m)
        case "quarter", [(int() as y, int() as q)]:
            return QuarterDeadline(year=y, quarter=q)
        case "half", (int() as y, int() as h):
            return HalfYearDeadline(year=y, half=h)
        case "year", (int() as y, bool() as open_start):
            return YearDeadline(year=y, open_start=open_start)
    bounds = _bounds(piece)
    if bounds is None:
        return None
    return RangeDeadline(start=bounds[0], end=bounds[1])


_JOIN = re.compile(
    r"^\s*(?:-|–|,|;)?\s*(?:va\s*)?(?:(?:se|du kien|dien ra)\s*)*(?:keo dai\s*)?"
    r"(?:den het|den|toi|cho den truoc|cho den)?\s*"
    r"(?:ket thuc\s*(?:cham nhat\s*)?(?:truoc|vao)?)?\s*(?:het\s*)?(?:ngay\s*|nam\s*|cuoi\s*)?$"
)


def _from_now(scan: _Scan) -> bool:
    """"từ nay đến cuối năm 2025": a range that starts when the plan is issued."""
    for match in scan.matches(re.compile(r"\btu (?:nay|bay gio|thoi diem nay)\b")):
        scan.take(match.start(), match.end())
        return True
    return False


def _combine(pieces: list[_Piece], unread: str, time_of_day: time | None) -> Deadline:
    if len(pieces) == 1:
        single = _single(pieces[0], time_of_day)
        return single or UnknownDeadline(reason="unreadable")
    if len(pieces) == 2:
        gap = unread[pieces[0].end : pieces[1].start]
        first, last = _bounds(pieces[0]), _bounds(pieces[1])
        if first and last and not pieces[0].explicit_year and pieces[1].explicit_year:
            # "từ tháng 10 đến hết tháng 3/2026": the first end takes the year of the second.
            first = _in_year(first, last[0].year)
            if first[0] > last[0]:
                first = _in_year(first, last[0].year - 1)
        if first and last and _JOIN.match(gap):
            if first[0] > last[1]:
                return UnknownDeadline(reason="the range ends before it starts")
            # "tháng 5 và tháng 6", "Quý I/2025, năm 2026": a list is several deadlines.
            listed = re.fullmatch(r"\s*(?:,|va|;)\s*(?:ngay|nam|cuoi)?\s*", gap) is not None
            if listed:
                return _listed(pieces, time_of_day)
            end_at = pieces[1].value.at if isinstance(pieces[1].value, _Day) else None
            return RangeDeadline(start=first[0], end=last[1], time=end_at)
    return UnknownDeadline(reason="more than one deadline in the phrase")


def _listed(pieces: list[_Piece], time_of_day: time | None) -> Deadline:
    """Two deadlines joined by "," or "và": each its own obligation."""
    if not pieces[0].explicit_year and pieces[1].explicit_year and isinstance(pieces[0].value, list) \
            and isinstance(pieces[1].value, list) and pieces[0].value[0][0] != pieces[1].value[0][0]:
        return UnknownDeadline(reason="a list whose first item's year is not said")
    parts = [_single(piece, time_of_day) for piece in pieces]
    simple = [p for p in parts if p is not None and p.kind not in ("composite", "year_range")]
    if len(simple) != len(parts):
        return UnknownDeadline(reason="two deadlines in one phrase")
    return CompositeDeadline.model_validate({"relation": "all", "parts": simple})


def _in_year(bounds: tuple[date, date], year: int) -> tuple[date, date]:
    shift = year - bounds[0].year
    return tuple(  # type: ignore[return-value]
        d.replace(year=d.year + shift, day=min(d.day, month_end(d.year + shift, d.month).day))
        for d in bounds)


# "Báo cáo quý: chậm nhất là 30 ngày", "trong 7-10 ngày": time allowed from an event not named.
_COUNT_FROM_NOTHING = re.compile(
    r"\b(?:cham nhat|muon nhat|trong|khong qua|toi da|sau|truoc|toi thieu|it nhat|la)\s*"
    r"(?:vong\s*|thoi han\s*|thoi gian\s*)?(?:la\s*)?\d{1,3}\s*(?:ngay|tuan|thang|nam|gio)\b")


def _leftover_problem(scan: _Scan) -> str | None:
    rest = scan.leftover()
    counted = _COUNT_FROM_NOTHING.search(rest) if _DIGIT.search(rest) else None
    if counted and not any(p.what in _DEADLINE_PIECES for p in scan.pieces):
        # with dates, the count says how long their span is: "trong 90 ngày, từ 01/9 đến 30/11"
        return f"{counted.group(0).strip()!r}: counted from what is not said"
    if _DIGIT.search(rest):
        rest = _QUANTITY.sub(lambda m: " " * len(m.group()), rest)
    if re.search(r"\d", rest):
        return f"unread number in {scan.original!r}"
    poison = _POISON.search(scan.unread_original())
    if poison:
        return f"the word {poison.group(0)!r} changes the meaning"
    for match in _FILLER.finditer(rest):
        scan.take(match.start(), match.end())
    unread = [scan.original[word.start() : word.end()] for word in _WORD.finditer(scan.leftover())
              if word.group() not in FILLER_SYLLABLES and word.start() not in scan.hidden]
    if unread:
        return f"{' '.join(unread)!r} not read: neither a date nor filler"
    return None


def read_part(
    text: str,
    *,
    year: int,
    issued: date | None = None,
    years: list[int] | None = None,
    add_working_days: AddWorkingDays | None = None,
) -> Deadline:
    """Read one deadline phrase.

    `year` fills what the phrase leaves out; `years` are the years a recurrence that names none
    covers (default: `year` alone; a plan passes all its years); `issued` is the plan's issue
    date, for "trong 30 ngày kể từ ngày ký"; `add_working_days` counts working days.
    """
    original = text.strip()
    if not original:
        return UnknownDeadline(reason="empty")
    scan = _Scan(original=original, folded=fold(original), year=year)

    for match in scan.matches(_ORDINAL_DAY, "ngay thu", "ngay mung", "ngay mong"):
        scan.blank(match.start(), match.end())  # "ngày thứ 20", "ngày mùng 5" are days 20 and 5
    for match in scan.matches(_NUMBER_WORDS, "("):
        scan.blank(match.start(), match.end())  # "ngày 06 (sáu)": the words repeat the number
    for match in scan.matches(_VISION, "tam nhin", "dinh huong"):
        scan.take(match.start(), match.end())
    for match in scan.matches(_DATA_PERIOD, "("):
        scan.take(match.start(), match.end())
    if _PLAN_PERIOD_YEAR.search(scan.folded):
        return UnknownDeadline(reason="the first or last year of a plan's period: which years is not said")
    _purposes(scan)
    for match in scan.matches(_REPORT_NAME, "doi voi"):
        scan.take(match.start(), match.end())
    _month_names(scan)
    _counts_in_words(scan)
    _citations(scan)
    counted = None if _FINANCIAL_YEAR.search(scan.folded) else read_days_of_period(
        scan.leftover(), scan.original)
    if isinstance(counted, NotRead):
        return UnknownDeadline(reason=counted.reason)
    if isinstance(counted, DayOfPeriod):
        # "trong 05 ngày đầu tiên của tháng": that day of each period's first month
        shift = -2 if counted.every == "quarter" else 0
        rule = RecurrenceRule(every=counted.every, day=counted.day, month_shift=shift)
        return RecurringDeadline(rules=[rule], years=years or [year])
    if isinstance(counted, AfterPeriod):
        # "trong 15 ngày kể từ ngày kết thúc quý", "10 ngày làm việc đầu tiên của tháng tiếp theo"
        return _after_period(counted.every, counted.days, counted.working, years or [year],
                             add_working_days)
    relative = _relative(scan)
    condition = _condition(scan) if relative is None else None
    if relative is not None and _FINANCIAL_YEAR.search(fold(relative.event)):
        return UnknownDeadline(reason="a financial year's end: not the calendar year's, so not known")
    if relative is not None:
        every = _period_end(fold(relative.event))
        if every is None and _PERIOD_END.fullmatch(fold(relative.event).strip()):
            return UnknownDeadline(reason=f"the end of {relative.event!r}: which period, each time?")
        if every is not None and (relative.working_days or (relative.within or timedelta()).days):
            # days after each period that the grammar of `periods` did not read: words around them
            return UnknownDeadline(reason=f"days after {relative.event!r}: words that are not read")
        return _relative_deadline(scan, relative, issued, add_working_days)

    ongoing, start = _ongoing(scan)
    recurrence = _recurrence(scan)
    _word_dates(scan)
    if re.search(r"\bcua nam truoc\b|\bnam truoc (?:nam|ky)\b", scan.folded):
        return UnknownDeadline(reason="'năm trước': the year before which year is not said")
    next_year = _next_year(scan)
    _halves(scan)
    _quarters(scan)
    _months(scan)
    _numeric_dates(scan)
    time_of_day = _times(scan)
    _year_ends(scan)
    _years(scan)
    from_now = _from_now(scan)
    open_end = _OPEN_END.search(scan.folded)
    if open_end:
        scan.take(open_end.start(1), open_end.end(1))  # "từ năm 2026 trở đi": an open start
    if scan.errors:
        return UnknownDeadline(reason="; ".join(scan.errors))

    pieces = sorted((p for p in scan.pieces if p.what in _DEADLINE_PIECES), key=lambda p: p.start)
    unread = scan.leftover()  # before filler words are set aside: "và" joins differently from "-"
    problem = _leftover_problem(scan)
    if problem:
        return UnknownDeadline(reason=problem)

    if recurrence is not None and recurrence[0] == [RecurrenceRule(every="year")] and not ongoing \
            and len(pieces) == 1 and pieces[0].what in _YEARLY_PIECES and not pieces[0].explicit_year:
        # "tháng 6 hằng năm", "Quý I hằng năm", "từ ngày 01/7 đến ngày 15/7 hằng năm": due at
        # the end of that month, quarter or span each year
        bounds = _bounds(pieces[0])
        if bounds is not None:
            end = DayMonth(month=bounds[1].month, day=bounds[1].day)
            at = pieces[0].value.at if isinstance(pieces[0].value, _Day) else None
            return RecurringDeadline(rules=[RecurrenceRule(every="year", on=[end], time=at)],
                                     years=recurrence[1] or years or [year])
    if recurrence is not None:
        if pieces or ongoing:
            return UnknownDeadline(reason="a recurrence and another deadline in one phrase")
        rules, stated = recurrence
        if next_year:
            # "trước ngày 10/01 năm tiếp theo đối với báo cáo năm": each year's, due the next year
            if any(r.every != "year" or not r.on or len(r.on) != 1 for r in rules):
                return UnknownDeadline(reason="'năm sau' with a schedule that is not yearly")
            rules = [RecurrenceRule(every="year", day=r.on[0].day,  # type: ignore[index]
                                    month_shift=r.on[0].month, time=r.time)  # type: ignore[index]
                     for r in rules]
        if not next_year and _YEARLY_REPORT.search(scan.folded) and any(
                r.on and r.on[0].month <= 3 for r in rules):
            return _EARLY_YEARLY_REPORT
        if time_of_day is not None and len(rules) == 1:
            rules = [rules[0].model_copy(update={"time": time_of_day})]  # "trước 16 giờ hằng ngày"
        try:
            return RecurringDeadline(rules=rules, years=stated or years or [year])
        except ValidationError as error:
            return UnknownDeadline(reason=error.errors()[0]["msg"].removeprefix("Value error, "))
    if ongoing:
        if pieces and start is None and len(pieces) == 1 and pieces[0].what == "year":
            start = date(pieces[0].value[0], 1, 1)  # type: ignore[index]
            pieces = []
        if pieces:
            return UnknownDeadline(reason="ongoing and a deadline in one phrase")
        return OngoingDeadline(start=start)
    if condition is not None:
        if not pieces:
            return EventDeadline(kind="conditional", event=condition)
        dated = _combine(pieces, unread, time_of_day)
        _, dues = span(dated)
        return EventDeadline(kind="conditional", event=condition, due=dues[-1] if dues else None)
    if not pieces:
        return UnknownDeadline(reason="no date, period, recurrence or condition found")
    spans_itself = isinstance(pieces[0].value, list) and len(pieces[0].value) > 1 if pieces else False
    if (len(pieces) == 1 and not from_now and pieces[0].what in _POINTS and not spans_itself
            and _START_ONLY.search(scan.before(pieces[0].start, 20))):
        bounds = _bounds(pieces[0])
        if bounds is None or not (re.search(r"\btro di\b|\bbat dau\b", scan.folded)
                                  or not _leftover_words(unread)):
            return UnknownDeadline(reason="a start with no end")
        return OngoingDeadline(start=bounds[0])  # "từ năm 2026 trở đi", "Từ quý II/2026"
    combined = _combine(pieces, unread, time_of_day)
    if _REPORT_YEAR.search(scan.folded):
        yearly = _each_reporting_year(combined, pieces, scan.folded, year)
        if yearly is not None:
            return RecurringDeadline(rules=yearly, years=years or [year]) if isinstance(
                yearly, list) else yearly
    if from_now and not isinstance(combined, UnknownDeadline):
        first, dues = span(combined)
        start = issued or first
        if start is None or not dues or dues[-1] < start:
            return UnknownDeadline(reason="'từ nay' with no issue date to start from")
        return RangeDeadline(start=start, end=dues[-1])
    return combined


# "của năm báo cáo", "của kỳ báo cáo", "năm sau năm báo cáo", "đối với báo cáo 03 tháng": the
# due day of a report made every year, not one date.
_REPORT_YEAR = re.compile(
    r"\b(?:nam|ky)(?:\s*thuoc\s*ky)?\s*bao cao\b(?!\s*(?:tinh tu|tu ngay))"
    r"|\bdoi voi\s*(?:ky\s*)?bao cao\s*(?:(?:0?3|0?6|0?9|ba|sau|chin)\s*thang|(?:ca\s*|hang\s*)?nam|"
    r"qu[yi])\b")


def _each_reporting_year(combined: Deadline, pieces: list[_Piece], folded: str,
                         year: int) -> list[RecurrenceRule] | UnknownDeadline | None:
    """The yearly rules of days and months (none with a year of their own) that a report's period
    qualifies: in the report's year, or in the year after ("năm sau năm báo cáo")."""
    dated = combined.parts if isinstance(combined, CompositeDeadline) else [combined]
    if not dated or any(not isinstance(part, DateDeadline) for part in dated) or any(
            piece.what != "date" or re.search(r"\d{4}", folded[piece.start:piece.end])
            for piece in pieces):
        return None
    days = [part.date for part in dated if isinstance(part, DateDeadline)]
    at = {part.time for part in dated if isinstance(part, DateDeadline)}
    if len(at) > 1:
        return None
    if len(days) == 1 and days[0].year == year + 1:
        return [RecurrenceRule(every="year", day=days[0].day, month_shift=days[0].month,
                               time=at.pop())]
    if any(day.year != year for day in days):
        return None
    if _YEARLY_REPORT.search(folded) and any(day.month <= 3 for day in days):
        return _EARLY_YEARLY_REPORT
    on = [DayMonth(month=day.month, day=day.day) for day in days]
    every = cadence_apart(days)
    return [RecurrenceRule(every=every, on=on, time=at.pop())] if every else None


# "ngày 15 tháng 01 đối với báo cáo năm" with no next year said: a year's report cannot be due
# early in that same year, and the phrase does not say it is the next.
_EARLY_YEARLY_REPORT = UnknownDeadline(
    reason="a year's report due in a first quarter: in the year after is not said")
_YEARLY_REPORT = re.compile(r"\bdoi voi\s*(?:ky\s*)?bao cao\s*(?:ca\s*|hang\s*|dinh ky\s*)?nam\b"
                            r"(?!\s*truoc)")




_OPEN_END = re.compile(r"\btu\b.*?\b(tro di)\b")
_YEARLY_PIECES = {"date", "day_range", "month", "quarter", "half"}
_POINTS = {"date", "month", "quarter", "half", "year"}


def _leftover_words(unread: str) -> bool:
    """Whether words other than filler and "từ ... trở đi" are left: then a start is not alone."""
    rest = _FILLER.sub(" ", re.sub(r"\b(?:bat dau|tu|tro di)\b", " ", unread))
    return re.search(r"[a-z]", rest) is not None
_DEADLINE_PIECES = {
    "date", "day_range", "month", "quarter", "half", "year", "year_range", "months_from_january",
    "month_list", "quarter_list",
}


def _after_period(every: Every, days: int, working: bool, years: list[int],
                  add_working_days: AddWorkingDays | None) -> Deadline:
    """Due `days` (working) days after each period of `every` ends."""
    if not working:
        return RecurringDeadline(rules=[RecurrenceRule(every=every, after_days=days)], years=years)
    if add_working_days is None:
        return UnknownDeadline(reason="working days after each period: no working calendar to count them")
    rule = RecurrenceRule(every=every, after_working_days=days)
    return RecurringDeadline(rules=[rule.count_working_days(years, add_working_days)], years=years)


def _relative_deadline(
    scan: _Scan,
    relative: _Relative,
    issued: date | None,
    add_working_days: AddWorkingDays | None,
) -> Deadline:
    if re.search(r"\d", scan.leftover()):
        return UnknownDeadline(reason=f"unread number in {scan.original!r}")
    due = None
    if relative.own_issue and issued is not None and relative.months is None:
        if relative.working_days is None and relative.within is not None:
            due = issued + relative.within if relative.within >= timedelta(days=1) else issued
        elif relative.working_days is not None and add_working_days is not None:
            due = add_working_days(issued, relative.working_days)
    return EventDeadline(
        kind="relative_to_event",
        event=relative.event,
        within=relative.within,
        within_working_days=relative.working_days,
        within_months=relative.months,
        due=due,
    )
