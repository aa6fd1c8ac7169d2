"""A completion's evidence from what a person gives (a document number and date, perhaps the
document itself): checked by plans/evidence.py, the file kept by its hash, and let go again if
the workflow refuses the completion. For a front door that receives the file's bytes."""

from __future__ import annotations

import tempfile
from datetime import date
from pathlib import Path

from dondoc.services import evidence as evidence_files
from dondoc.services.evidence import EvidenceFile
from dondoc.settings import Settings
from plans.evidence import BadEvidence, check_evidence
from workflows.messages import Evidence


def evidence(config: Settings, *, number: str, day: date, today: date, note: str | None,
             file_name: str | None = None, content: bytes | None = None
             ) -> tuple[Evidence, EvidenceFile | None]:
    """The evidence to send, and the file it keeps (to let go with `release` if the completion
    is refused); BadEvidence, with nothing kept, when it does not hold."""
    attached = None
    try:
        if content and file_name:
            with tempfile.TemporaryDirectory() as folder:
                path = Path(folder) / Path(file_name).name
                path.write_bytes(content)
                attached = evidence_files.store(path, config)
        check_evidence(number, day, has_file=attached is not None, not_before=None, today=today)
    except BadEvidence:
        release(attached, config)
        raise
    return Evidence(number=number, date=day, note=note, **({
        "file_sha256": attached.sha256, "file_name": attached.name, "file_size": attached.size,
        "file_kind": attached.kind} if attached else {})), attached


def release(attached: EvidenceFile | None, config: Settings) -> None:
    """The completion did not happen: a file stored for it alone is not kept."""
    if attached is not None:
        evidence_files.discard(attached, config)
