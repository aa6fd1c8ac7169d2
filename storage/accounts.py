"""Accounts: the people who act in dondoc, the plan roles they hold, and the tokens that prove
them (a CLI login, an API key for scripts). Tokens are stored as their SHA-256 only."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Literal

from sqlalchemy import DateTime, ForeignKey, Integer, String, UniqueConstraint, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from plans.access import EVERY_PLAN, Grant, PlanRole, Principal
from storage.base import Base, now, utc
from workflows.messages import EventType

AccountStatus = Literal["active", "disabled"]
AccessTokenKind = Literal["login", "api_key"]
Recorder = Callable[[Session, EventType, str, dict[str, object]], None]
"""Writes the audit row of a change (type, the account or source changed, what changed) in
the change's own transaction: the change and its row are committed together or not at all."""


class Account(Base):
    __tablename__ = "accounts"

    id: Mapped[str] = mapped_column(String(200), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(200))
    zalo_phone: Mapped[str | None] = mapped_column(String(20))
    zalo_user_id: Mapped[str | None] = mapped_column(String(40))
    status: Mapped[str] = mapped_column(String(10), default="active")
    password_hash: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=now)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=now,
                                                 onupdate=now)
    roles: Mapped[list[RoleGrant]] = relationship(back_populates="account",
                                                  order_by="RoleGrant.id",
                                                  cascade="all, delete-orphan")


class RoleGrant(Base):
    """A plan role held by an account; `source` is "contacts:<plan>" for the roles a contacts
    sync gave (a later sync may take them back), "manual" for `users grant`."""

    __tablename__ = "account_roles"
    __table_args__ = (UniqueConstraint("account_id", "role", "plan", "party"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.id"), index=True)
    role: Mapped[str] = mapped_column(String(20))
    plan: Mapped[str] = mapped_column(String(64), default=EVERY_PLAN)
    party: Mapped[str] = mapped_column(String(64), default="", doc="unit or person id; '' none")
    source: Mapped[str] = mapped_column(String(80), default="manual")
    account: Mapped[Account] = relationship(back_populates="roles")

    def grant(self) -> Grant:
        return Grant(role=self.role, plan=self.plan, party=self.party or None)


class AccessToken(Base):
    __tablename__ = "access_tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.id"), index=True)
    sha256: Mapped[str] = mapped_column(String(64), unique=True)
    kind: Mapped[str] = mapped_column(String(10))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=now)
    expires_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class NotAuthenticated(Exception):
    """No identity, or one that no longer holds: `code` for scripts, the message for people."""

    def __init__(self, message: str, code: str) -> None:
        super().__init__(message)
        self.code = code

    def __str__(self) -> str:
        return f"{self.args[0]} [{self.code}]"


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass
class SyncReport:
    """What `users sync` changed: each list holds one line per change."""

    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    granted: list[str] = field(default_factory=list)
    revoked: list[str] = field(default_factory=list)
    unchanged: int = 0

    @property
    def changed(self) -> bool:
        return bool(self.added or self.updated or self.granted or self.revoked)


@dataclass(frozen=True)
class Provision:
    """One account as a contacts file describes it, with the roles it gives."""

    id: str
    name: str
    email: str | None
    zalo_phone: str | None
    zalo_user_id: str | None
    grants: tuple[Grant, ...]


class Accounts:
    """The accounts on one engine; with a `recorder`, every change is audited (`users ...`)."""

    def __init__(self, engine: Engine, recorder: Recorder | None = None) -> None:
        self.engine = engine
        self.recorder = recorder

    def _record(self, session: Session, type: EventType, subject: str, **details: object
                ) -> None:
        if self.recorder is not None:
            self.recorder(session, type, subject, details)

    def get(self, account_id: str) -> Account | None:
        with Session(self.engine) as session:
            account = session.get(Account, account_id)
            if account is not None:
                _ = account.roles
            return account

    def all(self) -> list[Account]:
        with Session(self.engine) as session:
            accounts = list(session.scalars(select(Account).order_by(Account.id)))
            for account in accounts:
                _ = account.roles
            return accounts

    def count_office_of_every_plan(self) -> int:
        with Session(self.engine) as session:
            return len(list(session.scalars(
                select(RoleGrant.id).join(Account).where(
                    RoleGrant.role == "office", RoleGrant.plan == EVERY_PLAN,
                    Account.status == "active"))))

    def add(self, account_id: str, *, name: str, email: str | None = None,
            zalo_phone: str | None = None, password_hash: str | None = None) -> None:
        with Session(self.engine) as session, session.begin():
            if session.get(Account, account_id) is not None:
                raise ValueError(f"tài khoản {account_id!r} đã có")
            session.add(Account(id=account_id, name=name, email=email, zalo_phone=zalo_phone,
                                password_hash=password_hash, status="active"))
            self._record(session, "account.added", account_id, name=name,
                         password=password_hash is not None)

    def set_password(self, account_id: str, password_hash: str) -> None:
        with Session(self.engine) as session, session.begin():
            self._existing(session, account_id).password_hash = password_hash
            self._record(session, "account.password_set", account_id)

    def set_status(self, account_id: str, status: AccountStatus) -> bool:
        """False when it already had that status."""
        with Session(self.engine) as session, session.begin():
            account = self._existing(session, account_id)
            if account.status == status:
                return False
            account.status = status
            revoked = 0
            if status == "disabled":
                for token in session.scalars(select(AccessToken).where(
                        AccessToken.account_id == account_id, AccessToken.revoked_at.is_(None))):
                    token.revoked_at = now()
                    revoked += 1
            self._record(session, "account.disabled" if status == "disabled" else
                         "account.enabled", account_id, tokens_revoked=revoked)
            return True

    def grant(self, account_id: str, grant: Grant, *, source: str = "manual") -> bool:
        """False when the account already holds it."""
        with Session(self.engine) as session, session.begin():
            account = self._existing(session, account_id)
            if any(r.grant() == grant for r in account.roles):
                return False
            account.roles.append(RoleGrant(role=grant.role, plan=grant.plan,
                                           party=grant.party or "", source=source))
            self._record(session, "account.granted", account_id, **_grant_details(grant))
            return True

    def revoke(self, account_id: str, grant: Grant) -> bool:
        with Session(self.engine) as session, session.begin():
            account = self._existing(session, account_id)
            held = [r for r in account.roles if r.grant() == grant]
            for role in held:
                account.roles.remove(role)
            if held:
                self._record(session, "account.revoked", account_id, **_grant_details(grant))
            return bool(held)

    def sync(self, provisions: list[Provision], *, source: str) -> SyncReport:
        """Make the accounts and the roles from `source` what the contacts file says; roles
        given by hand and other sources are left alone. Running it twice changes nothing."""
        report = SyncReport()
        with Session(self.engine) as session, session.begin():
            wanted: dict[str, set[Grant]] = {}
            for item in provisions:
                account = session.get(Account, item.id)
                if account is None:
                    account = Account(id=item.id, name=item.name, email=item.email,
                                      zalo_phone=item.zalo_phone, zalo_user_id=item.zalo_user_id,
                                      status="active")
                    session.add(account)
                    report.added.append(f"{item.id} ({item.name})")
                else:
                    changes = [f for f in ("name", "email", "zalo_phone", "zalo_user_id")
                               if getattr(account, f) != getattr(item, f)]
                    for name in changes:
                        setattr(account, name, getattr(item, name))
                    if changes:
                        report.updated.append(f"{item.id}: {', '.join(changes)}")
                wanted.setdefault(item.id, set()).update(item.grants)
            session.flush()
            held = list(session.scalars(select(RoleGrant).where(RoleGrant.source == source)))
            have: dict[str, set[Grant]] = {}
            for row in held:
                if row.grant() not in wanted.get(row.account_id, set()):
                    session.delete(row)
                    report.revoked.append(f"{row.account_id}: {row.grant()}")
                else:
                    have.setdefault(row.account_id, set()).add(row.grant())
            for account_id, grants in wanted.items():
                for grant in sorted(grants - have.get(account_id, set()), key=str):
                    session.add(RoleGrant(account_id=account_id, role=grant.role, plan=grant.plan,
                                          party=grant.party or "", source=source))
                    report.granted.append(f"{account_id}: {grant}")
            touched = {line.split(" ", 1)[0].rstrip(":") for line in
                       report.added + report.updated + report.granted + report.revoked}
            report.unchanged = len(set(wanted) - touched)
            if report.changed:
                self._record(session, "accounts.synced", source, added=report.added,
                             updated=report.updated, granted=report.granted,
                             revoked=report.revoked, unchanged=report.unchanged)
        return report

    # -- tokens ----------------------------------------------------------------------------------

    def issue_token(self, account_id: str, kind: AccessTokenKind, *, at: datetime,
                    lifetime: timedelta | None) -> str:
        """A new secret token for the account; only its hash is kept."""
        token = f"dd_{secrets.token_urlsafe(32)}"
        with Session(self.engine) as session, session.begin():
            self._existing(session, account_id)
            expires = at + lifetime if lifetime is not None else None  # 0: expired at once
            session.add(AccessToken(account_id=account_id, sha256=token_hash(token), kind=kind,
                                    created_at=at, expires_at=expires))
            if kind == "api_key":  # a login is the person's own act, not an administration
                self._record(session, "account.api_key_issued", account_id,
                             expires=expires.isoformat() if expires else None)
        return token

    def revoke_token(self, token: str, *, at: datetime) -> bool:
        with Session(self.engine) as session, session.begin():
            row = session.scalar(select(AccessToken).where(
                AccessToken.sha256 == token_hash(token)))
            if row is None or row.revoked_at is not None:
                return False
            row.revoked_at = at
            return True

    def principal(self, token: str, *, at: datetime) -> Principal:
        """The account a token proves, with its roles; refused when the token is unknown,
        expired or revoked, or the account disabled."""
        # Only the columns an auditor's database role may read (no contacts, no password).
        with Session(self.engine) as session:
            row = session.execute(select(
                AccessToken.account_id, AccessToken.expires_at, AccessToken.revoked_at).where(
                AccessToken.sha256 == token_hash(token))).first()
            if row is None:
                raise NotAuthenticated("khóa đăng nhập không hợp lệ; chạy `dondoc login`",
                                       "InvalidToken")
            if row.revoked_at is not None:
                raise NotAuthenticated("khóa đăng nhập đã bị thu hồi; chạy `dondoc login`",
                                       "RevokedToken")
            if row.expires_at is not None and utc(row.expires_at) <= at:
                raise NotAuthenticated("phiên đăng nhập đã hết hạn; chạy `dondoc login`",
                                       "ExpiredToken")
            account = session.execute(select(Account.id, Account.name, Account.status).where(
                Account.id == row.account_id)).one()
            if account.status != "active":
                raise NotAuthenticated(f"tài khoản {account.id} đã bị khóa", "DisabledAccount")
            roles = session.scalars(select(RoleGrant).where(RoleGrant.account_id == account.id)
                                    .order_by(RoleGrant.id))
            return Principal(account=account.id, name=account.name,
                             grants=tuple(r.grant() for r in roles))

    @staticmethod
    def _existing(session: Session, account_id: str) -> Account:
        account = session.get(Account, account_id)
        if account is None:
            raise ValueError(f"không có tài khoản {account_id!r}")
        return account


def _grant_details(grant: Grant) -> dict[str, object]:
    return {"role": grant.role, "plan": grant.plan, "party": grant.party}


def grant_of(role: PlanRole, plan: str | None, party: str | None) -> Grant:
    return Grant(role=role, plan=plan or EVERY_PLAN, party=party)
