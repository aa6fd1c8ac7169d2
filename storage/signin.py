"""One-time sign-in codes for the web app: only keyed hashes are stored, never a code."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, Integer, String, func, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Mapped, Session, mapped_column

from storage.audit import AuditEvent
from storage.base import Base, utc


class SignInCode(Base):
    """A 6-digit code and a link token sent to one account; either signs in once."""

    __tablename__ = "signin_codes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    account: Mapped[str] = mapped_column(String(200), index=True)
    code_hash: Mapped[str] = mapped_column(String(64))
    link_hash: Mapped[str] = mapped_column(String(64), unique=True)
    address: Mapped[str] = mapped_column(String(64), index=True, doc="client IP that asked")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    failures: Mapped[int] = mapped_column(Integer, default=0)


PASSWORD_ATTEMPT = "password"  # the code_hash of a row that records a password attempt


class SignInCodes:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def add(self, *, account: str, code_hash: str, link_hash: str, address: str,
            at: datetime, expires_at: datetime) -> int:
        with Session(self.engine) as session, session.begin():
            row = SignInCode(account=account, code_hash=code_hash, link_hash=link_hash,
                             address=address, created_at=at, expires_at=expires_at, failures=0)
            session.add(row)
            session.flush()
            return row.id

    def issued_since(self, since: datetime, *, account: str | None = None,
                     address: str | None = None) -> int:
        # Codes sent, not password attempts: this limit bounds the messages sent.
        query = select(func.count(SignInCode.id)).where(
            SignInCode.created_at >= since, SignInCode.code_hash != PASSWORD_ATTEMPT)
        if account is not None:
            query = query.where(SignInCode.account == account)
        if address is not None:
            query = query.where(SignInCode.address == address)
        with Session(self.engine) as session:
            return session.scalar(query) or 0

    def failures_since(self, since: datetime, *, account: str | None = None,
                       address: str | None = None) -> int:
        query = select(func.coalesce(func.sum(SignInCode.failures), 0)).where(
            SignInCode.created_at >= since)
        if account is not None:
            query = query.where(SignInCode.account == account)
        if address is not None:
            query = query.where(SignInCode.address == address)
        with Session(self.engine) as session:
            return int(session.scalar(query) or 0)

    def live(self, account: str, *, at: datetime) -> list[SignInCode]:
        """The account's codes that are neither used nor expired, newest first."""
        with Session(self.engine) as session:
            rows = session.scalars(select(SignInCode).where(
                SignInCode.account == account, SignInCode.used_at.is_(None))
                .order_by(SignInCode.id.desc()))
            return [r for r in rows if utc(r.expires_at) > at]

    def by_link(self, link_hash: str) -> SignInCode | None:
        with Session(self.engine) as session:
            return session.scalar(select(SignInCode).where(SignInCode.link_hash == link_hash))

    def use(self, code_id: int, *, at: datetime) -> bool:
        """Mark the code used; False when another request used it first (single use)."""
        with Session(self.engine) as session, session.begin():
            row = session.get(SignInCode, code_id, with_for_update=True)
            if row is None or row.used_at is not None:
                return False
            row.used_at = at
            return True

    def ended_everywhere(self, ref: str) -> datetime | None:
        """When the account last signed out everywhere (its audit rows' `ref`), if ever."""
        with Session(self.engine) as session:
            at = session.scalar(select(func.max(AuditEvent.at)).where(
                AuditEvent.ref == ref, AuditEvent.type == "signed_out_everywhere"))
            return utc(at) if at is not None else None

    def fail(self, code_id: int, *, at: datetime, give_up_after: int) -> None:
        """Count a wrong code; after `give_up_after` of them the code is spent."""
        with Session(self.engine) as session, session.begin():
            row = session.get(SignInCode, code_id, with_for_update=True)
            if row is None:
                return
            row.failures += 1
            if row.failures >= give_up_after and row.used_at is None:
                row.used_at = at
