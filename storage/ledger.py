"""The delivery ledger: every notice to every recipient on every channel, and each attempt.

A delivery is claimed ('pending'), marked 'handed' immediately before the provider's network
call, and settled right after it, each in its own short transaction. So a retried activity, or
a worker killed after the provider took the message, finds it sent; one killed before handing
it over left it 'pending' and it is simply sent; only a delivery left 'handed' with no outcome
is in doubt, and it is sent again under the same Message-ID (ZNS: tracking_id), which the
mailbox shows once.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable
from datetime import datetime
from typing import Literal

from sqlalchemy import (
    DateTime,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
    select,
)
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from plans.masking import mask
from storage.base import Base, now
from storage.base import connect as engine_for

# 'sending' and 'uncertain' are what rows written before the 'pending'/'handed' split hold.
DeliveryStatus = Literal["pending", "handed", "sent", "failed", "sending", "uncertain"]
Outcome = Literal["sent", "retrying", "failed", "in_doubt"]
Claim = Literal["send", "in_doubt", "busy", "sent", "failed", "uncertain"]
_CLAIMS: dict[str, Claim] = {
    "pending": "send", "handed": "in_doubt", "sending": "in_doubt",
    "sent": "sent", "failed": "failed", "uncertain": "uncertain",
}

class DeliveryRecord(Base):
    """One notice to one recipient on one channel."""

    __tablename__ = "deliveries"
    __table_args__ = (UniqueConstraint("notice_key", "route"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    notice_key: Mapped[str] = mapped_column(String(500), index=True)
    channel: Mapped[str] = mapped_column(String(20))
    route: Mapped[str] = mapped_column(String(32), doc="HMAC of channel and address")
    ref: Mapped[str] = mapped_column(String(300), index=True)
    recipient: Mapped[str] = mapped_column(String(64), doc="unit or person id")
    address: Mapped[str] = mapped_column(String(200), doc="masked: never the full address")
    status: Mapped[str] = mapped_column(String(10))
    provider_code: Mapped[str | None] = mapped_column(String(40))
    provider_message_id: Mapped[str | None] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=now)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=now,
                                                 onupdate=now)
    attempts: Mapped[list[Attempt]] = relationship(back_populates="delivery",
                                                   order_by="Attempt.id")


class Attempt(Base):
    __tablename__ = "delivery_attempts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    delivery_id: Mapped[int] = mapped_column(ForeignKey("deliveries.id"), index=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=now)
    outcome: Mapped[str] = mapped_column(String(10))
    provider_code: Mapped[str | None] = mapped_column(String(40))
    detail: Mapped[str | None] = mapped_column(Text)
    delivery: Mapped[DeliveryRecord] = relationship(back_populates="attempts")


class ZaloToken(Base):
    """The OA access token and its single-use refresh token; one row, updated atomically."""

    __tablename__ = "zalo_tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    access_token: Mapped[str | None] = mapped_column(Text)
    refresh_token: Mapped[str] = mapped_column(Text)
    expires_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    version: Mapped[int] = mapped_column(Integer, default=0)


def route_of(channel: str, address: str, key: bytes) -> str:
    """The ledger's key for a channel and address: an HMAC under the route key, which the
    database does not hold, so nobody reading the ledger can test guessed addresses (a phone
    number has few enough digits to try them all against a plain hash)."""
    return hmac.new(key, f"{channel}:{address}".encode(), hashlib.sha256).hexdigest()[:32]


def legacy_route_of(channel: str, address: str) -> str:
    """The unkeyed hash of the first ledger rows (before migration 0004)."""
    return hashlib.sha256(f"{channel}:{address}".encode()).hexdigest()[:32]


class Ledger:
    """The ledger on one engine. Claiming and recording need the route key; reading does not."""

    def __init__(self, engine: Engine, route_key: bytes | None = None) -> None:
        self.engine = engine
        self.route_key = route_key

    @classmethod
    def connect(cls, url: str, route_key: bytes | None = None) -> Ledger:
        return cls(engine_for(url), route_key)

    def _route(self, channel: str, address: str) -> str:
        if self.route_key is None:
            raise RuntimeError("the delivery ledger needs the route key to claim or record")
        return route_of(channel, address, self.route_key)

    def _find(self, session: Session, notice_key: str, channel: str,
              address: str) -> DeliveryRecord | None:
        """The delivery of a notice to an address; a row still keyed by the legacy hash is
        re-keyed on the way, so an upgrade mid-send neither sends twice nor keeps it."""
        route = self._route(channel, address)
        found = session.scalar(select(DeliveryRecord).where(
            DeliveryRecord.notice_key == notice_key, DeliveryRecord.route == route))
        if found is None:
            found = session.scalar(select(DeliveryRecord).where(
                DeliveryRecord.notice_key == notice_key,
                DeliveryRecord.route == legacy_route_of(channel, address)))
            if found is not None:
                found.route = route
        return found

    def message_key(self, *, notice_key: str, channel: str, address: str) -> str:
        """The provider-side idempotency key of one delivery (e-mail Message-ID, ZNS
        tracking_id): the same on every attempt and every worker, revealing neither the notice
        nor the address."""
        route = self._route(channel, address)
        return hashlib.sha256(f"{notice_key}\0{route}".encode()).hexdigest()[:40]

    def claim(self, *, notice_key: str, channel: str, address: str, ref: str,
              recipient: str) -> Claim:
        """Claim the delivery of a notice to an address. 'send': nobody has handed it to the
        provider (new, died before handing it over, or failed in a way that allows another);
        'in_doubt': an attempt handed it over and recorded no outcome (it died in the
        provider's window): send it again, under the same message id; 'busy': another attempt
        claimed it this instant; otherwise the settled status ('sent', 'failed', 'uncertain')."""
        with Session(self.engine) as session:
            existing = self._find(session, notice_key, channel, address)
            if existing is not None:
                status = existing.status
                session.commit()  # keeps a re-keyed route
                return _CLAIMS[status]
            session.add(DeliveryRecord(
                notice_key=notice_key, channel=channel, route=self._route(channel, address),
                ref=ref, recipient=recipient, address=mask(address), status="pending"))
            try:
                session.commit()
            except IntegrityError:  # claimed by a concurrent attempt
                return "busy"
            return "send"

    def handed(self, *, notice_key: str, channel: str, address: str) -> None:
        """The message is about to go to the provider: from here until its outcome is recorded,
        a worker's death leaves it in doubt."""
        with Session(self.engine) as session, session.begin():
            delivery = self._find(session, notice_key, channel, address)
            if delivery is not None:
                delivery.status = "handed"

    def status(self, notice_key: str, channel: str, address: str) -> str | None:
        with Session(self.engine) as session:
            found = self._find(session, notice_key, channel, address)
            status = found.status if found is not None else None
            session.commit()
            return status

    def record(self, *, notice_key: str, channel: str, address: str, outcome: Outcome,
               provider_code: str | None = None, detail: str | None = None,
               message_id: str | None = None) -> None:
        """One attempt's outcome. 'sent' and 'failed' settle the delivery; 'retrying' leaves it
        for another attempt; 'in_doubt' notes an attempt that died in the provider's window."""
        with Session(self.engine) as session, session.begin():
            delivery = self._find(session, notice_key, channel, address)
            if delivery is None:
                raise LookupError(f"no claimed delivery for {notice_key} on {channel}")
            session.add(Attempt(delivery=delivery, outcome=outcome, provider_code=provider_code,
                                detail=mask(detail) if detail else detail))
            if outcome in ("sent", "failed"):
                delivery.status = outcome
            elif outcome == "retrying":
                delivery.status = "pending"
            delivery.provider_code = provider_code or delivery.provider_code
            delivery.provider_message_id = message_id or delivery.provider_message_id

    def rekey_legacy(self, addresses: Iterable[tuple[str, str]]) -> int:
        """Re-key the rows still under the unkeyed hash of these (channel, address) pairs
        (the contacts' addresses); the number of rows re-keyed."""
        routes = {legacy_route_of(c, a): self._route(c, a) for c, a in addresses}
        with Session(self.engine) as session:
            rows = list(session.scalars(select(DeliveryRecord).where(
                DeliveryRecord.route.in_(routes))))
            for row in rows:
                row.route = routes[row.route]
            session.commit()
        return len(rows)

    def deliveries(self, ref: str | None = None) -> list[DeliveryRecord]:
        with Session(self.engine) as session:
            query = select(DeliveryRecord).order_by(DeliveryRecord.id)
            if ref is not None:
                query = query.where(DeliveryRecord.ref == ref)
            rows = list(session.scalars(query))
            for row in rows:
                _ = row.attempts  # load before the session closes
            return rows
