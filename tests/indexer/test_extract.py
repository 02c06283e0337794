"""Resume text extraction on real files, in worker processes with time and memory limits."""
from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from factories import attach_file, make_candidate
from pdfs import flate_bomb, operator_storm
from sqlalchemy import func, select

from rediscover.core.enums import ExtractionStatus
from rediscover.core.models import ExtractedText, FileBlob
from rediscover.indexer.extract import (
    ExtractorPool,
    Limits,
    extract_pending,
    extract_text,
    file_kind,
    resume_files,
)
from rediscover.indexer.merge import merge_candidates

RESUMES = Path(__file__).parents[1] / "data" / "resumes"
EXPECTED: dict[str, list[str]] = json.loads((RESUMES / "expected.json").read_text())
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def _read(name: str) -> bytes:
    return (RESUMES / name).read_bytes()


def _flat(text: str) -> str:
    return re.sub(r"\s+", " ", text)  # the matching rule of tests/data/SOURCES.md


def test_every_sample_file_is_a_supported_kind():
    files = sorted(p.name for p in RESUMES.iterdir() if p.name != "expected.json")
    assert files == sorted(EXPECTED)
    assert {file_kind(_read(n), n, None) for n in files} == {"pdf", "docx"}


@pytest.mark.parametrize("name", sorted(k for k, phrases in EXPECTED.items() if phrases))
def test_text_files_yield_their_phrases(name):
    result = extract_text(_read(name), name, None)
    assert result.status == ExtractionStatus.OK
    assert [p for p in EXPECTED[name] if p not in _flat(result.text)] == []
    if name.endswith(".pdf"):
        assert result.pages and result.pages >= 1


def test_docx_text_boxes_are_read_once_and_headers_are_read():
    boxes = extract_text(_read("ovo_anna_wintour_textboxes.docx"), "a.docx", None).text
    assert boxes.count("ANNA WINTOUR") == 1  # Choice and Fallback copies: one is read
    header = extract_text(_read("ovo_header_textbox.docx"), "b.docx", None).text
    assert header.splitlines()[0] == "OVO OKPUBULUKU"  # the name lives in the header only


def test_image_only_pdf_is_empty_not_an_error():
    result = extract_text(_read("msg_jennifer_image_only.pdf"), "scan.pdf", "application/pdf")
    assert (result.status, result.text) == (ExtractionStatus.EMPTY, "")
    assert result.error == "no text layer"


def test_encrypted_pdf_is_marked_with_a_reason():
    result = extract_text(_read("ovo_encrypted_resume.pdf"), "locked.pdf", None)
    assert (result.status, result.text) == (ExtractionStatus.ENCRYPTED, "")
    assert result.error


def test_encrypted_docx_is_marked_with_a_reason():
    ole = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504  # how Word stores a locked .docx
    result = extract_text(ole, "locked.docx", DOCX)
    assert result.status == ExtractionStatus.ENCRYPTED and result.error


@pytest.mark.parametrize(
    "data, name",
    [
        (b"%PDF-1.4\n garbage that is not a pdf", "broken.pdf"),
        (b"", "empty.pdf"),
        (None, "truncated.pdf"),
        (b"PK\x03\x04 not really a zip", "broken.docx"),
        (None, "truncated.docx"),
    ],
)
def test_broken_files_never_raise(data, name):
    if data is None:
        source = "sb2nov_sourabh_bajaj.pdf" if name.endswith(".pdf") else "ovo_header_textbox.docx"
        data = _read(source)[:3000]
    result = extract_text(data, name, None)
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
    result = extract_text(b"\x89PNG\r\n", "cv.png", "image/png")
    assert result.status == ExtractionStatus.UNSUPPORTED


def test_too_large_files_are_not_parsed():
    result = extract_text(b"x" * 11, "cv.txt", "text/plain", max_bytes=10)
    assert result.status == ExtractionStatus.TOO_LARGE


# --------------------------------------------------------------------------- worker processes


def test_pool_extracts_every_sample_file_like_the_function():
    jobs = [(n, _read(n), n, None) for n in sorted(EXPECTED)]
    with ExtractorPool(2) as pool:
        got = dict(pool.map(jobs))
    assert set(got) == set(EXPECTED)
    for name, phrases in EXPECTED.items():
        assert [p for p in phrases if p not in _flat(got[name].text)] == [], name
    assert got["msg_jennifer_image_only.pdf"].status == ExtractionStatus.EMPTY
    assert got["ovo_encrypted_resume.pdf"].status == ExtractionStatus.ENCRYPTED


def test_a_pdf_that_parses_forever_costs_the_time_limit_and_no_more():
    jobs = [("storm", operator_storm(), "storm.pdf", None), ("ok", b"Kafka", "a.txt", None)]
    with ExtractorPool(1, Limits(timeout=1.0)) as pool:
        got = dict(pool.map(jobs))
    assert got["storm"].status == ExtractionStatus.TIMEOUT
    assert got["ok"].text == "Kafka"  # the killed worker was replaced


def test_a_decompression_bomb_hits_the_memory_cap_not_the_machine():
    jobs = [("bomb", flate_bomb(), "bomb.pdf", None), ("ok", b"Kafka", "a.txt", None)]
    with ExtractorPool(1, Limits(memory_bytes=256 << 20, timeout=60)) as pool:
        got = dict(pool.map(jobs))
    assert (got["bomb"].status, got["bomb"].error) == (
        ExtractionStatus.FAILED, "memory limit exceeded"
    )
    assert got["ok"].text == "Kafka"


def test_files_over_the_size_limit_never_reach_a_worker():
    with ExtractorPool(1, Limits(max_bytes=10)) as pool:
        got = dict(pool.map([("big", b"x" * 11, "a.txt", None), ("small", b"x", "b.txt", None)]))
    assert got["big"].status == ExtractionStatus.TOO_LARGE
    assert got["small"].status == ExtractionStatus.OK


# --------------------------------------------------------------------------- the store side


def test_extract_pending_extracts_once_per_hash_and_drops_the_bytes(db, conn):
    pdf = _read("ovo_david_reyes_word2013.pdf")
    attach_file(make_candidate(conn, "One"), pdf, "a.pdf", "application/pdf")
    attach_file(make_candidate(conn, "Two"), pdf, "b.pdf", None)  # same bytes, same hash
    attach_file(make_candidate(conn, "Three"), _read("ovo_encrypted_resume.pdf"), "c.pdf", None)
    attach_file(make_candidate(conn, "Four"), _read("ovo_header_textbox.docx"), "d.docx", None)
    db.commit()
    assert extract_pending(db, workers=2) == 3
    assert extract_pending(db) == 0
    rows = {r.status: r for r in db.scalars(select(ExtractedText))}
    assert set(rows) == {"ok", "encrypted"}
    assert db.scalar(select(func.count()).select_from(FileBlob)) == 0


def test_a_resynced_unchanged_file_is_not_extracted_again(db, conn):
    pdf = _read("ovo_david_reyes_word2013.pdf")
    attach_file(make_candidate(conn, "One"), pdf, "a.pdf", None)
    db.commit()
    assert extract_pending(db) == 1
    # The next sync downloads the same bytes again for another record: already extracted.
    attach_file(make_candidate(conn, "Two"), pdf, "again.pdf", None)
    db.commit()
    assert extract_pending(db) == 0
    assert db.scalar(select(func.count()).select_from(ExtractedText)) == 1


def test_resume_files_show_each_files_status_for_the_person_view(db, conn):
    person = make_candidate(conn, "Ima Scan", emails=["ima@x.io"])
    scan = attach_file(person, _read("msg_jennifer_image_only.pdf"), "scan.pdf", None)
    locked = attach_file(person, _read("ovo_encrypted_resume.pdf"), "locked.pdf", None)
    db.commit()
    merge_candidates(db, [person.id])
    db.commit()
    db.refresh(person)  # the merger assigned the person with a bulk UPDATE
    pid = person.person_id
    assert {f.status for f in resume_files(db, pid)} == {"pending"}
    extract_pending(db)
    files = {f.attachment_id: f for f in resume_files(db, pid)}
    assert (files[scan.id].status, files[scan.id].error) == ("empty", "no text layer")
    assert files[locked.id].status == "encrypted" and files[locked.id].error
