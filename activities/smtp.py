"""E-mail over SMTP: a bounded pool of open connections, and a Message-ID of dondoc's choosing.

Why not Apprise for e-mail: it always adds a Message-ID of its own (a second one when asked for
a fixed one), so a message sent again after a worker died would show twice in the mailbox; and
it opens a connection and loads the system's certificates for every message, which was a third
of the worker's time in a storm. Here the Message-ID comes from the ledger's key, the TLS
context is built once, and connections are reused.
"""

from __future__ import annotations

import contextlib
import queue
import smtplib
import ssl
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime
from typing import Literal
from urllib.parse import parse_qs, unquote, urlsplit
from zoneinfo import ZoneInfo

from activities.channels import Message, Sent

Mode = Literal["insecure", "starttls", "ssl"]
PORTS: dict[Mode, int] = {"insecure": 25, "starttls": 587, "ssl": 465}
HCM = ZoneInfo("Asia/Ho_Chi_Minh")
IDLE_CHECK = 10.0  # seconds: a connection idle longer is checked with NOOP before use


class SmtpUrlError(ValueError):
    """DONDOC_SMTP_URL cannot be used; the message says what is wrong."""


@dataclass(frozen=True)
class SmtpServer:
    """The server and sender of `DONDOC_SMTP_URL`, read the way Apprise reads a mailto:// URL:
    `mailto://` is plain SMTP unless `mode=` says otherwise, `mailtos://` is STARTTLS."""

    host: str
    port: int
    mode: Mode
    user: str | None
    password: str | None
    sender: str
    sender_name: str | None

    @classmethod
    def from_url(cls, url: str) -> SmtpServer:
        parts = urlsplit(url)
        if parts.scheme not in ("mailto", "mailtos") or not parts.hostname:
            raise SmtpUrlError("DONDOC_SMTP_URL must be a mailto:// or mailtos:// URL naming "
                               "the SMTP server")
        query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
        mode = query.get("mode", "starttls" if parts.scheme == "mailtos" else "insecure").lower()
        if mode not in PORTS:
            raise SmtpUrlError(f"DONDOC_SMTP_URL: mode={mode!r} is not one of "
                               f"{', '.join(PORTS)}")
        host = query.get("smtp") or parts.hostname
        user = unquote(parts.username) if parts.username else None
        sender = query.get("from") or (f"{user}@{parts.hostname}" if user and "@" not in user
                                       else user)
        if not sender or "@" not in sender:
            raise SmtpUrlError("DONDOC_SMTP_URL needs the sender's address: add "
                               "from=nhacviec@your-domain")
        return cls(host=host, port=parts.port or PORTS[mode], mode=mode,
                   user=user, password=unquote(parts.password) if parts.password else None,
                   sender=sender, sender_name=query.get("name"))

    @property
    def domain(self) -> str:
        return self.sender.rsplit("@", 1)[1]


class SmtpPool:
    """At most `size` connections at once, kept open between messages (one per worker thread
    that sends); a connection that failed is closed, never reused."""

    def __init__(self, server: SmtpServer, *, size: int, timeout: float) -> None:
        self.server, self.timeout = server, timeout
        self.slots = threading.BoundedSemaphore(size)
        self.idle: queue.LifoQueue[tuple[smtplib.SMTP, float]] = queue.LifoQueue()
        self._context: ssl.SSLContext | None = None

    @property
    def context(self) -> ssl.SSLContext:
        if self._context is None:  # built once, and only when TLS is used
            self._context = ssl.create_default_context()
        return self._context

    def open(self) -> smtplib.SMTP:
        server = self.server
        smtp: smtplib.SMTP
        if server.mode == "ssl":
            smtp = smtplib.SMTP_SSL(server.host, server.port, timeout=self.timeout,
                                    context=self.context)
        else:
            smtp = smtplib.SMTP(server.host, server.port, timeout=self.timeout)
            if server.mode == "starttls":
                smtp.starttls(context=self.context)
        try:
            if server.user and server.password:
                smtp.login(server.user, server.password)
        except BaseException:
            _close(smtp)
            raise
        return smtp

    @contextlib.contextmanager
    def connection(self) -> Iterator[Lease]:
        with self.slots:
            lease = Lease(self, self.reuse() or self.open())
            try:
                yield lease
            except BaseException:
                _close(lease.smtp)
                raise
            self.idle.put((lease.smtp, time.monotonic()))

    def reuse(self) -> smtplib.SMTP | None:
        while True:
            try:
                smtp, since = self.idle.get_nowait()
            except queue.Empty:
                return None
            if time.monotonic() - since < IDLE_CHECK:
                return smtp
            try:
                if smtp.noop()[0] == 250:
                    return smtp
            except (OSError, smtplib.SMTPException):
                pass
            _close(smtp)

    def close(self) -> None:
        with contextlib.suppress(queue.Empty):
            while True:
                smtp, _ = self.idle.get_nowait()
                with contextlib.suppress(OSError, smtplib.SMTPException):
                    smtp.quit()


@dataclass
class Lease:
    """A connection of the pool, held by one sender until it is done."""

    pool: SmtpPool
    smtp: smtplib.SMTP

    def renew(self) -> smtplib.SMTP:
        _close(self.smtp)
        self.smtp = self.pool.open()
        return self.smtp


def _close(smtp: smtplib.SMTP) -> None:
    with contextlib.suppress(OSError, smtplib.SMTPException):
        smtp.close()


class EmailChannel:
    """One message per recipient: a plain-text and an HTML part, `Auto-Submitted`, the notices
    of one occurrence threaded together, and `Message-ID: <key@sender's domain>`."""

    name = "email"

    def __init__(self, smtp_url: str, *, connections: int = 4, timeout: float = 30) -> None:
        self.server = SmtpServer.from_url(smtp_url)
        self.pool = SmtpPool(self.server, size=connections, timeout=timeout)

    def message_id(self, key: str) -> str:
        return f"<{key}@{self.server.domain}>"

    def compose(self, address: str, message: Message, key: str) -> EmailMessage:
        mail = EmailMessage()
        mail["Subject"] = message.subject
        mail["From"] = Address(display_name=self.server.sender_name or "",
                               addr_spec=self.server.sender)
        mail["To"] = address
        mail["Date"] = format_datetime(datetime.now(HCM))
        mail["Message-ID"] = self.message_id(key)
        thread = f"<{message.thread}@dondoc>"
        mail["In-Reply-To"] = thread
        mail["References"] = thread
        mail["Auto-Submitted"] = "auto-generated"
        mail["X-Application"] = "dondoc"
        mail.set_content(message.text)
        mail.add_alternative(message.html, subtype="html")
        return mail

    def send(self, address: str, message: Message, *, key: str,
             handed: Callable[[], None]) -> Sent:
        mail = self.compose(address, message, key)
        message_id = str(mail["Message-ID"])
        try:
            with self.pool.connection() as lease:
                handed()
                try:
                    lease.smtp.send_message(mail)
                except smtplib.SMTPServerDisconnected:
                    # A kept connection the server had closed took nothing: once more, anew.
                    lease.renew().send_message(mail)
        except smtplib.SMTPRecipientsRefused as error:
            code, reply = next(iter(error.recipients.values()))
            return _refused(code, reply, "the recipient")
        except smtplib.SMTPAuthenticationError as error:
            return Sent(ok=False, code=f"smtp-{error.smtp_code}",
                        detail="the SMTP server refused the login of DONDOC_SMTP_URL")
        except smtplib.SMTPResponseException as error:
            return _refused(error.smtp_code, error.smtp_error, "the message")
        except (OSError, smtplib.SMTPException) as error:
            return Sent(ok=False, retryable=True, code="smtp-unreachable",
                        detail=f"SMTP server {self.server.host}:{self.server.port}: "
                               f"{type(error).__name__}: {error}")
        return Sent(ok=True, code="250", message_id=message_id)

    def close(self) -> None:
        self.pool.close()


def _refused(code: int, reply: bytes | str, what: str) -> Sent:
    """4xx: try again later; 5xx: this address will not take it (fall back)."""
    text = reply.decode("utf-8", "replace") if isinstance(reply, bytes) else str(reply)
    return Sent(ok=False, retryable=400 <= code < 500, code=f"smtp-{code}",
                detail=f"SMTP server refused {what}: {code} {text}")
