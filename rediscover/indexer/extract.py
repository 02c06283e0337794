"""Resume text extraction: once per content hash, never raising into the caller.

``extract_text`` is a pure function of the bytes (no database), so it can later move into a
worker process with a time and memory limit; ``extract_pending`` is the store side: it turns
every downloaded ``FileBlob`` without an ``ExtractedText`` into one and drops the bytes.
This is the only module that imports pdfminer.six.
"""
from __future__ import annotations

import io
import logging
import unicodedata
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy import delete, select

from rediscover.core.enums import ExtractionStatus
from rediscover.core.models import ExtractedText, FileBlob

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

log = logging.getLogger(__name__)

MAX_BYTES = 20 * 1024 * 1024  # larger files are recorded as too_large, not parsed
MAX_PAGES = 50  # a resume longer than this is not a resume; stop parsing there
PDF_TYPES = ("application/pdf", "application/x-pdf")
TEXT_TYPES = ("text/plain",)
TEXT_SUFFIXES = (".txt", ".text")


@dataclass(frozen=True)
class Extraction:
    """The outcome of extracting one file: a status, the text (maybe empty), why it failed."""

    status: ExtractionStatus
    text: str = ""
    error: str | None = None
    pages: int | None = None


def extract_text(
    data: bytes,
    filename: str | None = None,
    content_type: str | None = None,
    *,
    max_bytes: int = MAX_BYTES,
) -> Extraction:
    """Extract the text of one file; every failure comes back as a status, never an exception."""
    if len(data) > max_bytes:
        return Extraction(ExtractionStatus.TOO_LARGE, error=f"{len(data)} bytes")
    kind = _kind(data, filename, content_type)
    try:
        if kind == "pdf":
            return _extract_pdf(data)
        if kind == "text":
            return _finish(_decode(data), pages=None)
    except Exception as exc:  # a broken file must never stop indexing
        # No filename in the log: it often carries the candidate's name.
        log.warning("text extraction failed", extra={"error": type(exc).__name__})
        return Extraction(ExtractionStatus.FAILED, error=_describe(exc))
    return Extraction(ExtractionStatus.UNSUPPORTED, error=content_type or filename or None)


def _kind(data: bytes, filename: str | None, content_type: str | None) -> str | None:
    ctype = (content_type or "").split(";")[0].strip().lower()
    name = (filename or "").lower()
    if ctype in PDF_TYPES or name.endswith(".pdf") or data[:5] == b"%PDF-":
        return "pdf"
    if ctype in TEXT_TYPES or name.endswith(TEXT_SUFFIXES):
        return "text"
    return None


def _extract_pdf(data: bytes) -> Extraction:
    # Imported here: importing the indexer should not load pdfminer (slow; only workers need it).
    from pdfminer.high_level import extract_text as pdf_text
    from pdfminer.pdfdocument import PDFEncryptionError, PDFPasswordIncorrect
    from pdfminer.pdfparser import PDFSyntaxError
    from pdfminer.psexceptions import PSException

    try:
        text = pdf_text(io.BytesIO(data), maxpages=MAX_PAGES)
    except (PDFPasswordIncorrect, PDFEncryptionError) as exc:
        return Extraction(ExtractionStatus.ENCRYPTED, error=_describe(exc) or "password protected")
    except (PDFSyntaxError, PSException) as exc:
        return Extraction(ExtractionStatus.CORRUPT, error=_describe(exc) or "not a readable PDF")
    # pdfminer ends every page with a form feed, so they count the pages it read.
    return _finish(text, pages=text.count("\f") or None)


def _decode(data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")


def _finish(text: str, pages: int | None) -> Extraction:
    # NFKC folds ligatures (ﬁ -> fi) so keywords match; NUL bytes are not storable everywhere.
    text = unicodedata.normalize("NFKC", text).replace("\x00", "").replace("\f", "\n").strip()
    status = ExtractionStatus.OK if text else ExtractionStatus.EMPTY
    return Extraction(status, text=text, pages=pages, error=None if text else "no text layer")


def _describe(exc: Exception) -> str:
    return f"{type(exc).__name__}: {exc}".rstrip(": ")[:500]


def extract_pending(session: Session, *, keep_blobs: bool = False) -> int:
    """Extract every downloaded file not extracted yet; returns how many were extracted.

    Each content hash is extracted once ever; its ``FileBlob`` is then deleted unless
    ``keep_blobs``. Commits after each file so a crash loses at most one extraction.
    """
    done = 0
    for content_hash in _pending_hashes(session):
        blob = session.get(FileBlob, content_hash)
        if blob is None:  # another indexer took it meanwhile
            continue
        result = extract_text(blob.data, blob.filename, blob.content_type)
        session.merge(
            ExtractedText(
                content_hash=content_hash,
                status=str(result.status),
                text=result.text,
                error=result.error,
                pages=result.pages,
            )
        )
        if not keep_blobs:
            session.execute(delete(FileBlob).where(FileBlob.content_hash == content_hash))
        session.commit()
        done += 1
    return done


def _pending_hashes(session: Session) -> list[str]:
    extracted = select(ExtractedText.content_hash)
    stmt = select(FileBlob.content_hash).where(FileBlob.content_hash.not_in(extracted))
    return list(session.scalars(stmt.order_by(FileBlob.content_hash)))
