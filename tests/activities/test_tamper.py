"""Each way an insider may tamper with the audit log, on SQLite and PostgreSQL: the database
refuses it, and when someone gets past the triggers (the owner of the tables, a copy of the
SQLite file) `verify` fails and names the check, or the anchor, that caught it."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy
from sqlalchemy import Connection, text
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.orm import Session

from storage.archive import ArchivedHistory
from storage.audit import GENESIS, AuditLog, hash_of
from storage.ledger import Ledger
from tests.activities.test_audit import LIFE, event
from workflows.anchors import Anchor

KEY = b"audit-key-held-by-the-office"
ANCHORED = datetime(2025, 4, 30, 17, 0, tzinfo=UTC)


@pytest.fixture
def audit(database_url: str) -> AuditLog:
    """Plan p (two occurrences, 14 rows) and plan q (7 rows), written with the audit key."""
    log = AuditLog(Ledger.connect(database_url).engine, KEY)
    for seq, (type, actor, details) in enumerate(LIFE, start=1):
        log.append(event("p/T1", seq, type, actor, details))
        log.append(event("p/T2", seq, type, actor, details))
        log.append(event("q/T1", seq, type, actor, details))
    return log


@contextmanager
def insider(audit: AuditLog) -> Iterator[Connection]:
    """A connection past the triggers, as the tables' owner (or the SQLite file's) can get."""
    with audit.engine.begin() as db:
        if db.dialect.name == "postgresql":
            db.execute(text("SET LOCAL session_replication_role = replica"))
        else:
            for (name,) in db.execute(text("SELECT name FROM sqlite_master WHERE type = "
                                           "'trigger'")).all():
                db.execute(text(f'DROP TRIGGER "{name}"'))
        yield db


def checks(audit: AuditLog, anchors: list[Anchor] | None = None) -> set[str]:
    verified = audit.verify(anchors=anchors or [])
    for finding in verified.findings:  # the auditor's page shows each in Vietnamese
        assert re.search("[ạảãáàâầấậẩẫăằắặẳẵđêềếệểễôồốộổỗơờớợởỡưừứựửữ]", finding.vietnamese), finding
    return {finding.check for finding in verified.findings}


def rows_of(db: Connection, plan: str) -> list[dict]:
    return [dict(r._mapping) for r in db.execute(
        text("SELECT * FROM audit_events WHERE plan = :p ORDER BY id"), {"p": plan})]


def rechain(db: Connection, plan: str, rows: list[dict], secret: bytes | None) -> None:
    """Recompute every hash of a plan's chain and its heads, as someone who holds `secret`."""
    last: dict[str, str] = {}
    for row in rows:
        occ = f"occ:{row['ref']}"
        row["prev_hash"], row["plan_prev_hash"] = last.get(occ, GENESIS), last.get("plan", GENESIS)
        row["keyed"] = secret is not None
        row["hash"] = hash_of(RowView(row), secret)  # type: ignore[arg-type]
        db.execute(text("UPDATE audit_events SET actor = :actor, prev_hash = :prev_hash, "
                        "plan_prev_hash = :plan_prev_hash, hash = :hash, keyed = :keyed "
                        "WHERE id = :id"), row)
        last[occ] = last["plan"] = row["hash"]
    for chain, head in last.items():
        db.execute(text("UPDATE audit_heads SET last_hash = :h WHERE chain = :c"),
                   {"h": head, "c": f"plan:{plan}" if chain == "plan" else chain})


class RowView:
    """A row dict seen as the model `hash_of` reads (SQLite gives the instant back as text)."""

    def __init__(self, row: dict) -> None:
        self.__dict__.update(row)
        if isinstance(self.at, str):
            self.at = datetime.fromisoformat(self.at)


def test_an_intact_log_verifies_against_its_anchors(audit):
    verified = audit.verify(anchors=audit.heads(ANCHORED))
    assert verified.findings == [] and verified.rows == 21 and verified.anchors == 2


@contextmanager
def worker_writes_before(audit: AuditLog, statement: str) -> Iterator[None]:
    """A worker commits one more row of p/T1 just before the first query naming `statement`
    runs: the moment a check that reads its tables one query at a time sees half of it."""
    written: list[bool] = []

    def before(conn, cursor, sql: str, *_: object) -> None:
        if statement in sql and not written:
            written.append(True)
            AuditLog(Ledger.connect(audit.engine.url.render_as_string(False)).engine,
                     KEY).append(event("p/T1", len(LIFE) + 1, "notice.sent", None, {}))

    sqlalchemy.event.listen(audit.engine, "before_cursor_execute", before)
    try:
        yield
    finally:
        sqlalchemy.event.remove(audit.engine, "before_cursor_execute", before)
    assert written, f"no query named {statement}"


def test_rows_a_worker_writes_meanwhile_are_no_finding(audit):
    with worker_writes_before(audit, "audit_heads"):
        verified = audit.verify()
    assert verified.findings == [] and verified.rows == 21  # as of its start
    assert audit.verify().rows == 22


def test_an_anchor_taken_while_a_worker_writes_is_one_consistent_point(audit):
    with worker_writes_before(audit, "max(audit_events.id)"):
        anchors = audit.heads(ANCHORED)
    assert {(a.plan, a.rows) for a in anchors} == {("p", 14), ("q", 7)}
    assert audit.verify(anchors=anchors).findings == []


def archive(audit: AuditLog, *, logged: bool = True) -> None:
    """Archive a history as the hourly activity does (its SHA-256 into the log too), or as
    it was done before archives were logged."""
    history = '{"events": []}'
    with Session(audit.engine) as session:
        archived = ArchivedHistory(
            run_id="r1", workflow_id="p/T1", workflow_type="OccurrenceWorkflow",
            closed_at=ANCHORED, history=history,
            sha256=hashlib.sha256(history.encode()).hexdigest())
        session.add(archived)
        session.flush()
        if logged:
            audit.log_archived(session, archived)
        session.commit()


def test_the_database_refuses_to_edit_or_delete_audit_rows(audit):
    archive(audit)
    audit.record_anchor(audit.heads(ANCHORED, "digest", "digest/p/2025-W18")[0])
    for statement in ("UPDATE audit_events SET actor = 'VP'", "DELETE FROM audit_events",
                      "DELETE FROM audit_heads", "UPDATE audit_heads SET last_hash = 'x'",
                      "UPDATE archived_histories SET history = '{}'",
                      "DELETE FROM archived_histories", "DELETE FROM audit_anchors"):
        with pytest.raises((DBAPIError, IntegrityError)) as refused, audit.engine.begin() as db:
            db.execute(text(statement))
            db.execute(text("SELECT 1 FROM audit_events WHERE 1 = 0"))
        assert "append-only audit table" in str(refused.value), statement
    if audit.engine.dialect.name == "postgresql":
        with pytest.raises(DBAPIError, match="append-only"), audit.engine.begin() as db:
            db.execute(text("TRUNCATE audit_events CASCADE"))
    assert len(audit.events()) == 22 and audit.verify().findings == []


def test_edit(audit):
    with insider(audit) as db:
        db.execute(text("UPDATE audit_events SET actor = 'VP' WHERE id = :id"),
                   {"id": rows_of(db, "p")[-1]["id"]})
    assert "row-hash" in checks(audit)


def test_delete_a_row(audit):
    with insider(audit) as db:
        db.execute(text("DELETE FROM audit_events WHERE id = :id"),
                   {"id": rows_of(db, "p")[5]["id"]})
    assert {"occurrence-chain", "plan-chain"} <= checks(audit)


def test_reorder(audit):
    with insider(audit) as db:
        first, second = rows_of(db, "q")[2:4]
        db.execute(text("UPDATE audit_events SET id = -1 WHERE id = :id"), {"id": first["id"]})
        db.execute(text("UPDATE audit_events SET id = :a WHERE id = :b"),
                   {"a": first["id"], "b": second["id"]})
        db.execute(text("UPDATE audit_events SET id = :b WHERE id = -1"), {"b": second["id"]})
    assert "plan-chain" in checks(audit)


def test_insert_a_forged_row(audit):
    with insider(audit) as db:
        last = rows_of(db, "q")[-1]
        forged = {**last, "id": None, "key": "q/T1#99", "type": "completed", "actor": "HL",
                  "prev_hash": last["hash"], "plan_prev_hash": last["hash"]}
        forged["hash"] = hash_of(RowView(forged), b"a guessed key")  # type: ignore[arg-type]
        db.execute(text("INSERT INTO audit_events (key, plan, ref, type, at, actor, details, "
                        "prev_hash, plan_prev_hash, hash, keyed) VALUES (:key, :plan, :ref, "
                        ":type, :at, :actor, :details, :prev_hash, :plan_prev_hash, :hash, "
                        ":keyed)"), forged)
        db.execute(text("UPDATE audit_heads SET last_hash = :h WHERE chain IN ('plan:q', "
                        "'occ:q/T1')"), {"h": forged["hash"]})
    assert checks(audit) == {"row-hash"}


def test_tail_truncation_contradicts_the_anchor(audit):
    anchors = audit.heads(ANCHORED)
    with insider(audit) as db:
        rows = rows_of(db, "q")
        db.execute(text("DELETE FROM audit_events WHERE plan = 'q' AND id >= :id"),
                   {"id": rows[-2]["id"]})
        db.execute(text("UPDATE audit_heads SET last_hash = :h WHERE chain IN ('plan:q', "
                        "'occ:q/T1')"), {"h": rows[-3]["hash"]})
    assert checks(audit) == set()  # the chains and heads agree with each other...
    findings = audit.verify(anchors=anchors).findings
    assert [(f.check, f.where.split(" (")[0]) for f in findings] == [
        ("anchor", "Temporal anchor of 30/04/2025 17:00 UTC")]  # ...not with the anchor
    assert "plan q had 7 rows" in findings[0].reason and "has 5 rows" in findings[0].reason


def test_tail_truncation_without_moving_the_head(audit):
    with insider(audit) as db:
        db.execute(text("DELETE FROM audit_events WHERE id = :id"),
                   {"id": rows_of(db, "q")[-1]["id"]})
    assert checks(audit) == {"head"}


def test_whole_chain_rewritten_with_the_stolen_key(audit):
    anchors = audit.heads(ANCHORED)
    with insider(audit) as db:
        rows = rows_of(db, "p")
        rows[0]["actor"] = "someone else"
        rechain(db, "p", rows, KEY)
    assert checks(audit) == set()
    assert checks(audit, anchors) == {"anchor"}


def test_whole_chain_rewritten_without_the_key(audit):
    anchors = audit.heads(ANCHORED)
    with insider(audit) as db:
        rows = rows_of(db, "q")
        rows[3]["actor"] = "someone else"
        rechain(db, "q", rows, None)  # plain SHA-256, as before the audit key
    assert checks(audit, anchors) == {"anchor"}


def test_deleting_audit_heads(audit):
    with insider(audit) as db:
        db.execute(text("DELETE FROM audit_heads"))
    assert checks(audit) == {"head"}


def test_deleting_every_row_of_a_plan(audit):
    anchors = audit.heads(ANCHORED)
    with insider(audit) as db:
        db.execute(text("DELETE FROM audit_events WHERE plan = 'q'"))
    assert checks(audit) == {"head"}  # its heads name rows that are gone
    with insider(audit) as db:
        db.execute(text("DELETE FROM audit_heads WHERE chain LIKE '%q%'"))
    assert checks(audit) == set()
    (finding,) = audit.verify(anchors=anchors).findings
    assert finding.check == "anchor" and "no such row" in finding.reason


def test_rows_moved_between_plans(audit):
    with insider(audit) as db:
        db.execute(text("UPDATE audit_events SET plan = 'q' WHERE ref = 'p/T2'"))
    assert {"row-hash", "plan-chain"} <= checks(audit)


def test_edited_archived_history(audit):
    archive(audit, logged=False)
    assert checks(audit) == set() and audit.verify().unlogged_archives == 1
    with insider(audit) as db:
        db.execute(text("UPDATE archived_histories SET history = '{\"events\": [1]}'"))
    assert checks(audit) == {"archive"}


def test_archived_history_replaced_with_its_hash(audit):
    archive(audit)
    assert checks(audit) == set() and audit.verify().unlogged_archives == 0
    forged = '{"events": [1]}'
    with insider(audit) as db:
        db.execute(text("UPDATE archived_histories SET history = :h, sha256 = :s"),
                   {"h": forged, "s": hashlib.sha256(forged.encode()).hexdigest()})
    (finding,) = audit.verify().findings
    assert finding.check == "archive" and "recorded when it was archived" in finding.reason


def test_archived_history_deleted(audit):
    archive(audit)
    with insider(audit) as db:
        db.execute(text("DELETE FROM archived_histories"))
    (finding,) = audit.verify().findings
    assert finding.check == "archive" and "it is gone" in finding.reason


def test_a_digest_anchor_is_named(audit):
    anchor = audit.heads(ANCHORED)[0].model_copy(update={
        "source": "digest", "reference": "digest/p/2025-W18/steering_committee/bcd"})
    audit.record_anchor(anchor)
    with insider(audit) as db:
        rows = rows_of(db, "p")
        rows[1]["actor"] = "x"
        rechain(db, "p", rows, KEY)
    (finding,) = audit.verify(anchors=audit.recorded_anchors()).findings
    assert finding.check == "anchor"
    assert finding.where == "digest anchor digest/p/2025-W18/steering_committee/bcd (30/04/2025)"


def test_retention_is_the_one_removal_and_keeps_everything_verifiable(audit):
    anchors = audit.heads(ANCHORED)
    removed = audit.retain(datetime(2025, 3, 24, tzinfo=UTC), by="gd",
                           now=datetime(2035, 5, 1, tzinfo=UTC))
    assert removed == 9  # the first three rows of each occurrence: before 24/03/2025
    (retention,) = audit.events(plan="_audit")
    assert retention.type == "audit.retained" and retention.actor == "gd"
    audit.append(event("p/T1", 8, "closed", None, {}))  # the chains go on
    verified = audit.verify(anchors=anchors + audit.heads(ANCHORED + timedelta(days=1)))
    assert verified.findings == [] and verified.rows == 21 - 9 + 2
    with pytest.raises((DBAPIError, IntegrityError)), audit.engine.begin() as db:
        db.execute(text("DELETE FROM audit_events WHERE plan = 'q'"))  # younger rows stay


def test_a_retention_the_log_does_not_record(audit):
    with insider(audit) as db:
        db.execute(text("INSERT INTO audit_retentions (before, at, by, event_key) VALUES "
                        "(:b, :b, 'x', 'nowhere')"), {"b": datetime(2030, 1, 1, tzinfo=UTC)})
    assert "retention" in checks(audit)
