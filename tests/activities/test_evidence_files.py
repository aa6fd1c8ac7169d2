"""Evidence files: accepted by content, kept by SHA-256, and a swapped file is found."""

from __future__ import annotations

import zipfile
from datetime import UTC, datetime
from pathlib import Path

import pytest

from dondoc.services.evidence import check_files, discard, evidence_dir, path_of, store
from dondoc.settings import Settings
from plans.evidence import BadEvidence
from storage.audit import AuditLog
from storage.ledger import Ledger
from workflows.messages import OccurrenceEvent


def office_file(path: Path, part: str) -> Path:
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr(part, "<x/>")
    return path


@pytest.fixture
def config(tmp_path: Path) -> Settings:
    return Settings(state_dir=tmp_path / "state", evidence_max_bytes=10_000)


def test_pdf_docx_xlsx_and_images_are_kept_by_their_hash(tmp_path: Path, config: Settings):
    pdf = tmp_path / "bao-cao.pdf"
    pdf.write_bytes(b"%PDF-1.7\n" + "Báo cáo số 12/BC-UBND".encode() + b"\n%%EOF")
    kinds = {
        "pdf": pdf,
        "docx": office_file(tmp_path / "bao-cao.docx", "word/document.xml"),
        "xlsx": office_file(tmp_path / "so-lieu.xlsx", "xl/workbook.xml"),
        "png": tmp_path / "anh.png", "jpeg": tmp_path / "anh.jpg",
    }
    kinds["png"].write_bytes(b"\x89PNG\r\n\x1a\n" + b"0" * 20)
    kinds["jpeg"].write_bytes(b"\xff\xd8\xff\xe0" + b"0" * 20)
    for kind, path in kinds.items():
        kept = store(path, config)
        assert (kept.kind, kept.created) == (kind, True)
        assert path_of(evidence_dir(config), kept.sha256).read_bytes() == path.read_bytes()
    assert not store(pdf, config).created  # the same content is the same file


@pytest.mark.parametrize(("content", "code"), [
    (b"MZ\x90\x00 a program", "FileType"),
    ("chỉ là chữ".encode(), "FileType"),
    (b"PK\x03\x04 not really a zip", "FileType"),
    (b"%PDF-1.7" + b"0" * 20_000, "FileTooLarge"),
])
def test_other_files_are_refused_and_not_kept(tmp_path: Path, config: Settings, content: bytes,
                                               code: str):
    path = tmp_path / "bao-cao.pdf"  # the name does not decide
    path.write_bytes(content)
    with pytest.raises(BadEvidence) as refused:
        store(path, config)
    assert refused.value.code == code
    assert not evidence_dir(config).exists() or not any(evidence_dir(config).rglob("*"))


def test_a_refused_operation_leaves_no_file(tmp_path: Path, config: Settings):
    pdf = tmp_path / "bao-cao.pdf"
    pdf.write_bytes(b"%PDF-1.7 refused")
    kept = store(pdf, config)
    discard(kept, config)
    assert not path_of(evidence_dir(config), kept.sha256).exists()


def test_verify_finds_a_swapped_or_missing_file(tmp_path: Path, config: Settings,
                                                database_url: str):
    audit = AuditLog(Ledger.connect(database_url).engine)
    pdf = tmp_path / "bao-cao.pdf"
    pdf.write_bytes(b"%PDF-1.7 the real report")
    kept = store(pdf, config)
    audit.append(OccurrenceEvent(
        key="p/T1#1", ref="p/T1", plan="p", type="completed", at=datetime(2025, 6, 1, tzinfo=UTC),
        actor="HL", details={"evidence": {"number": "12/BC-UBND", "date": "2025-06-01",
                                          "file_sha256": kept.sha256}}))
    folder = evidence_dir(config)
    assert check_files(folder, audit.events(plan="p")) == []
    stored = path_of(folder, kept.sha256)
    stored.chmod(0o644)
    stored.write_bytes(b"%PDF-1.7 a different report")
    assert check_files(folder, audit.events(plan="p")) == [
        f"p/T1: evidence file {kept.sha256[:12]}… was changed (its content no longer has the "
        "hash the log recorded)"]
    stored.unlink()
    assert "is missing" in check_files(folder, audit.events(plan="p"))[0]
