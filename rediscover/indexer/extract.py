"""Resume text extraction: once per content hash, in worker processes, never raising.

``extract_text`` is a pure function of the bytes: pdfminer.six for PDF, python-docx for
DOCX (body, tables, text boxes, headers and footers), plain text as is. Every failure comes
back as a status: ``empty`` (no text layer: an image-only scan), ``encrypted``, ``corrupt``,
``unsupported``, ``too_large``, ``timeout``, ``failed``.

``ExtractorPool`` runs it in worker processes, each under an address-space cap
(``RLIMIT_AS``) and a wall-clock limit per file: a worker that overruns is killed and
replaced, so a pathological PDF costs at most that limit and never the indexing run.
``extract_pending`` is the store side: every downloaded ``FileBlob`` without an
``ExtractedText`` is extracted once, ever, and its bytes dropped; re-syncs of unchanged files
find the hash already extracted and cost nothing. This is the only module that imports
pdfminer.six and python-docx.
"""
from __future__ import annotations

import io
import logging
import multiprocessing
import os
import re
import time
import unicodedata
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from multiprocessing.connection import wait
from typing import TYPE_CHECKING, Any, TypeVar

from sqlalchemy import delete, select

from rediscover.core.enums import ExtractionStatus
from rediscover.core.models import Attachment, Candidate, ExtractedText, FileBlob

if TYPE_CHECKING:
    from multiprocessing.connection import Connection
    from multiprocessing.process import BaseProcess

    from sqlalchemy.orm import Session

log = logging.getLogger(__name__)

K = TypeVar("K")
MAX_BYTES = 20 * 1024 * 1024  # larger files are recorded as too_large, not parsed
MAX_PAGES = 50  # a resume longer than this is not a resume; stop parsing there
TIMEOUT_SECONDS = 30.0  # wall time per file before its worker is killed
MEMORY_BYTES = 1024 * 1024 * 1024  # address space per worker (RLIMIT_AS)
PDF_TYPES = ("application/pdf", "application/x-pdf")
DOCX_TYPES = ("application/vnd.openxmlformats-officedocument.wordprocessingml.document",)
TEXT_TYPES = ("text/plain",)
TEXT_SUFFIXES = (".txt", ".text")
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # password-protected Office files are OLE
MC_FALLBACK = "{http://schemas.openxmlformats.org/markup-compatibility/2006}Fallback"
_BLANK_LINES = re.compile(r"\n{3,}")


@dataclass(frozen=True)
class Extraction:
    """The outcome of extracting one file: a status, the text (maybe empty), why it failed."""

    status: ExtractionStatus
    text: str = ""
    error: str | None = None
    pages: int | None = None


@dataclass(frozen=True)
class Limits:
    """What one file may cost: bytes in, seconds of wall time, address space of its worker."""

    max_bytes: int = MAX_BYTES
    timeout: float = TIMEOUT_SECONDS
    memory_bytes: int | None = MEMORY_BYTES  # None: no cap (platforms without RLIMIT_AS)


# --------------------------------------------------------------------------- pure extraction


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
    kind = file_kind(data, filename, content_type)
    try:
        if kind == "pdf":
            return _extract_pdf(data)
        if kind == "docx":
            return _extract_docx(data)
        if kind == "text":
            return _finish(_decode(data), pages=None)
    except MemoryError:
        return Extraction(ExtractionStatus.FAILED, error="memory limit exceeded")
    except Exception as exc:  # a broken file must never stop indexing
        # No filename in the log: it often carries the candidate's name.
        log.warning("text extraction failed", extra={"error": type(exc).__name__})
        return Extraction(ExtractionStatus.FAILED, error=_describe(exc))
    return Extraction(ExtractionStatus.UNSUPPORTED, error=content_type or filename or None)


def file_kind(data: bytes, filename: str | None, content_type: str | None) -> str | None:
    """``pdf``, ``docx``, ``text`` or None (unsupported), from type, name and magic bytes."""
    ctype = (content_type or "").split(";")[0].strip().lower()
    name = (filename or "").lower()
    if ctype in PDF_TYPES or name.endswith(".pdf") or data[:5] == b"%PDF-":
        return "pdf"
    if ctype in DOCX_TYPES or name.endswith(".docx"):
        return "docx"
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


def _extract_docx(data: bytes) -> Extraction:
    if data[:8] == OLE_MAGIC:
        # A .docx that is an OLE file is an encrypted package (or a renamed .doc).
        return Extraction(ExtractionStatus.ENCRYPTED, error="password protected or legacy .doc")
    import docx  # python-docx; imported here like pdfminer
    from docx.opc.constants import RELATIONSHIP_TYPE as RT
    from docx.opc.exceptions import PackageNotFoundError

    try:
        document = docx.Document(io.BytesIO(data))
    except (PackageNotFoundError, zipfile.BadZipFile, KeyError, ValueError) as exc:
        return Extraction(ExtractionStatus.CORRUPT, error=_describe(exc) or "not a readable DOCX")
    # Headers first: a name often sits only in a header text box.
    parts = [
        rel.target_part.element
        for rel in document.part.rels.values()
        if rel.reltype in (RT.HEADER, RT.FOOTER) and not rel.is_external
    ]
    lines = [line for part in [*parts, document.element.body] for line in _docx_lines(part)]
    return _finish("\n".join(lines), pages=None)


def _docx_lines(element: Any) -> Iterator[str]:
    """The text of every paragraph under ``element``: body, table cells and text boxes.

    Text boxes appear twice (``mc:Choice`` for new Word, ``mc:Fallback`` for old): only the
    Choice copy is read. A paragraph holding a text box yields the box's paragraphs, not
    its own run text, so nothing is doubled.
    """
    from docx.oxml.ns import qn

    fallback, paragraph = MC_FALLBACK, qn("w:p")
    text_tags = {qn("w:t"): None, qn("w:tab"): "\t", qn("w:br"): "\n", qn("w:cr"): "\n"}
    for p in element.iter(paragraph):
        if any(a.tag == fallback for a in p.iterancestors()):
            continue
        parts = []
        for node in p.iter(*text_tags):
            # Runs inside a nested paragraph (a text box) belong to that paragraph.
            if next(node.iterancestors(paragraph)) is not p:
                continue
            parts.append(node.text or "" if text_tags[node.tag] is None else text_tags[node.tag])
        line = "".join(parts).strip()
        if line:
            yield line


def _decode(data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")


def _finish(text: str, pages: int | None) -> Extraction:
    # NFKC folds ligatures (ﬁ -> fi) so keywords match; NUL bytes are not storable everywhere.
    text = unicodedata.normalize("NFKC", text).replace("\x00", "").replace("\f", "\n")
    text = _BLANK_LINES.sub("\n\n", text).strip()
    status = ExtractionStatus.OK if text else ExtractionStatus.EMPTY
    return Extraction(status, text=text, pages=pages, error=None if text else "no text layer")


def _describe(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}".rstrip(": ")[:500]


# --------------------------------------------------------------------------- worker processes


def _serve(conn: Connection, memory_bytes: int | None, max_bytes: int) -> None:
    """A worker's loop: cap its own address space, then extract whatever it is sent."""
    # pdfminer warns about every odd font; the outcome is what matters, not its chatter.
    logging.getLogger("pdfminer").setLevel(logging.ERROR)
    if memory_bytes:
        import resource

        resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))
    conn.send("ready")
    while True:
        try:
            job = conn.recv()
        except (EOFError, OSError):
            return
        if job is None:
            return
        try:
            result = extract_text(*job, max_bytes=max_bytes)
        except MemoryError:
            result = Extraction(ExtractionStatus.FAILED, error="memory limit exceeded")
        conn.send(result)


@dataclass
class _Worker:
    process: BaseProcess
    conn: Connection
    key: Any = None
    deadline: float = 0.0


@dataclass
class ExtractorPool:
    """Worker processes that extract files, each file under the time and memory ``limits``.

    Use as a context manager; ``map`` keeps every worker busy and yields results as they
    finish (not in input order).
    """

    workers: int = field(default_factory=lambda: os.cpu_count() or 1)
    limits: Limits = field(default_factory=Limits)

    def __post_init__(self) -> None:
        self._ctx = worker_context(__name__, "pdfminer.high_level", "docx")
        self._pool: list[_Worker] = []

    def __enter__(self) -> ExtractorPool:
        self._pool = [self._spawn() for _ in range(max(1, self.workers))]
        for worker in self._pool:
            worker.conn.recv()  # "ready": the limit is set before any file arrives
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Stop every worker (politely, then by force)."""
        for worker in self._pool:
            try:
                worker.conn.send(None)
            except (OSError, ValueError):
                pass
        for worker in self._pool:
            worker.process.join(timeout=1)
            _kill(worker)
        self._pool = []

    def map(
        self, jobs: Iterable[tuple[K, bytes, str | None, str | None]]
    ) -> Iterator[tuple[K, Extraction]]:
        """Extract ``(key, data, filename, content_type)`` jobs; yield ``(key, result)``."""
        todo = iter(jobs)
        idle, busy = list(self._pool), {}
        while True:
            while idle and (job := next(todo, None)) is not None:
                key, data = job[0], job[1]
                if len(data) > self.limits.max_bytes:  # never ship it to a worker at all
                    yield key, Extraction(ExtractionStatus.TOO_LARGE, error=f"{len(data)} bytes")
                    continue
                worker = idle.pop()
                worker.conn.send(job[1:])
                worker.key, worker.deadline = key, time.monotonic() + self.limits.timeout
                busy[worker.conn] = worker
            if not busy:
                return
            yield from self._collect(busy, idle)

    def _collect(
        self, busy: dict[Connection, _Worker], idle: list[_Worker]
    ) -> Iterator[tuple[Any, Extraction]]:
        """Wait for the next result or deadline; yield what finished, replace what overran."""
        soonest = min(w.deadline for w in busy.values())
        for conn in wait(list(busy), timeout=max(0.0, soonest - time.monotonic())):
            worker = busy.pop(conn)  # type: ignore[arg-type]
            try:
                result = conn.recv()  # type: ignore[union-attr]
            except (EOFError, OSError):  # killed (e.g. by the kernel) or crashed in C code
                result = Extraction(ExtractionStatus.FAILED, error="extraction worker died")
                worker = self._replace(worker)
            idle.append(worker)
            yield worker.key, result
        now = time.monotonic()
        for conn, worker in list(busy.items()):
            if worker.deadline <= now:
                del busy[conn]
                log.warning("extraction timed out", extra={"timeout": self.limits.timeout})
                error = f"took longer than {self.limits.timeout:g}s"
                key = worker.key
                idle.append(self._replace(worker))
                yield key, Extraction(ExtractionStatus.TIMEOUT, error=error)

    def _spawn(self) -> _Worker:
        parent, child = self._ctx.Pipe()
        args = (child, self.limits.memory_bytes, self.limits.max_bytes)
        process = self._ctx.Process(target=_serve, args=args, daemon=True)
        process.start()
        child.close()
        return _Worker(process, parent)

    def _replace(self, worker: _Worker) -> _Worker:
        _kill(worker)
        fresh = self._spawn()
        fresh.conn.recv()
        fresh.key = worker.key
        self._pool = [fresh if w is worker else w for w in self._pool]
        return fresh


def worker_context(*preload: str) -> multiprocessing.context.BaseContext:
    """forkserver where there is one: workers fork from a clean server that has ``preload``
    modules (e.g. this one and pdfminer) imported already, so they start in milliseconds and
    inherit none of the parent's database connections or threads; spawn elsewhere. Also used
    by the parallel document build (``indexer.build``)."""
    if "forkserver" not in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context("spawn")
    ctx = multiprocessing.get_context("forkserver")
    ctx.set_forkserver_preload(list(preload))
    return ctx


def _kill(worker: _Worker) -> None:
    if worker.process.is_alive():
        worker.process.kill()
        worker.process.join()
    worker.conn.close()


# --------------------------------------------------------------------------- the store side


def extract_pending(
    session: Session,
    *,
    keep_blobs: bool = False,
    workers: int | None = None,
    limits: Limits | None = None,
) -> int:
    """Extract every downloaded file not extracted yet; returns how many were extracted.

    Each content hash is extracted once ever; its ``FileBlob`` is then deleted unless
    ``keep_blobs``. Commits after each file so a crash loses at most one extraction.
    """
    limits = limits or Limits()
    hashes = _pending_hashes(session)
    done = 0
    parsed: list[str] = []
    for content_hash, data, filename, ctype in _jobs(session, hashes):
        if file_kind(data, filename, ctype) in (None, "text"):
            # Decoding text (or refusing a type) is linear in a size already capped: it
            # needs no worker, and resyncs of text-only records then start none.
            _store(session, content_hash, extract_text(data, filename, ctype,
                                                       max_bytes=limits.max_bytes), keep_blobs)
            done += 1
        else:
            parsed.append(content_hash)
    if parsed:
        size = min(len(parsed), workers or os.cpu_count() or 1)
        with ExtractorPool(size, limits) as pool:
            for content_hash, result in pool.map(_jobs(session, parsed)):
                _store(session, content_hash, result, keep_blobs)
                done += 1
    log.info("files extracted", extra={"files": done})
    return done


Job = tuple[str, bytes, str | None, str | None]  # (content hash, data, filename, content type)


def _jobs(session: Session, hashes: list[str]) -> Iterator[Job]:
    for content_hash in hashes:
        blob = session.get(FileBlob, content_hash)
        if blob is not None:  # another indexer may have taken it meanwhile
            yield content_hash, blob.data, blob.filename, blob.content_type
            session.expunge(blob)  # do not keep every file's bytes in the identity map


def _store(session: Session, content_hash: str, result: Extraction, keep_blobs: bool) -> None:
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


def _pending_hashes(session: Session) -> list[str]:
    extracted = select(ExtractedText.content_hash)
    stmt = select(FileBlob.content_hash).where(FileBlob.content_hash.not_in(extracted))
    return list(session.scalars(stmt.order_by(FileBlob.content_hash)))


# --------------------------------------------------------------------------- the person view


@dataclass(frozen=True)
class ResumeFile:
    """One file on a person and what extraction made of it (for the person view)."""

    attachment_id: int
    candidate_id: int
    application_id: int | None
    filename: str
    type: str | None
    status: str  # an ExtractionStatus value, or "pending" / "not_downloaded"
    error: str | None
    pages: int | None


def resume_files(session: Session, person_id: int) -> list[ResumeFile]:
    """Every file on a person's records with its extraction status and reason."""
    rows = session.execute(
        select(Attachment, ExtractedText.status, ExtractedText.error, ExtractedText.pages)
        .join(Candidate, Candidate.id == Attachment.candidate_id)
        .outerjoin(ExtractedText, ExtractedText.content_hash == Attachment.content_hash)
        .where(Candidate.person_id == person_id)
        .order_by(Attachment.id)
    ).all()
    return [_resume_file(f, status, error, pages) for f, status, error, pages in rows]


def _resume_file(
    f: Attachment, status: str | None, error: str | None, pages: int | None
) -> ResumeFile:
    if status is None:
        status = "not_downloaded" if f.content_hash is None else "pending"
        error = f.download_error
    return ResumeFile(f.id, f.candidate_id, f.application_id, f.filename, f.type, status, error,
                      pages)
