"""What may enter a visibility query or a status filter: ids as plans write them
(plans/model.py), and references built of them. Apart from the search attributes so that
`status` read from dondoc's database checks a value without importing Temporal's client."""

from __future__ import annotations

import re

ID = r"[A-Za-z0-9][A-Za-z0-9_.\-]{0,63}"
REF = rf"{ID}(?:/{ID}){{1,2}}(?:@{ID})?"


class NotAnId(ValueError):
    """A value refused before it entered a query (the message is one line)."""


def is_id(value: str) -> bool:
    return re.fullmatch(ID, value) is not None


def require_id(name: str, value: str) -> str:
    if not is_id(value):
        raise NotAnId(f"{name}: {value!r} is not an id (letters, digits, '_', '.', '-')")
    return value
