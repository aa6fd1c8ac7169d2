"""Signing in to the web app without a password: a one-time 6-digit code, and a link, sent to
the person over their own channel (the notifier's routing, ledger and channels), valid a few
minutes, usable once, rate-limited per account and per client address, recorded in the audit
log. The accounts come from a `Directory` (the accounts of dondoc's database)."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from html import escape
from typing import Protocol
from urllib.parse import quote
from zoneinfo import ZoneInfo

import structlog
from argon2.exceptions import InvalidHashError, VerificationError

from dondoc.services.identity import HASHER
from storage.audit import AuditLog
from storage.base import utc
from storage.signin import PASSWORD_ATTEMPT, SignInCodes
from workflows.messages import EventType, OccurrenceEvent

log = structlog.get_logger("dondoc.signin")
HCM = ZoneInfo("Asia/Ho_Chi_Minh")
AUDIT_PLAN = "_signin"  # the audit log's chain for sign-ins, beside each plan's

WINDOW = timedelta(minutes=15)
CODES_PER_ACCOUNT = 5  # codes sent to one account per window
CODES_PER_ADDRESS = 20  # codes asked from one client address per window
WRONG_PER_CODE = 5  # wrong guesses that spend a code
WRONG_PER_ADDRESS = 20  # wrong guesses from one client address per window


@dataclass(frozen=True)
class SignInAccount:
    """Who can sign in, and where their code goes."""

    account: str
    name: str
    email: str | None = None
    zalo_phone: str | None = None
    zalo_user_id: str | None = None


class Directory(Protocol):
    def find(self, login: str) -> SignInAccount | None:
        """The active account named by its id or e-mail address."""

    def get(self, account: str) -> SignInAccount | None:
        """The active account with this id."""


@dataclass(frozen=True)
class SignInMessage:
    subject: str
    text: str
    html: str
    code: str  # for channels that carry parameters, not text (a ZNS OTP template)


# Sends the message to the account's person under a once-only key; returns the channel it went
# by, or None if it reached nobody.
Send = Callable[[SignInAccount, str, SignInMessage], str | None]


class SignInRefused(Exception):
    """A refused sign-in step: the message is for the person (Vietnamese); `status` for HTTP."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


PASSWORDS_PER_ACCOUNT = 5  # wrong passwords for one account per window

WRONG = "Mã không đúng, đã dùng hoặc đã hết hạn. Hãy kiểm tra lại hoặc xin mã mới."
WRONG_PASSWORD = ("Sai tài khoản hoặc mật khẩu (đăng nhập bằng mật khẩu chỉ dành cho Văn phòng "
                  "đã được đặt mật khẩu). Có thể đăng nhập bằng mã gửi qua e-mail hoặc Zalo.")
TOO_MANY = "Đã thử quá nhiều lần. Xin đợi 15 phút rồi thử lại."


@dataclass
class SignIn:
    codes: SignInCodes
    directory: Directory
    send: Send
    audit: AuditLog
    secret: bytes
    lifetime: timedelta
    link_base: str  # the web app's public address
    # The argon2 hash of an account that may sign in with a password (office staff), or None.
    passwords: Callable[[str], str | None] = lambda _account: None

    def request(self, login: str, *, address: str, now: datetime, then: str = "/") -> None:
        """Send a code and a link to the account, if there is one; the link leads on to the
        page `then` (the one that asked for sign-in). The answer is the same whether or not
        the account exists, so the page tells nothing about who has one."""
        if self.codes.issued_since(now - WINDOW, address=address) >= CODES_PER_ADDRESS:
            raise SignInRefused(TOO_MANY, 429)
        person = self.directory.find(login.strip())
        if person is None:
            # Kept like a sent code (that nobody holds), so the address's limit counts it.
            self.codes.add(account="", code_hash="", link_hash=secrets.token_hex(32),
                           address=address, at=now, expires_at=now)
            log.info("signin.unknown_login", address=address)
            return
        if self.codes.issued_since(now - WINDOW, account=person.account) >= CODES_PER_ACCOUNT:
            log.warning("signin.account_limited", account=person.account, address=address)
            raise SignInRefused(TOO_MANY, 429)
        code = f"{secrets.randbelow(10**6):06d}"
        token = secrets.token_urlsafe(24)
        expires = now + self.lifetime
        code_id = self.codes.add(account=person.account, code_hash=self._hash(person.account, code),
                                 link_hash=self._hash("link", token), address=address, at=now,
                                 expires_at=expires)
        channel = self.send(person, f"signin/{person.account}/{code_id}",
                            self.message(person, code, token, expires, then))
        self._audit("signin.code_sent", person.account, f"{code_id}", now,
                    {"channel": channel, "address": address, "expires_at": expires.isoformat()})

    def with_code(self, login: str, code: str, *, address: str, now: datetime) -> SignInAccount:
        if self.codes.failures_since(now - WINDOW, address=address) >= WRONG_PER_ADDRESS:
            raise SignInRefused(TOO_MANY, 429)
        person = self.directory.find(login.strip())
        live = self.codes.live(person.account, at=now) if person else []
        if person is None or not live:
            raise SignInRefused(WRONG)
        wanted = self._hash(person.account, code.strip())
        match = next((c for c in live if hmac.compare_digest(c.code_hash, wanted)), None)
        if match is None:
            self.codes.fail(live[0].id, at=now, give_up_after=WRONG_PER_CODE)
            raise SignInRefused(WRONG)
        return self._use(person, match.id, "code", address, now)

    def with_link(self, token: str, *, address: str, now: datetime) -> SignInAccount:
        row = self.codes.by_link(self._hash("link", token))
        person = self.directory.get(row.account) if row is not None else None
        if row is None or person is None or row.used_at is not None or \
                utc(row.expires_at) <= now:
            raise SignInRefused("Liên kết đăng nhập không hợp lệ, đã dùng hoặc đã hết hạn. "
                          "Hãy xin mã mới.")
        return self._use(person, row.id, "link", address, now)

    def with_password(self, login: str, password: str, *, address: str,
                      now: datetime) -> SignInAccount:
        """Office staff's password (argon2, set with `dondoc users password`), limited like
        the codes: wrong attempts per client address and per account in a window."""
        if self.codes.failures_since(now - WINDOW, address=address) >= WRONG_PER_ADDRESS:
            raise SignInRefused(TOO_MANY, 429)
        person = self.directory.find(login.strip())
        if person is not None and self.codes.failures_since(
                now - WINDOW, account=person.account) >= PASSWORDS_PER_ACCOUNT:
            log.warning("signin.password_limited", account=person.account, address=address)
            raise SignInRefused(TOO_MANY, 429)
        stored = self.passwords(person.account) if person is not None else None
        try:
            # Without a hash, one is checked anyway: the answer takes as long either way.
            right = HASHER.verify(stored or _no_password(), password) and stored is not None
        except (VerificationError, InvalidHashError):
            right = False
        attempt = self.codes.add(account=person.account if person else "",
                                 code_hash=PASSWORD_ATTEMPT, link_hash=secrets.token_hex(32),
                                 address=address, at=now, expires_at=now)
        if person is None or not right:
            self.codes.fail(attempt, at=now, give_up_after=1)
            log.info("signin.password_refused", address=address)
            raise SignInRefused(WRONG_PASSWORD)
        return self._use(person, attempt, "password", address, now)

    def signed_out(self, account: str, *, address: str, now: datetime,
                   everywhere: bool = False) -> None:
        """Record a sign-out; `everywhere` ends every session of the account, on every device."""
        self._audit("signed_out_everywhere" if everywhere else "signed_out", account,
                    secrets.token_hex(8), now, {"address": address})

    def ended_everywhere(self, account: str) -> datetime | None:
        """Sessions that began at or before this instant have ended."""
        return self.codes.ended_everywhere(f"{AUDIT_PLAN}/{account}")

    def _use(self, person: SignInAccount, code_id: int, method: str, address: str,
             now: datetime) -> SignInAccount:
        if not self.codes.use(code_id, at=now):
            raise SignInRefused(WRONG)
        self._audit("signed_in", person.account, f"{code_id}", now,
                    {"method": method, "address": address})
        log.info("signin.signed_in", account=person.account, method=method)
        return person

    def _hash(self, scope: str, secret: str) -> str:
        return hmac.new(self.secret, f"{scope}:{secret}".encode(), hashlib.sha256).hexdigest()

    def _audit(self, type: EventType, account: str, key: str, now: datetime,
               details: dict[str, object]) -> None:
        self.audit.append(OccurrenceEvent(
            key=f"{AUDIT_PLAN}/{type}/{account}/{key}", ref=f"{AUDIT_PLAN}/{account}",
            plan=AUDIT_PLAN, type=type, at=now, actor=account, details=details))

    def message(self, person: SignInAccount, code: str, token: str,
                expires: datetime, then: str = "/") -> SignInMessage:
        link = f"{self.link_base.rstrip('/')}/dang-nhap/lien-ket/{token}" + (
            f"?next={quote(then)}" if then != "/" else "")
        until = f"{expires.astimezone(HCM):%H:%M ngày %d/%m/%Y}"
        lines = [f"Kính gửi: {person.name}", "",
                 f"Mã đăng nhập dondoc của đồng chí: {code}",
                 f"Hoặc mở liên kết: {link}",
                 f"Mã và liên kết dùng được một lần, đến {until}.",
                 "Nếu đồng chí không yêu cầu đăng nhập, xin bỏ qua tin này."]
        # Apprise derives the plain-text part from this HTML: the link is written out in full.
        shown = escape(link)
        html = "".join(f"<p>{escape(line)}</p>" for line in lines if line and
                       not line.startswith("Hoặc")).replace(
            "</p><p>Mã và", f'</p><p>Hoặc mở liên kết: <a href="{shown}">{shown}</a></p><p>Mã và')
        return SignInMessage(subject=f"Mã đăng nhập dondoc: {code}", text="\n".join(lines),
                             html=html, code=code)


@cache
def _no_password() -> str:
    return HASHER.hash(secrets.token_hex(16))
