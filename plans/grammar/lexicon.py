"""One table of the words a deadline cell is made of, folded ("chậm nhất" -> "cham nhat"), by class.

The classes are what the structure grammar and the part reader see; words not listed are WORD
(a task's own words: "báo cáo", "Sở Y tế"), which carry no date.
"""

from __future__ import annotations

from typing import Literal

TokenKind = Literal[
    # numbers and dates, from the lexer's own patterns
    "DATE", "DAY_MONTH", "MONTH_YEAR", "YEAR", "NUMBER", "ROMAN", "TIME", "CITATION",
    # keyword classes, from the table below
    "LIMIT", "EVERY", "FROM", "TO", "AND", "THEN", "OR", "ONGOING", "AD_HOC", "CONDITION",
    "UNIT", "FILLER", "MEANING",
    # signs and the rest
    "SEMI", "COMMA", "OPEN", "CLOSE", "DASH", "WORD",
]

_CLASSES: dict[TokenKind, tuple[str, ...]] = {
    "LIMIT": ("truoc", "cham nhat", "muon nhat", "han chot", "han cuoi", "khong qua", "toi da",
              "khong muon hon", "it nhat", "khong it hon", "toi thieu"),
    "EVERY": ("hang", "moi", "dinh ky", "tung", "lan"),
    "FROM": ("tu", "bat dau", "ke tu", "tinh tu"),
    "TO": ("den", "den het", "toi", "cho den"),
    "AND": ("va",),
    "THEN": ("sau do", "tiep tuc", "tiep theo do"),
    "OR": ("hoac",),
    "ONGOING": ("thuong xuyen", "lien tuc", "duy tri", "trien khai thuong xuyen"),
    "AD_HOC": ("dot xuat", "theo yeu cau", "khi co yeu cau", "theo de nghi", "khi can thiet"),
    "CONDITION": ("khi", "neu", "trong truong hop", "sau khi"),
    "UNIT": ("ngay", "tuan", "thang", "quy", "qui", "nam", "gio", "ngay lam viec"),
    "FILLER": ("trong", "vao", "cua", "la", "thoi gian", "thoi han", "hoan thanh", "thuc hien",
               "nop", "gui", "bao cao", "ky", "dot", "giai doan"),
    # Words that change what a date means; the part reader decides on the accented text.
    "MEANING": ("giua", "dau", "cuoi", "sau", "som", "khoang", "tru", "chua", "ngoai"),
}

LEXICON: dict[str, TokenKind] = {
    word: kind for kind, words in _CLASSES.items() for word in words
}
