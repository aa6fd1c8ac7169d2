"""Evidence files: checked (type by content, size from settings), kept content-addressed by
their SHA-256, which the completion's audit row carries; `audit verify` finds a file that was
swapped or removed."""

from __future__ import annotations

import hashlib
import json
import shutil
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from dondoc.settings import Settings
from plans.evidence import FILE_KINDS, BadEvidence
from storage.audit import AuditEvent


@dataclass(frozen=True)
class EvidenceFile:
    sha256: str
    name: str
    size: int
    kind: str
    created: bool  # stored by this call (removed again if the operation is refused)


def evidence_dir(config: Settings) -> Path:
    return config.evidence_dir or config.state_dir / "evidence"


def path_of(folder: Path, sha256: str) -> Path:
    return folder / sha256[:2] / sha256


def sniff(path: Path) -> str | None:
    """The file's kind by its content, not its name: pdf, docx, xlsx, png, jpeg, or None."""
    with path.open("rb") as handle:
        head = handle.read(8)
    if head.startswith(b"%PDF-"):
        return "pdf"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if head.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if head.startswith(b"PK\x03\x04"):
        try:
            with zipfile.ZipFile(path) as archive:
                names = set(archive.namelist())
        except zipfile.BadZipFile:
            return None
        if "[Content_Types].xml" in names:
            if "word/document.xml" in names:
                return "docx"
            if "xl/workbook.xml" in names:
                return "xlsx"
    return None


def store(path: Path, config: Settings) -> EvidenceFile:
    """Check the file and keep it under its SHA-256 (a second copy of it is the same file)."""
    if not path.is_file():
        raise BadEvidence(f"{path}: không có tệp này", "NoFile")
    size = path.stat().st_size
    if size > config.evidence_max_bytes:
        raise BadEvidence(f"{path.name}: {size / 1e6:.1f} MB, quá giới hạn "
                          f"{config.evidence_max_bytes / 1e6:.0f} MB (DONDOC_EVIDENCE_MAX_BYTES)",
                          "FileTooLarge")
    kind = sniff(path)
    if kind is None:
        raise BadEvidence(f"{path.name}: chỉ nhận {', '.join(FILE_KINDS.values())}",
                          "FileType")
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    sha = digest.hexdigest()
    target = path_of(evidence_dir(config), sha)
    created = not target.exists()
    if created:
        target.parent.mkdir(parents=True, exist_ok=True)
        temporary = target.with_suffix(".tmp")
        shutil.copyfile(path, temporary)
        temporary.chmod(0o444)
        temporary.replace(target)
    return EvidenceFile(sha, path.name, size, kind, created)


def discard(file: EvidenceFile, config: Settings) -> None:
    """The operation was refused: a file this call stored is not kept."""
    if file.created:
        path_of(evidence_dir(config), file.sha256).unlink(missing_ok=True)


def referenced(rows: Iterable[AuditEvent]) -> dict[str, str]:
    """sha256 -> the reference of the occurrence whose completion names it."""
    found: dict[str, str] = {}
    for row in rows:
        if row.type == "completed":
            sha = (json.loads(row.details).get("evidence") or {}).get("file_sha256")
            if sha:
                found[sha] = row.ref
    return found


def check_files(folder: Path, rows: Iterable[AuditEvent]) -> list[str]:
    """Each evidence file the log names is there and still has its hash."""
    findings = []
    for sha, ref in sorted(referenced(rows).items()):
        path = path_of(folder, sha)
        if not path.exists():
            findings.append(f"{ref}: evidence file {sha[:12]}… is missing from {folder}")
            continue
        if hashlib.sha256(path.read_bytes()).hexdigest() != sha:
            findings.append(f"{ref}: evidence file {sha[:12]}… was changed (its content no "
                            "longer has the hash the log recorded)")
    return findings
