"""One structlog configuration for every dondoc process: JSON when not a terminal.

Addresses and phone numbers never reach a log in full: `mask` keeps enough to recognise them.
"""

from __future__ import annotations

import logging
import re
import sys
from typing import Any

import structlog

_EMAIL = re.compile(r"([A-Za-z0-9._%+-])[A-Za-z0-9._%+-]*@([A-Za-z0-9.-]+)")
_PHONE = re.compile(r"(?<!\d)(\+?84|0)(\d{2})\d{4,6}(\d{2})(?!\d)")


def mask(text: str) -> str:
    """'vanphong@syt.example.invalid' -> 'v***@syt.example.invalid'; '0912345678' -> '091****78'."""
    text = _EMAIL.sub(r"\1***@\2", text)
    return _PHONE.sub(lambda m: f"{m.group(1)}{m.group(2)}****{m.group(3)}", text)


def _mask_values(_: Any, __: str, event: dict[str, Any]) -> dict[str, Any]:
    return {k: mask(v) if isinstance(v, str) else v for k, v in event.items()}


def configure(level: str = "INFO", *, json: bool | None = None) -> None:
    json = (not sys.stderr.isatty()) if json is None else json
    renderer: Any = (structlog.processors.JSONRenderer(ensure_ascii=False) if json
                     else structlog.dev.ConsoleRenderer(colors=sys.stderr.isatty()))
    shared: list[Any] = [
        structlog.contextvars.merge_contextvars,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        _mask_values,
    ]
    structlog.configure(
        processors=[*shared, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        cache_logger_on_first_use=True,
    )
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=shared, processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta, renderer]))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    logging.getLogger("temporalio").setLevel(max(logging.getLevelName(level), logging.WARNING)
                                             if isinstance(logging.getLevelName(level), int)
                                             else logging.WARNING)
