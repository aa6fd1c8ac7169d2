"""Days counted from a period, read by a lark grammar: "trong thời hạn 15 ngày kể từ ngày kết thúc
quý", "10 ngày làm việc đầu tiên của tháng tiếp theo", "ngày làm việc thứ hai của tháng tiếp theo",
"hằng tháng, trong thời hạn 05 ngày đầu tiên của tháng", "trước thứ Hai tuần sau".

The grammar runs over the lexer's tokens of a part (after the passes have written counts in words as
digits and hidden what is not to be read), each token a terminal: numbers, the unit and period
words, the few syllables the family is made of ("kết thúc", "đầu tiên", "tiếp theo"), and
everything else as a word of the task before the count. Earley with explicit ambiguity: two parses
that read differently are `unknown`. A `Transformer` builds the reading; the caller (the passes'
`read_part`) counts working days on the plan's calendar.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass
from functools import lru_cache

from lark import Lark, Token, Transformer, Tree
from lark.exceptions import LarkError
from lark.visitors import CollapseAmbiguities

from plans.deadline import Every
from plans.grammar.lexer import Token as Lexeme
from plans.grammar.lexer import tokens

_GRAMMAR = r"""
    start: _task* reading _tail?

    reading: _SAU? count _COMMA? _since _end_of                -> after_end
           | _NGAY _THU? NUM _since _end_of                      -> after_end_nth
           | count _DAU _TIEN? _CUA? period _next               -> first_days_next
           | NGAY_LV _THU ordinal _CUA? period _next            -> nth_working_day_next
           | count _DAU _TIEN? _CUA? _EACH? period              -> first_days_this
           | weekday _CUA? _TUAN _next_week                      -> next_weekday

    count: NUM days
    days: _NGAY | NGAY_LV
    _since: _KE_TU (_NGAY | _KHI)? | _TU (_KHI | _NGAY) | _SAU_KHI
    _end_of: _KET _THUC period_end
    period_end: PERIOD (_DUONG _LICH)? | NUM PERIOD (_DAU PERIOD)?
    period: PERIOD
    _next: _SAU | _TIEP _THEO | _KE _TIEP
    ordinal: NUM | ORDINAL
    weekday: _THU (NUM | ORDINAL | PERIOD) | _CHU _NHAT
    _next_week: _SAU | _KE _TIEP | _TIEP _THEO | _LIEN (_SAU | _KE)
    // the task's words before the count: anything but a number and the words of time and
    // condition ("đầu", "sau", "khi", "từ")
    _task: TASK | PERIOD | _NGAY | NGAY_LV | _THU | _COMMA | _EACH | ORDINAL | FILL | _AND
         | _TIEN | _CUA | _KET | _THUC | _DUONG | _LICH | _TIEP | _THEO | _KE | _TUAN | _CHU
         | _NHAT | _LIEN
    _tail: (_AND | _COMMA)? FILL+ | _COMMA? _EACH _TUAN

    NUM: "NUM"
    NGAY_LV: "NGAY_LV"
    PERIOD: "PERIOD"
    ORDINAL: "ORDINAL"
    TASK: "TASK"
    FILL: "FILL"
    _NGAY: "NGAY"
    _COMMA: "COMMA"
    _THU: "THU"
    _DAU: "DAU"
    _TIEN: "TIEN"
    _CUA: "CUA"
    _EACH: "EACH"
    _KE_TU: "KE_TU"
    _KHI: "KHI"
    _TU: "TU"
    _SAU_KHI: "SAU_KHI"
    _KET: "KET"
    _THUC: "THUC"
    _DUONG: "DUONG"
    _LICH: "LICH"
    _SAU: "SAU"
    _TIEP: "TIEP"
    _THEO: "THEO"
    _KE: "KE"
    _AND: "AND"
    _TUAN: "TUAN"
    _CHU: "CHU"
    _NHAT: "NHAT"
    _LIEN: "LIEN"
    %ignore " "
"""
_PARSER = Lark(_GRAMMAR, parser="earley", ambiguity="explicit", lexer="basic")

MAX_TOKENS = 40  # the longest real cell; an Earley parse grows faster than linearly
_PERIOD_OF: dict[str, Every] = {"quy": "quarter", "qui": "quarter", "nam": "year", "thang": "month"}
_ORDINALS = {"hai": 2, "ba": 3, "tư": 4, "bốn": 4, "năm": 5, "sáu": 6, "bảy": 7, "tám": 8, "chín": 9,
             "mười": 10}
# The syllables the family is made of, folded, as terminals.
_SYLLABLES = {"thu": "THU", "dau": "DAU", "tien": "TIEN", "cua": "CUA", "khi": "KHI", "ket": "KET",
              "thuc": "THUC", "duong": "DUONG", "lich": "LICH", "tiep": "TIEP", "theo": "THEO",
              "ke": "KE", "ke tu": "KE_TU", "tinh tu": "KE_TU", "tu": "TU", "sau khi": "SAU_KHI",
              "hang": "EACH", "moi": "EACH", "cac": "EACH", "chu": "CHU", "nhat": "NHAT",
              "lien": "LIEN"}


# Every reading has one of these words: a cheap test before the parse.
_FAMILY_WORDS = re.compile(r"\b(?:ket thuc|dau|lam viec thu|tuan)\b")


@dataclass(frozen=True)
class AfterPeriod:
    """Due `days` (working) days after each period of `every` ends."""

    every: Every
    days: int
    working: bool


@dataclass(frozen=True)
class DayOfPeriod:
    """Due on day `day` of each period's first month."""

    every: Every
    day: int


Reading = AfterPeriod | DayOfPeriod


@dataclass(frozen=True)
class NotRead:
    reason: str


def read_days_of_period(folded: str, original: str) -> Reading | NotRead | None:
    """The reading of a part of this family, a refusal with its reason, or None when the part is
    not of this family (the passes read it). `folded` is the text the passes have rewritten, of
    the same length as `original`, which tells "sau" (after) from "sáu" (six)."""
    if not _FAMILY_WORDS.search(folded):
        return None  # not this family: no parse to try
    lexemes = tokens(folded)
    if len(lexemes) > MAX_TOKENS:
        return None
    words = [original[lexeme.start : lexeme.end].lower() for lexeme in lexemes]
    kept, names = _task_words_as_one([_terminal(lexeme, word) for lexeme, word in zip(lexemes, words,
                                                                                      strict=True)])
    terminals = " ".join(names)
    trees = _parse(terminals)
    if trees is None:
        return None
    readings = {_Read(terminals, [lexemes[i] for i in kept], [words[i] for i in kept]).transform(tree)
                for tree in trees}
    if len(readings) > 1:
        return NotRead("two readings of the days counted from a period")
    reading = readings.pop()
    if isinstance(reading, NotRead):
        return reading
    unread = [lexeme.text for lexeme in lexemes if lexeme.kind == "WORD"]
    if reading.every == "week" and unread:
        return NotRead(f"{' '.join(unread)!r} not read: neither a date nor filler")
    problem = _cadence_disagrees(lexemes, reading.every)
    return NotRead(problem) if problem else reading


# The words `_task` takes before a reading; a run of them that cannot start a reading is one TASK to
# the parser (a long run costs an Earley parse more than it says).
_TASK_TERMINALS = frozenset({"TASK", "PERIOD", "NGAY", "NGAY_LV", "THU", "COMMA", "EACH", "ORDINAL",
                             "FILL", "AND", "TIEN", "CUA", "KET", "THUC", "DUONG", "LICH", "TIEP",
                             "THEO", "KE", "TUAN", "CHU", "NHAT", "LIEN"})


def _starts_reading(terminals: list[str], index: int) -> bool:
    name, following = terminals[index], terminals[index + 1 : index + 3]
    return (name in ("NUM", "SAU") or (name == "NGAY" and (following[:1] == ["NUM"]
                                                            or following == ["THU", "NUM"]))
            or (name == "NGAY_LV" and following in (["THU", "NUM"], ["THU", "ORDINAL"]))
            or (name == "THU" and following[:1] in (["NUM"], ["ORDINAL"], ["PERIOD"]))
            or (name == "CHU" and following[:1] == ["NHAT"]))


def _task_words_as_one(terminals: list[str]) -> tuple[list[int], list[str]]:
    """(the indices of the tokens kept, their terminals), with the task's words before the
    reading merged into one TASK."""
    kept: list[int] = []
    names: list[str] = []
    for index, name in enumerate(terminals):
        if name not in _TASK_TERMINALS or _starts_reading(terminals, index):
            return kept + list(range(index, len(terminals))), names + terminals[index:]
        if names[-1:] != ["TASK"]:
            kept.append(index)
            names.append("TASK")
    return kept, names


@lru_cache(maxsize=1024)
def _parse(terminals: str) -> tuple[Tree[Token], ...] | None:
    """Every parse of a terminal string (one for an unambiguous one); None when there is none."""
    try:
        tree = _PARSER.parse(terminals)
    except LarkError:
        return None
    if not any(isinstance(node, Tree) and node.data == "_ambig" for node in tree.iter_subtrees()):
        return (tree,)
    return tuple(CollapseAmbiguities().transform(tree))


def _terminal(lexeme: Lexeme, accented: str) -> str:
    """The terminal a token is to the grammar; a token no rule takes is OTHER (then no parse)."""
    word = lexeme.text
    match lexeme.kind:
        case "NUMBER":
            return "NUM"
        case "UNIT" if word == "ngay lam viec":
            return "NGAY_LV"
        case "UNIT" if word in ("ngay", "tuan"):
            return word.upper()
        case "UNIT":
            return "PERIOD" if word in _PERIOD_OF else "TASK"
        case "COMMA" | "AND":
            return lexeme.kind
        case _ if accented in _ORDINALS:  # "thứ hai", "sáu", "thứ tư"
            return "ORDINAL"
        case "MEANING" if word in ("sau", "dau"):
            return word.upper()
        case "FILLER" | "FROM" | "CONDITION" | "EVERY" if word in _SYLLABLES:
            return _SYLLABLES[word]
        case "FILLER":
            return "FILL"
        case "LIMIT" | "EVERY" | "WORD":
            return "TASK"
    return "OTHER"


class _Read(Transformer[Token, "Reading | NotRead"]):
    """The typed reading of one parse. The parser saw the terminals joined by single spaces, so a
    token's place among the words is the number of spaces before it."""

    def __init__(self, terminals: str, lexemes: list[Lexeme], accented: list[str]) -> None:
        super().__init__()
        self._terminals = terminals
        self._lexemes = lexemes
        self._accented = accented

    def _index(self, token: Token) -> int:
        return self._terminals.count(" ", 0, token.start_pos or 0)

    def _word(self, token: Token) -> str:
        return self._lexemes[self._index(token)].text  # folded; counts in words written as digits

    def _number(self, token: Token) -> int:
        if token.type == "ORDINAL":
            return _ORDINALS[self._accented[self._index(token)]]
        return int(self._word(token))

    def start(self, children: list[Token | Reading | NotRead]) -> Reading | NotRead:
        readings = [child for child in children if not isinstance(child, Token)]
        assert len(readings) == 1
        return readings[0]

    def count(self, children: list[Token | bool]) -> tuple[int, bool]:
        number, working = children
        assert isinstance(number, Token) and isinstance(working, bool)
        return self._number(number), working

    def days(self, children: list[Token]) -> bool:
        return bool(children)  # NGAY_LV is kept, NGAY is not

    def period(self, children: list[Token]) -> Every:
        return _PERIOD_OF[self._word(children[0])]

    def period_end(self, children: list[Token]) -> Every | NotRead:
        if children[0].type == "PERIOD":
            return self.period(children)
        months, words = self._number(children[0]), [self._word(token) for token in children[1:]]
        if months == 6 and words in (["thang"], ["thang", "nam"]):
            return "half_year"  # "kết thúc 6 tháng (đầu năm)"
        return NotRead(f"the end of {months} {' '.join(words)}: which period is not said")

    def ordinal(self, children: list[Token]) -> int:
        return self._number(children[0])

    def after_end(self, children: list[tuple[int, bool] | Every | NotRead]) -> Reading | NotRead:
        count, every = children
        if isinstance(every, NotRead):
            return every
        assert isinstance(count, tuple) and isinstance(every, str)
        return AfterPeriod(every, count[0], count[1])

    def after_end_nth(self, children: list[Token | Every | NotRead]) -> Reading | NotRead:
        number, every = children
        if isinstance(every, NotRead):
            return every
        assert isinstance(number, Token) and not isinstance(every, Token)
        return AfterPeriod(every, self._number(number), False)

    def first_days_next(self, children: list[tuple[int, bool] | Every]) -> Reading:
        count, every = children
        assert isinstance(count, tuple) and isinstance(every, str)
        return AfterPeriod(every, count[0], count[1])

    def nth_working_day_next(self, children: list[Token | int | Every]) -> Reading:
        _, nth, every = children
        assert isinstance(nth, int) and isinstance(every, str) and not isinstance(every, Token)
        return AfterPeriod(every, nth, True)

    def next_weekday(self, children: list[int | NotRead]) -> Reading | NotRead:
        day = children[0]
        if isinstance(day, NotRead):
            return day
        assert isinstance(day, int)
        return AfterPeriod("week", day, False)  # "trước thứ Hai tuần sau": a day after each week

    def weekday(self, children: list[Token]) -> int | NotRead:
        """Days from the end of a week (Sunday): "thứ Hai" 1 ... "thứ Bảy" 6, "Chủ nhật" 7."""
        if not children:
            return 7
        if children[0].type == "PERIOD":  # "thứ năm" is Thursday; "thứ quý" is nothing
            return 4 if self._word(children[0]) == "nam" else NotRead("no weekday")
        day = self._number(children[0])
        return day - 1 if 2 <= day <= 7 else NotRead(f"no weekday 'thứ {day}'")

    def first_days_this(self, children: list[tuple[int, bool] | Every]) -> Reading | NotRead:
        count, every = children
        assert isinstance(count, tuple) and isinstance(every, str)
        if count[1]:
            return NotRead("the first working days of a period: not counted from a period's end")
        if not 1 <= count[0] <= 28 or every not in ("month", "quarter"):
            return NotRead(f"the first {count[0]} days of a {every}: no day of a month")
        return DayOfPeriod(every, count[0])


def _cadence_disagrees(lexemes: list[Lexeme], every: Every) -> str | None:
    """"hằng quý, trong 05 ngày đầu tiên của tháng": a cadence word before a period that is not
    the reading's own."""
    for word, following in itertools.pairwise(lexemes):
        if word.kind == "EVERY" and following.kind == "UNIT":
            said = _PERIOD_OF.get(following.text) or ("week" if following.text == "tuan" else None)
            if said is not None and said != every:
                return f"'{word.text} {following.text}' and a {every}: two cadences"
    return None
