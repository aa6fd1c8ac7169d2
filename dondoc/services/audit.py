"""Exporting audit rows: CSV in UTF-8 with a BOM (Excel opens Vietnamese correctly), or JSON."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence

from storage.audit import AuditEvent, utc

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
