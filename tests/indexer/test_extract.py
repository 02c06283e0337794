"""Resume text extraction on real files: text PDFs, image-only, encrypted, broken, plain text."""
from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from factories import attach_file, make_candidate
from sqlalchemy import func, select

from rediscover.core.enums import ExtractionStatus
from rediscover.core.models import ExtractedText, FileBlob
from rediscover.indexer.extract import extract_pending, extract_text

RESUMES = Path(__file__).parents[1] / "data" / "resumes"
EXPECTED: dict[str, list[str]] = json.loads((RESUMES / "expected.json").read_text())


def _read(name: str) -> bytes:
    return (RESUMES / name).read_bytes()


@pytest.mark.parametrize("name", sorted(k for k, phrases in EXPECTED.items() if phrases))
def test_text_pdfs_yield_their_phrases(name):
    result = extract_text(_read(name), name, "application/pdf")
    assert result.status == ExtractionStatus.OK
    flat = re.sub(r"\s+", " ", result.text)  # the matching rule of tests/data/SOURCES.md
    missing = [p for p in EXPECTED[name] if p not in flat]
    assert missing == []
    assert result.pages and result.pages >= 1


def test_image_only_pdf_is_empty_not_an_error():
    result = extract_text(_read("msg_jennifer_image_only.pdf"), "scan.pdf", "application/pdf")
    assert (result.status, result.text) == (ExtractionStatus.EMPTY, "")


def test_encrypted_pdf_is_marked_with_a_reason():
    result = extract_text(_read("ovo_encrypted_resume.pdf"), "locked.pdf", None)
    assert (result.status, result.text) == (ExtractionStatus.ENCRYPTED, "")
    assert result.error


@pytest.mark.parametrize(
    "data",
    [b"%PDF-1.4\n garbage that is not a pdf", b"", None],
    ids=["garbage", "empty", "truncated"],
)
def test_broken_pdfs_never_raise(data):
    if data is None:
        data = _read("sb2nov_sourabh_bajaj.pdf")[:3000]
    result = extract_text(data, "broken.pdf", "application/pdf")
    assert result.status in (
        ExtractionStatus.CORRUPT,
        ExtractionStatus.FAILED,
        ExtractionStatus.EMPTY,
    )
    assert result.text == ""


def test_pdf_is_recognised_by_its_bytes_too():
    result = extract_text(
        _read("deedy_resume_openfont.pdf"), "download", "application/octet-stream"
    )
    assert result.status == ExtractionStatus.OK


@pytest.mark.parametrize(
    "data, filename, ctype, text",
    [
        ("Zoë knows Kafka".encode(), "cv.txt", None, "Zoë knows Kafka"),
        (
            "Zoë knows Kafka".encode("cp1252"),
            "cv",
            "text/plain; charset=windows-1252",
            "Zoë knows Kafka",
        ),
        ("\ufeffﬁne".encode(), "cv.TXT", None, "fine"),  # BOM dropped, ligature folded
    ],
)
def test_plain_text_is_taken_as_is(data, filename, ctype, text):
    result = extract_text(data, filename, ctype)
    assert (result.status, result.text) == (ExtractionStatus.OK, text)


def test_other_types_are_unsupported():
    result = extract_text(b"PK\x03\x04 docx bytes", "cv.docx", "application/vnd.openxmlformats")
    assert result.status == ExtractionStatus.UNSUPPORTED


def test_too_large_files_are_not_parsed():
    result = extract_text(b"x" * 11, "cv.txt", "text/plain", max_bytes=10)
    assert result.status == ExtractionStatus.TOO_LARGE


def test_extract_pending_extracts_once_per_hash_and_drops_the_bytes(db, conn):
    pdf = _read("ovo_david_reyes_word2013.pdf")
    attach_file(make_candidate(conn, "One"), pdf, "a.pdf", "application/pdf")
    attach_file(make_candidate(conn, "Two"), pdf, "b.pdf", None)  # same bytes, same hash
    attach_file(make_candidate(conn, "Three"), _read("ovo_encrypted_resume.pdf"), "c.pdf", None)
    db.commit()
    assert extract_pending(db) == 2
    assert extract_pending(db) == 0
    rows = {r.status: r for r in db.scalars(select(ExtractedText))}
    assert set(rows) == {"ok", "encrypted"}
    assert "California Pizza Kitchen" in rows["ok"].text
    assert db.scalar(select(func.count()).select_from(FileBlob)) == 0
