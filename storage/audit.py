"""The audit log: every state change of every occurrence, append-only and hash-chained.

Each row carries the hash of the previous row of its occurrence and of its plan, and its own
hash over its content and those two, so an edited or deleted row breaks both chains at the row
after it. The row hash is an HMAC under the audit key (dondoc/keys.py), which the database does
not hold: someone who can write the database cannot forge a row that verifies. Rows are appended
by the `record_event` activity (activities/audit.py), keyed by the event's key (workflow +
sequence): a retried write is one row.

What the chains alone cannot show (a whole chain rewritten by someone holding the key, its tail
cut together with `audit_heads`) the anchors show: each plan's head and row count recorded
outside the database, in Temporal (workflows/anchors.py) and in the weekly digest the Steering
Committee receives. `verify` checks the rows, the heads, the retentions, the archived histories
and every anchor it is given, and names the check that failed.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    Boolean,
    DateTime,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
    delete,
    func,
    select,
    update,
)
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, Session, mapped_column

from storage.archive import ArchivedHistory
from storage.base import Base, snapshot, utc
from workflows.messages import OccurrenceEvent

if TYPE_CHECKING:
    from workflows.anchors import Anchor

__all__ = ["GENESIS", "AuditEvent", "AuditHead", "AuditLog", "Broken", "Verified", "canonical",
           "utc"]
GENESIS = "0" * 64
SYSTEM_PLAN = "_audit"  # the log's own events (retention) chain here


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
    hash: Mapped[str] = mapped_column(String(64), index=True)
    keyed: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0",
                                        doc="hash is an HMAC under the audit key")


class AuditHead(Base):
    """The last hash of each chain (`occ:<ref>`, `plan:<id>`): the lock appends serialize on.
    The database lets a head move only forward, to a row naming the old head."""

    __tablename__ = "audit_heads"

    chain: Mapped[str] = mapped_column(String(320), primary_key=True)
    last_hash: Mapped[str] = mapped_column(String(64))


class AuditRetention(Base):
    """One use of `dondoc audit retain`: rows older than `before` removed. The triggers let a
    DELETE through only below a recorded cut-off; the row is itself insert-only and logged."""

    __tablename__ = "audit_retentions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    before: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    by: Mapped[str] = mapped_column(String(64))
    event_key: Mapped[str] = mapped_column(String(400), doc="its row in audit_events")


class AuditRetained(Base):
    """Where a chain starts after a retention: the last removed row's hash, and how many rows
    of the chain were removed in all (so anchors' row counts still add up)."""

    __tablename__ = "audit_retained"

    retention_id: Mapped[int] = mapped_column(ForeignKey("audit_retentions.id"),
                                              primary_key=True)
    chain: Mapped[str] = mapped_column(String(320), primary_key=True)
    last_hash: Mapped[str] = mapped_column(String(64))
    rows: Mapped[int] = mapped_column(Integer)


class AuditAnchor(Base):
    """An anchor dondoc sent out of its own hands (a digest's head and row count), kept so that
    `verify` checks it without the mailbox that received it."""

    __tablename__ = "audit_anchors"
    __table_args__ = (UniqueConstraint("reference"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    source: Mapped[str] = mapped_column(String(20))
    reference: Mapped[str] = mapped_column(String(500))
    plan: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    head: Mapped[str] = mapped_column(String(64))
    rows: Mapped[int] = mapped_column(Integer)


def canonical(details: dict[str, Any]) -> str:
    return json.dumps(details, ensure_ascii=False, sort_keys=True, separators=(",", ":"),
                      default=str)


def row_hash(*, key: str, plan: str, ref: str, type: str, at: datetime, actor: str | None,
             details: str, prev_hash: str, plan_prev_hash: str,
             secret: bytes | None = None) -> str:
    """HMAC-SHA-256 under `secret`; plain SHA-256 for rows written before the audit key."""
    instant = utc(at).isoformat(timespec="microseconds")
    material = json.dumps([key, plan, ref, type, instant, actor, details, prev_hash,
                           plan_prev_hash], ensure_ascii=False, separators=(",", ":")).encode()
    if secret is None:
        return hashlib.sha256(material).hexdigest()
    return hmac.new(secret, material, hashlib.sha256).hexdigest()


def hash_of(row: AuditEvent, secret: bytes | None) -> str:
    return row_hash(key=row.key, plan=row.plan, ref=row.ref, type=row.type, at=row.at,
                    actor=row.actor, details=row.details, prev_hash=row.prev_hash,
                    plan_prev_hash=row.plan_prev_hash, secret=secret)


@dataclass(frozen=True)
class Broken:
    """One finding of `verify`: which check failed, where, and what it means."""

    check: str  # row-hash, occurrence-chain, plan-chain, head, retention, archive, anchor
    where: str
    reason: str
    vietnamese: str  # the whole finding, for the auditor's page
    id: int = 0  # the audit row, when there is one

    def __str__(self) -> str:
        return f"[{self.check}] {self.where}: {self.reason}"


@dataclass
class Verified:
    findings: list[Broken]
    rows: int
    anchors: int  # anchors checked
    unchecked_macs: int  # keyed rows whose HMAC could not be checked (no audit key given)
    unlogged_archives: int = 0  # histories archived before archives were logged


class AuditLog:
    """The log on one engine. `key` is the audit key: rows are written keyed under it, and
    verified with it; without it (an auditor not given the key) verify checks everything but
    the keyed rows' HMACs, and says so."""

    def __init__(self, engine: Engine, key: bytes | None = None) -> None:
        self.engine = engine
        self.key = key

    def append(self, event: OccurrenceEvent,
               then: Callable[[Session], None] | None = None) -> bool:
        """Append the event once; False when its key is already in the log. `then` writes
        what must commit with the row, in its transaction (the occurrence's standing)."""
        with Session(self.engine) as session, session.begin():
            written = self._append(session, event)
            if written and then is not None:
                then(session)
            return written

    def append_in(self, session: Session, event: OccurrenceEvent) -> bool:
        """Append the event in the caller's transaction (a change and its row commit together)."""
        return self._append(session, event)

    def _append(self, session: Session, event: OccurrenceEvent) -> bool:
        if session.scalar(select(AuditEvent.id).where(AuditEvent.key == event.key)):
            return False
        chains = (f"occ:{event.ref}", f"plan:{event.plan}")
        heads = {chain: self._lock_head(session, chain) for chain in chains}
        details = canonical(event.details)
        row = AuditEvent(key=event.key, plan=event.plan, ref=event.ref, type=event.type,
                         at=utc(event.at), actor=event.actor, details=details,
                         prev_hash=heads[chains[0]], plan_prev_hash=heads[chains[1]],
                         keyed=self.key is not None)
        row.hash = hash_of(row, self.key)
        session.add(row)
        session.flush()  # the row first: the database moves a head only to an existing row
        for chain in chains:
            session.execute(update(AuditHead).where(AuditHead.chain == chain)
                            .values(last_hash=row.hash))
        return True

    def log_archived(self, session: Session, archived: ArchivedHistory) -> None:
        """Put an archived history's SHA-256 in the log (chain `_audit`), in the transaction
        that archives it: replacing the history and its hash then breaks a keyed, anchored
        chain, not just a column."""
        self._append(session, OccurrenceEvent(
            key=f"{SYSTEM_PLAN}/archive#{archived.run_id}", ref=f"{SYSTEM_PLAN}/archive",
            plan=SYSTEM_PLAN, type="history.archived", at=utc(archived.closed_at),
            details={"workflow_id": archived.workflow_id, "run_id": archived.run_id,
                     "sha256": archived.sha256,
                     "closed_at": utc(archived.closed_at).isoformat()}))

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

    def stream(self, *, plan: str | None = None, type: str | None = None,
               batch: int = 1000) -> Iterator[AuditEvent]:
        """The rows in order, `batch` at a time (a server-side cursor on PostgreSQL): memory
        stays flat however long the log is."""
        with Session(self.engine) as session:
            yield from _rows(session, plan=plan, type=type, batch=batch)

    def heads(self, at: datetime, source: str = "temporal", reference: str = "") -> list[Anchor]:
        """Each plan's last row and row count (retained rows included), as anchors."""
        from workflows.anchors import Anchor  # a workflow module: imported when anchoring only

        with snapshot(self.engine) as session:
            retained = self._retained(session)
            counts: dict[str, int] = {plan: n for plan, n in session.execute(
                select(AuditEvent.plan, func.count()).group_by(AuditEvent.plan))}
            last: dict[str, int] = {plan: i for plan, i in session.execute(
                select(AuditEvent.plan, func.max(AuditEvent.id)).group_by(AuditEvent.plan))}
            hashes: dict[int, str] = {i: h for i, h in session.execute(
                select(AuditEvent.id, AuditEvent.hash).where(AuditEvent.id.in_(last.values())))}
        return [Anchor(plan=plan, rows=counts[plan] + retained.get(f"plan:{plan}", ("", 0))[1],
                       head=hashes[last[plan]], at=at, source=source,
                       reference=reference or f"{at:%Y-%m-%d}")
                for plan in sorted(counts)]

    def record_anchor(self, anchor: Anchor) -> None:
        """Keep an anchor sent out (a digest's); once per reference."""
        with Session(self.engine) as session:
            if session.scalar(select(AuditAnchor.id).where(
                    AuditAnchor.reference == anchor.reference)) is None:
                session.add(AuditAnchor(source=anchor.source, reference=anchor.reference,
                                        plan=anchor.plan, at=anchor.at, head=anchor.head,
                                        rows=anchor.rows))
                session.commit()

    def recorded_anchors(self) -> list[Anchor]:
        from workflows.anchors import Anchor

        with Session(self.engine) as session:
            return [Anchor(plan=a.plan, rows=a.rows, head=a.head, at=utc(a.at), source=a.source,
                           reference=a.reference)
                    for a in session.scalars(select(AuditAnchor).order_by(AuditAnchor.id))]

    def retain(self, before: datetime, *, by: str, now: datetime) -> int:
        """Remove the rows older than `before` (and the archived histories closed before it).
        The log records the retention first; the removed prefix of each chain is remembered
        (last hash, rows) so the chains and the anchors still verify. Returns rows removed."""
        if self.key is None:
            raise ValueError("retention writes to the audit log: it needs the audit key")
        before = utc(before)
        with Session(self.engine) as session, session.begin():
            key = f"{SYSTEM_PLAN}/retention#{now.isoformat()}"
            self._append(session, OccurrenceEvent(
                key=key, ref=f"{SYSTEM_PLAN}/retention", plan=SYSTEM_PLAN, type="audit.retained",
                at=now, actor=by, details={"before": before.isoformat()}))
            retention = AuditRetention(before=before, at=utc(now), by=by, event_key=key)
            session.add(retention)
            session.flush()
            previous = self._retained(session)
            removed: dict[str, tuple[str, int]] = {}
            # Only a prefix of each plan chain may go: a row older than the cut-off that
            # follows a younger one stays (clocks of workers differ).
            for plan in session.scalars(select(AuditEvent.plan).distinct()):
                for row in session.scalars(select(AuditEvent).where(AuditEvent.plan == plan)
                                           .order_by(AuditEvent.id)):
                    if utc(row.at) >= before or row.key == key:
                        break
                    for chain in (f"occ:{row.ref}", f"plan:{row.plan}"):
                        _, count = removed.get(chain, previous.get(chain, ("", 0)))
                        removed[chain] = (row.hash, count + 1)
                    session.delete(row)
            session.add_all(AuditRetained(retention_id=retention.id, chain=chain,
                                          last_hash=last, rows=count)
                            for chain, (last, count) in removed.items())
            session.execute(delete(ArchivedHistory).where(ArchivedHistory.closed_at < before))
            total = sum(count - previous.get(chain, ("", 0))[1]
                        for chain, (_, count) in removed.items() if chain.startswith("plan:"))
        return total

    def _retained(self, session: Session | None = None) -> dict[str, tuple[str, int]]:
        """Each chain's start after the retentions: (last removed hash, rows removed)."""
        query = select(AuditRetained).order_by(AuditRetained.retention_id)
        if session is None:
            with Session(self.engine) as own:
                return {r.chain: (r.last_hash, r.rows) for r in own.scalars(query)}
        return {r.chain: (r.last_hash, r.rows) for r in session.scalars(query)}

    def verify(self, plan: str | None = None, anchors: Sequence[Anchor] = ()) -> Verified:
        """Every check over the rows, heads, retentions, archived histories and anchors, all
        read in one snapshot: rows that workers add meanwhile are no finding."""
        with snapshot(self.engine) as session:
            return self._verify(session, plan, anchors)

    def _verify(self, session: Session, plan: str | None, anchors: Sequence[Anchor]
                ) -> Verified:
        retained = self._retained(session)
        findings: list[Broken] = []
        last: dict[str, str] = {c: h for c, (h, _) in retained.items()}
        count: dict[str, int] = {c: n for c, (_, n) in retained.items()}
        position: dict[str, tuple[str, int]] = {}  # hash -> (plan, rows up to it)
        keyed_plans: set[str] = set()
        broken_chains: set[str] = set()
        unchecked = rows = 0
        with_rows: set[str] = set()  # the chains that have rows

        def finding(check: str, chain: str, row: AuditEvent, reason: str, vietnamese: str) -> None:
            if chain not in broken_chains:  # the first break of a chain; the rest follow it
                broken_chains.add(chain)
                findings.append(Broken(check, f"row {row.id} ({row.ref})", reason,
                                       f"Dòng {row.id} ({row.ref}): {vietnamese}", row.id))

        for row in _rows(session, plan=plan):
            rows += 1
            occ, pln = f"occ:{row.ref}", f"plan:{row.plan}"
            with_rows.add(occ)
            with_rows.add(pln)
            if row.keyed:
                keyed_plans.add(row.plan)
            if row.keyed and self.key is None:
                unchecked += 1
            elif hash_of(row, self.key if row.keyed else None) != row.hash:
                finding("row-hash", pln, row, "its content does not match its hash: edited, "
                        "inserted or moved from another plan by someone without the audit key",
                        "nội dung không khớp mã băm của nó: đã bị sửa, chèn thêm hoặc chuyển từ "
                        "kế hoạch khác bởi người không có khóa nhật ký")
            elif not row.keyed and row.plan in keyed_plans:
                finding("row-hash", pln, row, "an unkeyed row after keyed rows: rewritten "
                        "without the audit key", "dòng không có mã khóa đứng sau các dòng có mã "
                        "khóa: đã bị viết lại bởi người không có khóa nhật ký")
            if row.prev_hash != last.get(occ, GENESIS):
                finding("occurrence-chain", occ, row, "the occurrence's previous row is not the "
                        "one it names: a row before it was edited, deleted, inserted or moved",
                        "dòng liền trước trong chuỗi của nhiệm vụ không phải dòng nó ghi: một dòng "
                        "phía trước đã bị sửa, xóa, chèn thêm hoặc di chuyển")
            if row.plan_prev_hash != last.get(pln, GENESIS):
                finding("plan-chain", pln, row, "the plan's previous row is not the one it "
                        "names: a row before it was edited, deleted, inserted or moved",
                        "dòng liền trước trong chuỗi của kế hoạch không phải dòng nó ghi: một dòng "
                        "phía trước đã bị sửa, xóa, chèn thêm hoặc di chuyển")
            last[occ] = last[pln] = row.hash
            count[pln] = count.get(pln, 0) + 1
            position[row.hash] = (row.plan, count[pln])
        findings += _check_heads(session, plan, last, with_rows)
        findings += _check_retentions(session)
        archive_findings, unlogged = _check_archive(session, plan)
        findings += archive_findings
        checked = [a for a in anchors if plan is None or a.plan == plan]
        for anchor in checked:
            findings += check_anchor(anchor, position, count, retained)
        return Verified(findings, rows, len(checked), unchecked, unlogged)


def _rows(session: Session, *, plan: str | None = None, type: str | None = None,
          batch: int = 1000) -> Iterator[AuditEvent]:
    query = select(AuditEvent).order_by(AuditEvent.id).execution_options(yield_per=batch)
    if plan is not None:
        query = query.where(AuditEvent.plan == plan)
    if type is not None:
        query = query.where(AuditEvent.type == type)
    return iter(session.scalars(query))


def _check_heads(session: Session, plan: str | None, last: dict[str, str],
                 with_rows: set[str]) -> list[Broken]:
    out = []
    heads = {h.chain: h.last_hash for h in session.scalars(select(AuditHead))}
    for chain, head in sorted(heads.items()):
        name = chain.partition(":")[2]
        if plan is not None and name != plan and not name.startswith(f"{plan}/"):
            continue
        if head == GENESIS and chain not in last:
            continue
        if chain not in last:
            out.append(Broken("head", chain, "its head names a row but the chain has none: "
                              "every row of it was deleted", f"Chuỗi {chain}: đầu chuỗi ghi một "
                              "dòng nhưng chuỗi không còn dòng nào: mọi dòng của nó đã bị xóa"))
        elif head != last[chain]:
            out.append(Broken("head", chain, "its head is not its last row: its last rows "
                              "were deleted, or rows added without moving the head",
                              f"Chuỗi {chain}: đầu chuỗi không phải dòng cuối cùng: các dòng "
                              "cuối đã bị xóa, hoặc có dòng được thêm mà đầu chuỗi không đổi"))
    for chain in sorted(with_rows - heads.keys()):
        out.append(Broken("head", chain, "the chain has rows but no head: audit_heads was "
                          "deleted", f"Chuỗi {chain}: có dòng nhưng không có đầu chuỗi: bảng "
                          "audit_heads đã bị xóa"))
    return out


def _check_retentions(session: Session) -> list[Broken]:
    retentions = list(session.scalars(select(AuditRetention)))
    logged = set(session.scalars(select(AuditEvent.key).where(AuditEvent.plan == SYSTEM_PLAN)))
    return [Broken("retention", f"retention {r.id}", "rows were removed under a retention "
                   "the audit log does not record", f"Lần xóa theo thời hạn lưu giữ {r.id}: các "
                   "dòng đã bị xóa theo một lần mà nhật ký không ghi nhận") for r in retentions
            if r.event_key not in logged]


def _check_archive(session: Session, plan: str | None) -> tuple[list[Broken], int]:
    """Each archived history against its SHA-256 and the SHA-256 the log recorded when it
    was archived; each logged one still there (or removed by a retention). The findings,
    and how many histories predate the logging of archives."""
    out, unlogged = [], 0
    logged = {d["run_id"]: d for d in (json.loads(e.details) for e in session.scalars(
        select(AuditEvent).where(AuditEvent.type == "history.archived")))}
    cut = session.scalar(select(func.max(AuditRetention.before)))
    query = select(ArchivedHistory)
    if plan is not None:
        query = query.where(ArchivedHistory.workflow_id.startswith(f"{plan}/"))
    present = set()
    for archived in session.scalars(query):
        present.add(archived.run_id)
        where = f"history of {archived.workflow_id} run {archived.run_id}"
        shown = f"Lịch sử của {archived.workflow_id} (lần chạy {archived.run_id})"
        if hashlib.sha256(archived.history.encode()).hexdigest() != archived.sha256:
            out.append(Broken("archive", where, "its content does not match its "
                              "SHA-256: the archived history was edited", f"{shown}: nội dung "
                              "không khớp mã SHA-256: lịch sử lưu trữ đã bị sửa"))
        elif archived.run_id not in logged:
            unlogged += 1
        elif logged[archived.run_id]["sha256"] != archived.sha256:
            out.append(Broken("archive", where, "its SHA-256 is not the one the audit "
                              "log recorded when it was archived: the history and its "
                              "hash were replaced", f"{shown}: mã SHA-256 không phải mã nhật ký "
                              "đã ghi khi lưu trữ: lịch sử và mã băm của nó đã bị thay thế"))
    for run_id, entry in sorted(logged.items()):
        gone = run_id not in present and (plan is None or entry["workflow_id"]
                                          .startswith(f"{plan}/"))
        if gone and not (cut is not None and entry.get("closed_at", "") < utc(cut).isoformat()):
            out.append(Broken("archive", f"history of {entry['workflow_id']} run {run_id}",
                              "the audit log recorded archiving it, and it is gone",
                              f"Lịch sử của {entry['workflow_id']} (lần chạy {run_id}): nhật ký "
                              "đã ghi việc lưu trữ nó, nhưng lịch sử không còn"))
    return out, unlogged


def check_anchor(anchor: Anchor, position: dict[str, tuple[str, int]], count: dict[str, int],
                 retained: dict[str, tuple[str, int]]) -> list[Broken]:
    """The database must hold the anchored head as the plan's row number `rows`."""
    where, shown = describe(anchor), describe_in_vietnamese(anchor)
    chain = f"plan:{anchor.plan}"
    if anchor.rows == 0:
        return []
    found = position.get(anchor.head)
    if found is None:
        if anchor.rows <= retained.get(chain, ("", 0))[1] or \
                retained.get(chain, ("", 0))[0] == anchor.head:
            return []  # removed by a recorded retention
        have = count.get(chain, 0)
        return [Broken("anchor", where, f"plan {anchor.plan} had {anchor.rows} rows ending in "
                       f"{anchor.head[:12]}…; the database has {have} rows and no such row: "
                       "the chain was rewritten, truncated or deleted",
                       f"{shown}: kế hoạch {anchor.plan} có {anchor.rows} dòng, dòng cuối "
                       f"{anchor.head[:12]}…; cơ sở dữ liệu có {have} dòng và không có dòng đó: "
                       "chuỗi đã bị viết lại, cắt bớt hoặc xóa")]
    plan, number = found
    if plan != anchor.plan:
        return [Broken("anchor", where, f"the anchored row of plan {anchor.plan} now belongs to "
                       f"plan {plan}: rows were moved between plans",
                       f"{shown}: dòng đối chiếu của kế hoạch {anchor.plan} nay thuộc kế hoạch "
                       f"{plan}: dòng đã bị chuyển giữa các kế hoạch")]
    if number != anchor.rows:
        return [Broken("anchor", where, f"plan {anchor.plan} had {anchor.rows} rows up to "
                       f"{anchor.head[:12]}…; the database has {number}: rows were inserted or "
                       "deleted before it", f"{shown}: kế hoạch {anchor.plan} có {anchor.rows} dòng "
                       f"đến dòng {anchor.head[:12]}…; cơ sở dữ liệu có {number}: có dòng đã bị "
                       "chèn thêm hoặc xóa trước nó")]
    return []


def describe(anchor: Anchor) -> str:
    if anchor.source == "temporal":
        return f"Temporal anchor of {anchor.at:%d/%m/%Y %H:%M} UTC ({anchor.reference})"
    return f"{anchor.source} anchor {anchor.reference} ({anchor.at:%d/%m/%Y})"


def describe_in_vietnamese(anchor: Anchor) -> str:
    if anchor.source == "temporal":
        return (f"Mốc đối chiếu lưu trên Temporal lúc {anchor.at:%H:%M} UTC ngày "
                f"{anchor.at:%d/%m/%Y} ({anchor.reference})")
    return f"Mốc đối chiếu trong bản tổng hợp tuần {anchor.reference} ({anchor.at:%d/%m/%Y})"
