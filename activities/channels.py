"""Sending one message to one address: what a channel is given and what it must say back.
E-mail goes over SMTP (activities/smtp.py), Zalo through Apprise (activities/zalo.py)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol


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
    link: str | None = None  # the occurrence's page: a button where the channel has buttons


class Channel(Protocol):
    name: str

    def send(self, address: str, message: Message, *, key: str,
             handed: Callable[[], None]) -> Sent:
        """Send, calling `handed()` immediately before the network call that gives the message
        to the provider; `key` is the provider-side idempotency key (Message-ID, tracking_id).
        Every failure is a `Sent` with its reason, never an exception."""
