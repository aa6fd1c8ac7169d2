"""The auditor's bundle: exported read-only, checked on its own, and any change to it found."""

from __future__ import annotations

import hashlib
import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from dondoc.services.bundle import BundleError, export_bundle, verify_bundle
from dondoc.services.evidence import evidence_dir, path_of, store
from dondoc.settings import Settings
from storage.archive import ArchivedHistory
from storage.audit import AuditLog
from storage.ledger import Ledger
from workflows.messages import OccurrenceEvent

NOW = datetime(2025, 7, 1, tzinfo=UTC)


@pytest.fixture
def exported(tmp_path: Path, database_url: str) -> Path:
    config = Settings(state_dir=tmp_path / "state")
    engine = Ledger.connect(database_url).engine
    audit = AuditLog(engine)
    report = tmp_path / "bao-cao.pdf"
    report.write_bytes(b"%PDF-1.7 12/BC-UBND")
    kept = store(report, config)
    for seq, (type, details) in enumerate([
            ("started", {"lead": ["HL"]}),
            ("completed", {"evidence": {"number": "12/BC-UBND", "date": "2025-06-20",
                                        "file_sha256": kept.sha256}})], start=1):
        audit.append(OccurrenceEvent(key=f"p/T1#{seq}", ref="p/T1", plan="p", type=type,
                                     at=datetime(2025, 6, seq, tzinfo=UTC), actor="HL",
                                     details=details))
    audit.append(OccurrenceEvent(key="q/T1#1", ref="q/T1", plan="q", type="started",
                                 at=NOW, details={}))
    with Session(engine) as session:
        history = '{"events": []}'

        session.add(ArchivedHistory(run_id="r1", workflow_id="p/T1", workflow_type="OccurrenceWorkflow",
                                    closed_at=NOW, history=history,
                                    sha256=hashlib.sha256(history.encode()).hexdigest()))
        session.commit()
    folder = tmp_path / "bundle-p"
    made = export_bundle(engine, "p", folder, evidence_dir(config), now=NOW)
    assert (made.rows, made.histories, made.files) == (2, 1, 1)
    return folder


def test_a_bundle_is_read_only_and_verifies_on_its_own(exported: Path):
    files = [p for p in exported.rglob("*") if p.is_file()]
    assert {p.name for p in files} >= {"audit.sqlite", "MANIFEST.json"}
    assert all(p.stat().st_mode & 0o222 == 0 for p in files)
    assert verify_bundle(exported) == ("p", 2, [])
    with sqlite3.connect(exported / "audit.sqlite") as db:  # only the plan asked for
        assert {r[0] for r in db.execute("SELECT plan FROM audit_events")} == {"p"}


def test_a_changed_bundle_is_named(exported: Path):
    database = exported / "audit.sqlite"
    exported.chmod(0o755)
    database.chmod(0o644)
    with sqlite3.connect(database) as db:  # as someone who gets past the triggers would
        db.execute("DROP TRIGGER audit_events_no_update")
        db.execute("UPDATE audit_events SET actor = 'CP' WHERE type = 'completed'")
    (evidence,) = (p for p in (exported / "evidence").rglob("*") if p.is_file())
    evidence.chmod(0o644)
    evidence.write_bytes(b"%PDF-1.7 another report")
    (exported / "extra.txt").write_text("x")
    _, _, findings = verify_bundle(exported)
    text = "\n".join(findings)
    assert "audit.sqlite: changed since the export" in text
    assert "extra.txt: not in the manifest" in text
    assert "[row-hash] row" in text and "[evidence] p/T1: evidence file" in text


def test_bad_bundles_are_one_line(tmp_path: Path, exported: Path, database_url: str):
    engine = Ledger.connect(database_url).engine
    with pytest.raises(BundleError, match="already exists"):
        export_bundle(engine, "p", exported, tmp_path, now=NOW)
    with pytest.raises(BundleError, match="no audit rows for plan 'khac'"):
        export_bundle(engine, "khac", tmp_path / "b2", tmp_path, now=NOW)
    with pytest.raises(BundleError, match="not a dondoc audit bundle"):
        verify_bundle(tmp_path)
    assert path_of(tmp_path, "ab" * 32).name == "ab" * 32
