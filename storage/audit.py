"""The audit log: every state change of every occurrence, append-only and hash-chained.

Each row carries the hash of the previous row of its occurrence and of its plan, and its own
hash over its content and those two, so an edited or deleted row breaks both chains at the row
after it. Rows are appended by the `record_event` activity (activities/audit.py), keyed by the
event's key (workflow + sequence): a retried write is one row. `verify` recomputes the chains
and names the first row that does not hold.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import DateTime, Integer, String, Text, select, update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, Session, mapped_column

from storage.base import Base, utc
from workflows.messages import OccurrenceEvent

__all__ = ["GENESIS", "AuditEvent", "AuditHead", "AuditLog", "Broken", "canonical", "utc"]
GENESIS = "0" * 64


class AuditEvent(Base):
    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(400), unique=True)
    plan: Mapped[str] = mapped_column(String(64), index=True)
    ref: Mapped[str] = mapped_column(String(300), index=True)
    type: Mapped[str] = mapped_column(String(40))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    actor: Mapped[str | None] = mapped_column(String(64))
    details: Mapped[str] = mapped_column(Text, doc="canonical JSON")
    prev_hash: Mapped[str] = mapped_column(String(64), doc="previous row of this occurrence")
    plan_prev_hash: Mapped[str] = mapped_column(String(64), doc="previous row of this plan")
    hash: Mapped[str] = mapped_column(String(64))


class AuditHead(Base):
    """The last hash of each chain (`occ:<ref>`, `plan:<id>`): the lock appends serialize on."""

    __tablename__ = "audit_heads"

    chain: Mapped[str] = mapped_column(String(320), primary_key=True)
    last_hash: Mapped[str] = mapped_column(String(64))


def canonical(details: dict[str, Any]) -> str:
    return json.dumps(details, ensure_ascii=False, sort_keys=True, separators=(",", ":"),
                      default=str)


def row_hash(*, key: str, plan: str, ref: str, type: str, at: datetime, actor: str | None,
             details: str, prev_hash: str, plan_prev_hash: str) -> str:
    instant = utc(at).isoformat(timespec="microseconds")
    material = json.dumps([key, plan, ref, type, instant, actor, details, prev_hash,
                           plan_prev_hash], ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(material.encode()).hexdigest()


@dataclass(frozen=True)
class Broken:
    id: int
    ref: str
    reason: str

    def __str__(self) -> str:
        return f"row {self.id} ({self.ref}): {self.reason}"


class AuditLog:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def append(self, event: OccurrenceEvent) -> bool:
        """Append the event once; False when its key is already in the log."""
        with Session(self.engine) as session, session.begin():
            if session.scalar(select(AuditEvent.id).where(AuditEvent.key == event.key)):
                return False
            chains = (f"occ:{event.ref}", f"plan:{event.plan}")
            heads = {chain: self._lock_head(session, chain) for chain in chains}
            details = canonical(event.details)
            row = AuditEvent(key=event.key, plan=event.plan, ref=event.ref, type=event.type,
                             at=utc(event.at), actor=event.actor, details=details,
                             prev_hash=heads[chains[0]], plan_prev_hash=heads[chains[1]])
            row.hash = row_hash(key=row.key, plan=row.plan, ref=row.ref, type=row.type,
                                at=row.at, actor=row.actor, details=details,
                                prev_hash=row.prev_hash, plan_prev_hash=row.plan_prev_hash)
            session.add(row)
            for chain in chains:
                session.get(AuditHead, chain).last_hash = row.hash  # type: ignore[union-attr]
        return True

    def _lock_head(self, session: Session, chain: str) -> str:
        # The no-op UPDATE takes the row lock on PostgreSQL and the write lock on SQLite.
        locked = session.execute(update(AuditHead).where(AuditHead.chain == chain)
                                 .values(last_hash=AuditHead.last_hash))
        if locked.rowcount == 0:  # type: ignore[attr-defined]
            try:
                with session.begin_nested():
                    session.add(AuditHead(chain=chain, last_hash=GENESIS))
            except IntegrityError:
                pass
        head = session.get(AuditHead, chain, with_for_update=True, populate_existing=True)
        assert head is not None
        return head.last_hash

    def events(self, *, plan: str | None = None, ref: str | None = None,
               since: datetime | None = None, until: datetime | None = None) -> list[AuditEvent]:
        query = select(AuditEvent).order_by(AuditEvent.id)
        if plan is not None:
            query = query.where(AuditEvent.plan == plan)
        if ref is not None:
            query = query.where(AuditEvent.ref == ref)
        if since is not None:
            query = query.where(AuditEvent.at >= since)
        if until is not None:
            query = query.where(AuditEvent.at < until)
        with Session(self.engine) as session:
            return list(session.scalars(query))

    def verify(self, plan: str | None = None) -> Broken | None:
        """Recompute every chain; the first row that does not hold, or None."""
        expected_occ: dict[str, str] = {}
        expected_plan: dict[str, str] = {}
        rows = self.events(plan=plan)
        for row in rows:
            recomputed = row_hash(key=row.key, plan=row.plan, ref=row.ref, type=row.type,
                                  at=row.at, actor=row.actor, details=row.details,
                                  prev_hash=row.prev_hash, plan_prev_hash=row.plan_prev_hash)
            if recomputed != row.hash:
                return Broken(row.id, row.ref, "its content does not match its hash (edited)")
            if row.prev_hash != expected_occ.get(row.ref, GENESIS):
                return Broken(row.id, row.ref, "the occurrence's previous row is not the one it "
                              "names (a row before it was edited or deleted)")
            if row.plan_prev_hash != expected_plan.get(row.plan, GENESIS):
                return Broken(row.id, row.ref, "the plan's previous row is not the one it names "
                              "(a row before it was edited or deleted)")
            expected_occ[row.ref] = row.hash
            expected_plan[row.plan] = row.hash
        with Session(self.engine) as session:
            for head in session.scalars(select(AuditHead)):
                kind, _, name = head.chain.partition(":")
                expected = (expected_occ if kind == "occ" else expected_plan).get(name)
                if (plan is None or name == plan or name.startswith(f"{plan}/")) and \
                        expected is not None and head.last_hash != expected:
                    return Broken(0, name, "its last rows were deleted (the chain's head names "
                                  "a row that is gone)")
        return None
