"""The index lifecycle: only changed people are re-indexed; rebuilds swap; failures retry."""
from __future__ import annotations

from pathlib import Path

from factories import (
    attach_file,
    enqueue,
    enqueue_all,
    make_application,
    make_job,
    make_person,
)
from sqlalchemy import func, select

from rediscover.core.models import IndexCursor, IndexQueue
from rediscover.indexer.backends.sqlite import SQLiteBackend
from rediscover.indexer.pipeline import index_pending, rebuild_index
from rediscover.query.filters import SearchRequest, Viewer
from rediscover.query.search import search

RESUMES = Path(__file__).parents[1] / "data" / "resumes"


class RecordingBackend(SQLiteBackend):
    """The real SQLite backend, remembering which people it wrote (a test double by subclassing)."""

    def __init__(self, engine, fail_names=()):
        super().__init__(engine)
        self.written: list[int] = []
        self.deleted: list[int] = []
        self.fail_names = set(fail_names)

    def upsert(self, docs):
        docs = list(docs)
        self.written += [d.person_id for d in docs]
        result = super().upsert(d for d in docs if d.name not in self.fail_names)
        result.failed.update({d.person_id: "boom" for d in docs if d.name in self.fail_names})
        return result

    def delete(self, person_ids):
        person_ids = list(person_ids)
        self.deleted += person_ids
        return super().delete(person_ids)


def _names(backend, team_id, **filters):
    page = search(backend, SearchRequest.from_dict(filters), Viewer(team_id=team_id))
    return {r.name for r in page.results}


def test_only_changed_people_are_reindexed(db, conn, session_factory, sqlite_engine):
    backend = RecordingBackend(sqlite_engine)
    job = make_job(conn)
    people = [make_person(conn, f"Person {i}", dict(job=job)) for i in range(3)]
    enqueue_all(db)
    db.commit()
    stats = index_pending(session_factory, backend)
    assert (stats.queue_rows, stats.indexed) == (3, 3)
    assert backend.count() == 3

    backend.written.clear()
    assert index_pending(session_factory, backend).indexed == 0
    assert backend.written == []

    changed = people[1]
    changed.title = "Principal Engineer"
    enqueue(db, changed)
    db.commit()
    stats = index_pending(session_factory, backend)
    db.refresh(changed)
    assert backend.written == [changed.person_id]
    assert (stats.queue_rows, stats.people, stats.indexed) == (1, 1, 1)
    assert _names(backend, conn.team_id, query="principal") == {"Person 1"}


def test_a_person_who_becomes_hidden_is_deleted(db, conn, session_factory, sqlite_backend):
    cand = make_person(conn, "Soon Hired", dict(job=make_job(conn)))
    enqueue_all(db)
    db.commit()
    index_pending(session_factory, sqlite_backend)
    assert _names(sqlite_backend, conn.team_id) == {"Soon Hired"}
    make_application(cand, make_job(conn), status="hired")
    enqueue(db, cand)
    db.commit()
    stats = index_pending(session_factory, sqlite_backend)
    assert (stats.indexed, stats.deleted) == (0, 1)
    assert sqlite_backend.count() == 0


def test_resume_pdfs_are_extracted_and_searchable(db, conn, session_factory, sqlite_backend):
    cand = make_person(conn, "Sourabh Example", dict(job=make_job(conn)))
    attach_file(
        cand, (RESUMES / "sb2nov_sourabh_bajaj.pdf").read_bytes(), "cv.pdf", "application/pdf"
    )
    attach_file(cand, (RESUMES / "ovo_encrypted_resume.pdf").read_bytes(), "locked.pdf", None)
    enqueue_all(db)
    db.commit()
    stats = index_pending(session_factory, sqlite_backend)
    assert stats.extracted == 2
    assert _names(sqlite_backend, conn.team_id, query='"Georgia Institute of Technology"') == {
        "Sourabh Example"
    }
    assert _names(sqlite_backend, conn.team_id, query="tensorflow AND pilani") == {
        "Sourabh Example"
    }


def test_rebuild_matches_incremental_and_replays_later_changes(
    db, conn, session_factory, sqlite_backend
):
    job = make_job(conn, "Engineer")
    first = make_person(conn, "First One", dict(job=job, reached="onsite"))
    make_person(conn, "Second One", dict(job=job), emails=["shared@x.io"])
    make_person(conn, "Second Record", dict(job=make_job(conn, "Analyst")), emails=["SHARED@x.io"])
    enqueue_all(db)
    db.commit()
    incremental = index_pending(session_factory, sqlite_backend)
    before = _names(sqlite_backend, conn.team_id, query="engineer OR analyst")

    stats = rebuild_index(session_factory, sqlite_backend)
    assert stats.indexed == 2 == sqlite_backend.count()
    assert _names(sqlite_backend, conn.team_id, query="engineer OR analyst") == before
    cursor = db.get(IndexCursor, "sqlite")
    db.refresh(cursor)
    assert cursor.last_queue_id == incremental.last_queue_id

    first.title = "Kafka Whisperer"
    enqueue(db, first)
    db.commit()
    assert index_pending(session_factory, sqlite_backend).indexed == 1
    assert _names(sqlite_backend, conn.team_id, query="whisperer") == {"First One"}


def test_failed_documents_are_requeued_and_do_not_block(db, conn, session_factory, sqlite_engine):
    job = make_job(conn)
    bad = make_person(conn, "Bad Doc", dict(job=job))
    make_person(conn, "Good Doc", dict(job=job))
    enqueue_all(db)
    db.commit()
    backend = RecordingBackend(sqlite_engine, fail_names={"Bad Doc"})
    stats = index_pending(session_factory, backend)
    db.refresh(bad)
    assert set(stats.failed) == {bad.person_id}
    assert _names(backend, conn.team_id) == {"Good Doc"}
    queued = db.scalar(select(func.max(IndexQueue.id)))
    assert queued > stats.last_queue_id  # the retry waits for the next run
    backend.fail_names.clear()
    stats = index_pending(session_factory, backend)
    assert stats.failed == {} and stats.indexed == 1
    assert _names(backend, conn.team_id) == {"Bad Doc", "Good Doc"}
