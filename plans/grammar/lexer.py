"""The lexer: a deadline cell as typed tokens that keep their place in the text.

`normalize` makes the text the grammar reads (NFC, every run of whitespace one space), `fold`
makes a lower-case ASCII copy of exactly the same length, so a token's span points into the
normalized original. `tokens` reads the folded copy left to right with one alternation of
bounded patterns (no nested quantifiers), so it takes time linear in the length of the cell.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

from plans.grammar.lexicon import FILLER_SYLLABLES, LEXICON, TokenKind
from plans.limits import MAX_PHRASE_CHARS

MIN_YEAR, MAX_YEAR = 1900, 2200
MAX_LENGTH = MAX_PHRASE_CHARS  # the longest real cell seen is 147; a longer text is not a deadline


def normalize(text: str) -> str:
    """NFC, with every run of whitespace (tabs, non-breaking spaces, newlines) one space."""
    return " ".join(unicodedata.normalize("NFC", text).split())


def fold(text: str) -> str:
    """Lower-case ASCII of exactly the same length: 'Quí IV' -> 'qui iv', 'Đồng' -> 'dong'."""
    new = set(text).difference(_FOLDED)
    if new:  # the table grows with the characters seen; then folding is C-fast
        if len(_FOLDED) + len(new) > _MAX_TABLE:  # arbitrary input must not grow it for ever
            return "".join([_fold_char(char) for char in text])
        _FOLDED.update(new)
        _FOLD_TABLE.update({ord(char): _fold_char(char) for char in new})
    return text.translate(_FOLD_TABLE)


_MAX_TABLE = 4096

_FOLDED: set[str] = set()
_FOLD_TABLE: dict[int, str] = {}


@lru_cache(maxsize=4096)
def _fold_char(char: str) -> str:
    if char in "đĐ":
        return "d"
    if char in "–—−‐":
        return "-"
    base = unicodedata.normalize("NFD", char)[0]
    return base.lower()[:1] if base.isascii() else " "


def lower_each(text: str) -> str:
    """Lower case, one character for one: 'İ'.lower() is two characters, which would shift spans."""
    lowered = text.lower()
    if len(lowered) == len(text):
        return lowered
    return "".join([_lower_char(char) for char in text])


@lru_cache(maxsize=4096)
def _lower_char(char: str) -> str:
    return char.lower()[:1] or char


@dataclass(frozen=True)
class Token:
    kind: TokenKind
    start: int
    end: int
    text: str  # as written, in the normalized original


_NUMERIC = (
    r"(?P<citation>\d{1,5}/(?:\d{4}/)?[a-z][a-z0-9&\-]*(?:/[a-z0-9&\-]+)*)"
    r"|(?P<date>\d{1,2}[/.\-]\d{1,2}[/.\-]\d{4})"
    r"|(?P<month_year>\d{1,2}[/\-]\d{4})"
    r"|(?P<day_month>\d{1,2}/\d{1,2})"
    r"|(?P<time>\d{1,2}(?:h|gio|:)\d{0,2})(?![a-z])"
    r"|(?P<year>(?:19|20)\d{2})(?!\d)"
    r"|(?P<number>\d{1,9})(?!\d)"
    r"|(?P<digits>\d+)"
)
# Filler is told apart from other words after matching: the structure reads both the same way.
_WORDS = sorted((word for word, kind in LEXICON.items() if kind != "FILLER"), key=len, reverse=True)
_TOKEN = re.compile(
    _NUMERIC
    + r"|(?P<word>(?<![a-z])(?:" + "|".join(re.escape(w) for w in _WORDS) + r")(?![a-z]))"
    + r"|(?P<roman>(?<![a-z])(?:iv|iii|ii|i)(?![a-z]))"
    + r"|(?P<other_word>[a-z]+)"
    + r"|(?P<punct>[;,()+&])"
    + r"|(?P<dash>-)"
)
_GROUP_KIND: dict[str, TokenKind] = {
    "citation": "CITATION", "date": "DATE", "month_year": "MONTH_YEAR", "day_month": "DAY_MONTH",
    "time": "TIME", "year": "YEAR", "number": "NUMBER", "digits": "NUMBER", "roman": "ROMAN",
    "other_word": "WORD", "dash": "DASH",
}
_PUNCT: dict[str, TokenKind] = {";": "SEMI", ",": "COMMA", "(": "OPEN", ")": "CLOSE",
                                "+": "AND", "&": "AND"}


def tokens(original: str) -> list[Token]:
    """The typed tokens of a normalized cell; spaces and other signs between them are skipped."""
    folded = fold(original)
    out = []
    for match in _TOKEN.finditer(folded):
        group = match.lastgroup
        assert group is not None
        if group == "word":
            kind = LEXICON[match.group(0)]
        elif group == "other_word" and match.group(0) in FILLER_SYLLABLES:
            kind = "FILLER"
        elif group == "punct":
            kind = _PUNCT[match.group(0)]
        else:
            kind = _GROUP_KIND[group]
        out.append(Token(kind, match.start(), match.end(), original[match.start():match.end()]))
    return out
