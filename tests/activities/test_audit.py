"""The audit log on SQLite and PostgreSQL: append-only, idempotent, hash-chained."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime, timedelta

from dondoc.services.audit import export
from dondoc.services.read import history
from plans.access import Grant, Principal
from storage.audit import AuditLog
from storage.ledger import Ledger
from workflows.messages import OccurrenceEvent

T0 = datetime(2025, 3, 20, 1, 0, tzinfo=UTC)
LIFE = [  # a full occurrence life cycle, as the workflow records it
    ("started", None, {"due": "2025-03-31T23:59:59+07:00"}),
    ("reminder.sent", None, {"step": "reminder-7wd", "recipients": [
        {"role": "lead", "id": "HL", "channel": "email", "outcome": "sent", "address": "g***@x"}]}),
    ("extension.requested", "HL", {"until": "2025-04-15", "reason": "Chờ số liệu"}),
    ("extension.approved", "pgd", {"until": "2025-04-15", "original_due": "2025-03-31"}),
    ("overdue", None, {"due": "2025-04-15T23:59:59+07:00"}),
    ("escalated", None, {"step": "escalation-1", "level": 1, "recipients": [
        {"role": "leader", "id": "pgd", "channel": "zalo", "outcome": "sent", "address": "84****"}]}),
    ("completed", "HL", {"evidence": {"number": "12/BC-TTYT", "date": "2025-04-18"},
                         "on_time_original": False, "on_time_extended": False}),
]


def event(ref: str, seq: int, type: str, actor: str | None, details: dict) -> OccurrenceEvent:
    return OccurrenceEvent(key=f"{ref}#{seq}", ref=ref, plan=ref.split("/")[0], type=type,
                           at=T0 + timedelta(days=seq), actor=actor, details=details)


def record_life(audit: AuditLog, ref: str = "p/T1/HL@2025-Q1") -> None:
    for seq, (type, actor, details) in enumerate(LIFE, start=1):
        audit.append(event(ref, seq, type, actor, details))


def test_a_life_cycle_is_logged_once_even_when_writes_are_retried(database_url):
    audit = AuditLog(Ledger.connect(database_url).engine)
    record_life(audit)
    record_life(audit)  # every activity retried: the same keys
    rows = audit.events(ref="p/T1/HL@2025-Q1")
    assert [r.type for r in rows] == [t for t, _, _ in LIFE]
    assert audit.verify().findings == []
    assert rows[0].prev_hash == "0" * 64 and rows[1].prev_hash == rows[0].hash


def test_two_occurrences_of_a_plan_chain_together_and_apart(database_url):
    audit = AuditLog(Ledger.connect(database_url).engine)
    for seq, (type, actor, details) in enumerate(LIFE[:3], start=1):
        audit.append(event("p/T1", seq, type, actor, details))
        audit.append(event("p/T2", seq, type, actor, details))
    t1, t2 = audit.events(ref="p/T1"), audit.events(ref="p/T2")
    assert t2[0].prev_hash == "0" * 64 and t2[0].plan_prev_hash == t1[0].hash
    assert audit.verify("p").findings == []


def test_csv_export_opens_back_with_its_vietnamese(database_url):
    audit = AuditLog(Ledger.connect(database_url).engine)
    record_life(audit)
    data = export(audit.events(plan="p"), "csv")
    assert data.startswith(b"\xef\xbb\xbf")  # the BOM Excel needs
    rows = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))
    assert [r["type"] for r in rows] == [t for t, _, _ in LIFE]
    assert json.loads(rows[2]["details"])["reason"] == "Chờ số liệu"
    assert rows[6]["actor"] == "HL" and rows[6]["hash"] == audit.events(plan="p")[6].hash
    assert json.loads(export(audit.events(plan="p"), "json"))[3]["actor"] == "pgd"


async def test_history_comes_from_the_log_without_temporal(database_url):
    ledger = Ledger.connect(database_url)
    audit = AuditLog(ledger.engine)
    record_life(audit)
    office = Principal(account="vp", name="VP", grants=(Grant(role="office", plan="p"),))
    rows = await history(None, "p/T1/HL@2025-Q1", office, ledger, audit)  # no Temporal at all
    assert [r["type"] for r in rows] == [t for t, _, _ in LIFE]
    assert rows[1]["recipient"] == "HL" and rows[5]["channel"] == "zalo"
    assert rows[-1]["evidence"]["number"] == "12/BC-TTYT"
