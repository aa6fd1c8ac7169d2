"""Sending one message to one address, through Apprise: what a channel must say back."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Protocol
from urllib.parse import quote

import apprise

from plans.masking import mask


@dataclass(frozen=True)
class Sent:
    """A channel's answer: sent, or why not and whether trying again later can help."""

    ok: bool
    retryable: bool = False
    code: str | None = None
    detail: str | None = None
    message_id: str | None = None
    retry_after_seconds: float | None = None


@dataclass(frozen=True)
class Message:
    subject: str
    text: str
    html: str
    thread: str  # groups the notices of one occurrence in mail clients
    template: str | None = None  # ZNS template kind ("reminder", "escalation" ...)
    template_data: dict[str, str] | None = None


class Channel(Protocol):
    name: str

    def send(self, address: str, message: Message) -> Sent: ...


class EmailChannel:
    """E-mail over SMTP: `DONDOC_SMTP_URL` is an Apprise mailto:// or mailtos:// URL naming the
    server and the sender, without recipients; each message gets its own URL and result."""

    name = "email"

    def __init__(self, smtp_url: str) -> None:
        if not smtp_url.startswith(("mailto://", "mailtos://")):
            raise ValueError("DONDOC_SMTP_URL must be a mailto:// or mailtos:// URL")
        self.smtp_url = smtp_url

    def url(self, address: str, message: Message) -> str:
        joiner = "&" if "?" in self.smtp_url else "?"
        thread = quote(f"<{message.thread}@dondoc>", safe="")
        return (f"{self.smtp_url}{joiner}to={quote(address, safe='@')}&format=html"
                f"&+Auto-Submitted=auto-generated&+X-Application=dondoc"
                f"&+In-Reply-To={thread}&+References={thread}")

    def send(self, address: str, message: Message) -> Sent:
        notifier = apprise.Apprise()
        if not notifier.add(self.url(address, message)):
            return Sent(ok=False, code="config", detail="DONDOC_SMTP_URL is not a valid URL")
        result = notifier.notify(title=message.subject, body=message.html,
                                 body_format=apprise.NotifyFormat.HTML, log_level=logging.INFO)
        if result:
            return Sent(ok=True)
        detail = mask("; ".join(entry.message for item in result for entry in item.logs()))
        # Apprise does not pass on the SMTP reply code: a refusal is retried with back-off,
        # and the notifier gives the channel up after a few attempts (see notify.py).
        return Sent(ok=False, retryable=True, code="smtp", detail=detail or "not sent")
