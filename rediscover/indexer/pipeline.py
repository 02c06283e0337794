"""The index lifecycle: apply queued store changes to a backend, or rebuild it whole.

Sync appends ``IndexQueue(candidate_id)`` rows for changed candidates; ``index_pending``
takes the rows after the backend's ``IndexCursor`` in id order, extracts new resume text,
re-merges those candidates into people, rebuilds just the affected people's documents and
upserts or deletes them, then advances the cursor. ``rebuild_index`` re-merges everyone and
swaps in a fresh index; rows queued meanwhile are replayed by the next ``index_pending``
because the cursor is set to the last id seen *before* the rebuild started.

One run per backend at a time in this process (a lock per backend name); the CLI and the
schedule are the only callers, and the schedule runs jobs with ``max_instances=1``.
"""
from __future__ import annotations

import logging
import os
import threading
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from sqlalchemy import func, insert, select

from rediscover.core.models import Candidate, IndexCursor, IndexQueue, Person
from rediscover.indexer.batches import chunked
from rediscover.indexer.build import build_documents, iter_documents, iter_documents_parallel
from rediscover.indexer.extract import extract_pending
from rediscover.indexer.merge import merge_all, merge_candidates

if TYPE_CHECKING:
    from sqlalchemy.orm import Session, sessionmaker

    from rediscover.indexer.backends.base import BulkResult, SearchBackend
    from rediscover.indexer.documents import PersonDocument
    from rediscover.indexer.geo import Locator

log = logging.getLogger(__name__)

QUEUE_BATCH = 1000  # queue rows handled per round (merge + build + write)
_LOCKS: dict[str, threading.Lock] = {}
_LOCKS_GUARD = threading.Lock()


@dataclass
class IndexStats:
    """What an indexing run did."""

    queue_rows: int = 0
    people: int = 0  # people whose documents were rebuilt (written or deleted)
    indexed: int = 0
    deleted: int = 0
    failed: dict[int, str] = field(default_factory=dict)  # person id -> reason; requeued
    extracted: int = 0
    last_queue_id: int = 0

    def add(self, result: BulkResult) -> None:
        """Count a backend write into these stats."""
        self.indexed += result.indexed
        self.deleted += result.deleted
        self.failed.update(result.failed)


def index_pending(
    session_factory: sessionmaker[Session],
    backend: SearchBackend,
    *,
    batch_size: int = QUEUE_BATCH,
    locator: Locator | None = None,
) -> IndexStats:
    """Apply every queued change (up to the newest row now) to ``backend``; only changed people.

    ``locator`` normalises locations (default: the offline gazetteer only).
    """
    stats = IndexStats()
    with _lock(backend.name):
        backend.setup()
        with session_factory() as session:
            position = _cursor(session, backend.name).last_queue_id
            # Stop at what is queued now: rows we append (merge moves, failed retries) wait
            # for the next run, so a document that always fails cannot loop forever.
            stop_at = session.scalar(select(func.max(IndexQueue.id))) or 0
            stats.extracted = extract_pending(session)
        while position < stop_at:
            position = _index_batch(
                session_factory, backend, position, stop_at, batch_size, stats, locator
            )
    stats.last_queue_id = position
    log.info("index updated", extra={"backend": backend.name, "people": stats.people})
    return stats


def _index_batch(
    session_factory: sessionmaker[Session],
    backend: SearchBackend,
    after: int,
    stop_at: int,
    batch_size: int,
    stats: IndexStats,
    locator: Locator | None = None,
) -> int:
    """Handle queue rows after ``after``; returns the id the cursor moved to."""
    with session_factory() as session:
        rows = session.execute(
            select(IndexQueue.id, IndexQueue.candidate_id, IndexQueue.person_id)
            .where(IndexQueue.id > after, IndexQueue.id <= stop_at)
            .order_by(IndexQueue.id)
            .limit(batch_size)
        ).all()
        if not rows:
            position = stop_at
        else:
            position = rows[-1].id
            affected = merge_candidates(
                session, {r.candidate_id for r in rows}, {r.person_id for r in rows if r.person_id}
            )
            session.commit()  # the backend may write to this same database: release the lock
            docs = build_documents(session, affected, locator)
    failed: dict[int, str] = {}
    if rows:
        result = _write(backend, docs)
        stats.queue_rows += len(rows)
        stats.people += len(docs)
        stats.add(result)
        failed = result.failed
    with session_factory() as session:
        _requeue(session, failed)
        _cursor(session, backend.name).last_queue_id = position
        session.commit()
    return position


def rebuild_index(
    session_factory: sessionmaker[Session],
    backend: SearchBackend,
    *,
    locator: Locator | None = None,
    workers: int | None = None,
) -> IndexStats:
    """Re-merge everyone and replace the whole index with fresh documents.

    Documents are assembled by ``workers`` other processes (default: one per CPU but the one
    this process writes with; 0 = here) while this one writes them; a custom ``locator`` (e.g.
    with an online geocoder) keeps assembly in this process.
    """
    stats = IndexStats()
    with _lock(backend.name):
        with session_factory() as session:
            stop_at = session.scalar(select(func.max(IndexQueue.id))) or 0
            stats.extracted = extract_pending(session)
            merge_all(session)
            session.commit()
            person_ids = list(session.scalars(select(Person.id).order_by(Person.id)))
        stats.people = len(person_ids)
        if locator is None:
            workers = (os.cpu_count() or 1) - 1 if workers is None else workers
            docs = iter_documents_parallel(session_factory, person_ids, workers)
        else:
            docs = iter_documents(session_factory, person_ids, locator)
        stats.add(backend.rebuild(docs))
        with session_factory() as session:
            _requeue(session, stats.failed)
            _cursor(session, backend.name).last_queue_id = stop_at
            session.commit()
    stats.last_queue_id = stop_at
    log.info("index rebuilt", extra={"backend": backend.name, "people": stats.indexed})
    return stats


def _lock(name: str) -> threading.Lock:
    with _LOCKS_GUARD:
        return _LOCKS.setdefault(name, threading.Lock())


def _write(backend: SearchBackend, docs: dict[int, PersonDocument | None]) -> BulkResult:
    result = backend.upsert(doc for doc in docs.values() if doc is not None)
    return result.merge(backend.delete(pid for pid, doc in docs.items() if doc is None))


def _cursor(session: Session, name: str) -> IndexCursor:
    cursor = session.get(IndexCursor, name)
    if cursor is None:
        cursor = IndexCursor(backend=name, last_queue_id=0)
        session.add(cursor)
    return cursor


def _requeue(session: Session, failed: dict[int, str]) -> None:
    """Queue the records of people whose documents failed, so a later run retries them."""
    for chunk in chunked(failed):
        rows = session.execute(
            select(Candidate.id, Candidate.person_id).where(Candidate.person_id.in_(chunk))
        ).all()
        if rows:
            session.execute(
                insert(IndexQueue), [{"candidate_id": c, "person_id": p} for c, p in rows]
            )
    failed_count = len(failed)
    if failed_count:
        log.warning("documents failed to index", extra={"count": failed_count})
