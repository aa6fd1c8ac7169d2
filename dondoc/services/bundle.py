"""The auditor's bundle: one plan's audit rows and chain heads, the log's own retention rows,
the recorded anchors, the archived histories and the evidence files, copied into a folder of
read-only files with a manifest of their SHA-256. `audit verify --bundle` checks it with
neither dondoc's database nor Temporal: what an inspector is handed instead of a database."""

from __future__ import annotations

import hashlib
import json
import shutil
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, insert, or_, select
from sqlalchemy.engine import Engine

from dondoc.db import upgrade
from dondoc.services.evidence import check_files, path_of, referenced
from storage.archive import ArchivedHistory
from storage.audit import (
    SYSTEM_PLAN,
    AuditAnchor,
    AuditEvent,
    AuditHead,
    AuditLog,
    AuditRetained,
    AuditRetention,
)

DATABASE = "audit.sqlite"
MANIFEST = "MANIFEST.json"


class BundleError(Exception):
    """A bundle that cannot be written or read: one line."""


@dataclass(frozen=True)
class Bundle:
    folder: Path
    rows: int
    histories: int
    files: int


def export_bundle(engine: Engine, plan: str, folder: Path, evidence_folder: Path, *,
                  now: datetime) -> Bundle:
    if folder.exists():
        raise BundleError(f"{folder} already exists: a bundle goes to a new folder")
    with engine.connect() as source:
        # The heads first, in one statement (each append moves its two heads in its own
        # transaction): the rows copied are those up to them, while workers keep appending.
        heads = [dict(r._mapping) for r in source.execute(select(AuditHead.__table__).where(
            or_(AuditHead.chain.in_([f"plan:{plan}", f"occ:{plan}"]),
                AuditHead.chain.startswith(f"occ:{plan}/"),
                AuditHead.chain.endswith(f":{SYSTEM_PLAN}"))))]
        events = [dict(r._mapping) for r in source.execute(select(AuditEvent.__table__).where(
            AuditEvent.plan.in_([plan, SYSTEM_PLAN])).order_by(AuditEvent.id))]
        events = _up_to_heads(events, {h["chain"]: h["last_hash"] for h in heads})
        if not any(e["plan"] == plan for e in events):
            raise BundleError(f"no audit rows for plan {plan!r}")
        hashes = {e["hash"] for e in events}
        tables: list[tuple[Any, list[dict[str, Any]]]] = [
            (AuditEvent.__table__, events), (AuditHead.__table__, heads)]
        for table, where in (
            (AuditRetention.__table__, None),
            (AuditRetained.__table__, None),
            (AuditAnchor.__table__, AuditAnchor.plan == plan),
            (ArchivedHistory.__table__, or_(ArchivedHistory.workflow_id.startswith(f"{plan}/"),
                                            ArchivedHistory.workflow_id == f"plan:{plan}")),
        ):
            query = select(table) if where is None else select(table).where(where)
            rows = [dict(r._mapping) for r in source.execute(query)]
            if table is AuditAnchor.__table__:  # anchors of rows not copied are later ones
                rows = [a for a in rows if a["head"] in hashes or a["rows"] == 0]
            tables.append((table, rows))
    folder.mkdir(parents=True)
    target = create_engine(f"sqlite:///{folder / DATABASE}")
    upgrade(str(target.url))
    with target.begin() as copy:
        for table, rows in tables:
            if rows:
                copy.execute(insert(table), rows)
    target.dispose()
    files = 0
    for sha in referenced(AuditLog(engine).events(plan=plan)):
        kept = path_of(evidence_folder, sha)
        if kept.exists():
            (folder / "evidence" / sha[:2]).mkdir(parents=True, exist_ok=True)
            shutil.copyfile(kept, path_of(folder / "evidence", sha))
            files += 1
    histories = len(tables[-1][1])
    manifest = {"plan": plan, "created_at": now.isoformat(), "rows": len(events),
                "files": {str(p.relative_to(folder)): _sha256(p)
                          for p in sorted(folder.rglob("*")) if p.is_file()}}
    (folder / MANIFEST).write_text(json.dumps(manifest, ensure_ascii=False, indent=2), "utf-8")
    for path in folder.rglob("*"):
        path.chmod(0o444 if path.is_file() else 0o555)
    folder.chmod(0o555)
    return Bundle(folder, len(events), histories, files)


def verify_bundle(folder: Path) -> tuple[str, int, list[str]]:
    """(the plan, its rows, the findings): the manifest's hashes, then every check of
    `audit verify` on the bundle's copy of the log, and the evidence files it names."""
    try:
        manifest = json.loads((folder / MANIFEST).read_text("utf-8"))
        plan, listed = manifest["plan"], manifest["files"]
    except (OSError, ValueError, KeyError) as error:
        raise BundleError(f"{folder}: not a dondoc audit bundle ({error})") from None
    findings = []
    present = {str(p.relative_to(folder)) for p in folder.rglob("*")
               if p.is_file() and p.name != MANIFEST}
    for name in sorted(present - set(listed)):
        findings.append(f"[bundle] {name}: not in the manifest (added after the export)")
    for name, sha in sorted(listed.items()):
        path = folder / name
        if not path.exists():
            findings.append(f"[bundle] {name}: listed in the manifest but missing")
        elif _sha256(path) != sha:
            findings.append(f"[bundle] {name}: changed since the export (its SHA-256 differs)")
    if not (folder / DATABASE).exists():
        return plan, 0, findings
    engine = create_engine(f"sqlite:///file:{(folder / DATABASE).resolve()}?mode=ro&uri=true")
    audit = AuditLog(engine)
    verified = audit.verify(plan, audit.recorded_anchors())
    findings += [str(f) for f in verified.findings]
    findings += [f"[evidence] {line}" for line in
                 check_files(folder / "evidence", audit.events(plan=plan))]
    engine.dispose()
    return plan, verified.rows, findings


def _up_to_heads(events: list[dict[str, Any]], heads: dict[str, str]) -> list[dict[str, Any]]:
    """Each plan's rows up to the one its head names (a later row was appended after the
    heads were read). A head that names no row is a finding for verify: all is kept."""
    kept = []
    for name in {str(e["plan"]) for e in events}:
        rows = [e for e in events if e["plan"] == name]
        ids = [e["id"] for e in rows if e["hash"] == heads.get(f"plan:{name}")]
        kept += [e for e in rows if not ids or e["id"] <= ids[0]]
    return sorted(kept, key=lambda e: int(e["id"]))


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()
