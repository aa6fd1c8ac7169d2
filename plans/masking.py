"""Contact addresses shown only in part: enough to recognise them, never whole (logs, the
delivery ledger). Pure, so activities, storage and dondoc's logging all share it."""

from __future__ import annotations

import re

# '@' also as it appears inside URLs that libraries log: %40, and %2540 when encoded twice.
_EMAIL = re.compile(r"([A-Za-z0-9._%+-])[A-Za-z0-9._%+-]*(?:@|%40|%2540)([A-Za-z0-9.-]+)",
                    re.IGNORECASE)
_PHONE = re.compile(r"(?<!\d)(\+?84|0)(\d{2})\d{4,6}(\d{2})(?!\d)")


def mask(text: str) -> str:
    """'vanphong@syt.example.invalid' -> 'v***@syt.example.invalid' (its percent-encoded forms
    too); '0912345678' -> '091****78'."""
    text = _EMAIL.sub(r"\1***@\2", text)
    return _PHONE.sub(lambda m: f"{m.group(1)}{m.group(2)}****{m.group(3)}", text)
