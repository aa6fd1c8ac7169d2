"""Exporting audit rows: CSV in UTF-8 with a BOM (Excel opens Vietnamese correctly), or JSON;
and gathering the anchors `audit verify` checks the database against: those kept in Temporal,
the digests dondoc recorded sending, and digest e-mails a Steering Committee kept (.eml)."""

from __future__ import annotations

import csv
import email
import io
import json
from collections.abc import Sequence
from dataclasses import dataclass
from email import policy
from email.message import EmailMessage
from pathlib import Path

from dondoc.settings import Settings
from dondoc.temporal import Unreachable, connect
from storage.anchors import temporal_anchors
from storage.audit import AuditEvent, AuditLog, utc
from workflows.anchors import Anchor, anchors_in

COLUMNS = ["id", "at", "plan", "ref", "type", "actor", "details", "prev_hash", "plan_prev_hash",
           "hash"]


def as_dict(row: AuditEvent) -> dict[str, object]:
    return {"id": row.id, "at": utc(row.at).isoformat(), "plan": row.plan, "ref": row.ref,
            "type": row.type, "actor": row.actor, "details": json.loads(row.details),
            "prev_hash": row.prev_hash, "plan_prev_hash": row.plan_prev_hash, "hash": row.hash}


def export(rows: Sequence[AuditEvent], format: str) -> bytes:
    records = [as_dict(r) for r in rows]
    if format == "json":
        return (json.dumps(records, ensure_ascii=False, indent=2) + "\n").encode()
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=COLUMNS, lineterminator="\r\n")
    writer.writeheader()
    for record in records:
        writer.writerow(record | {"details": json.dumps(record["details"], ensure_ascii=False,
                                                       sort_keys=True)})
    return buffer.getvalue().encode("utf-8-sig")


@dataclass(frozen=True)
class Note:
    """Something `verify` could not check: in English for the command, in Vietnamese for
    the auditor's page."""

    english: str
    vietnamese: str

    def __str__(self) -> str:
        return self.english


async def gather_anchors(config: Settings, audit: AuditLog, digests: list[Path], *,
                         temporal: bool) -> tuple[list[Anchor], list[Note]]:
    """(the anchors, notes on those that could not be read). ValueError: a digest file that
    carries no anchor."""
    anchors, notes = audit.recorded_anchors(), list[Note]()
    for path in digests:
        found = anchors_in(digest_text(path), str(path))
        if not found:
            raise ValueError(f"{path}: no dondoc-anchor line (only the Steering Committee's "
                             "weekly digest carries one)")
        anchors += found
    if temporal:
        try:
            kept = await temporal_anchors(await connect(config))
        except Unreachable as error:
            notes.append(Note(f"Temporal anchors not checked: {error}",
                              "Chưa đối chiếu được các mốc lưu trên Temporal: không kết nối "
                              "được máy chủ Temporal."))
        else:
            anchors += kept
            if not kept:
                notes.append(Note("Temporal holds no anchors yet (the daily schedule or "
                                  "`dondoc audit anchor` records them)",
                                  "Temporal chưa lưu mốc đối chiếu nào (lịch hằng ngày hoặc "
                                  "lệnh dondoc audit anchor ghi các mốc này)."))
    return anchors, notes


def digest_text(path: Path) -> str:
    """The text of a saved e-mail (every text part, transfer encodings undone), or the file
    as it is when it is not one."""
    raw = path.read_bytes()
    message = email.message_from_bytes(raw, policy=policy.default)
    if not isinstance(message, EmailMessage) or not message.get("Subject"):
        return raw.decode("utf-8", "replace")
    parts = [part.get_content() for part in message.walk()
             if part.get_content_maintype() == "text"]
    return "\n".join(p for p in parts if isinstance(p, str))
