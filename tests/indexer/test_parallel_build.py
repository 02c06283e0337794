"""A whole-index rebuild assembles documents in worker processes: same documents, same order."""
from __future__ import annotations

from sqlalchemy import select

from bench.generate import load_store
from rediscover.core.models import Person
from rediscover.indexer.backends.sqlite import SQLiteBackend
from rediscover.indexer.build import BATCH, iter_documents, iter_documents_parallel
from rediscover.indexer.merge import merge_all
from rediscover.indexer.pipeline import rebuild_index


def _store(sqlite_engine, session_factory, people: int) -> list[int]:
    load_store(sqlite_engine, people, seed=11)
    with session_factory.begin() as s:
        merge_all(s)
    with session_factory() as s:
        return list(s.scalars(select(Person.id).order_by(Person.id)))


def test_worker_processes_build_the_same_documents_in_order(sqlite_engine, session_factory):
    ids = _store(sqlite_engine, session_factory, 3 * BATCH)
    assert len(ids) > 2 * BATCH  # several batches, so the work is really spread
    serial = list(iter_documents(session_factory, ids))
    parallel = list(iter_documents_parallel(session_factory, ids, workers=2))
    assert len(serial) > BATCH
    assert parallel == serial


def test_generated_chunks_are_different_humans(sqlite_engine, session_factory, monkeypatch):
    import bench.generate

    real = bench.generate.generate
    monkeypatch.setattr(bench.generate, "CHUNK", 300)
    # Every chunk the same generated humans: only the chunk tag on emails tells them apart.
    monkeypatch.setattr(bench.generate, "generate", lambda size, seed: real(size, seed=5))
    ids = _store(sqlite_engine, session_factory, 600)
    # Two chunks of the same humans are twice the people (the generator's own duplicate
    # records of one human still merge within a chunk).
    assert len(ids) % 2 == 0 and 500 < len(ids) <= 600


def test_rebuild_with_workers_indexes_everyone_searchable(sqlite_engine, session_factory):
    ids = _store(sqlite_engine, session_factory, 3 * BATCH)
    serial = list(iter_documents(session_factory, ids))
    backend = SQLiteBackend(sqlite_engine)
    backend.setup()
    stats = rebuild_index(session_factory, backend, workers=2)
    assert stats.failed == {}
    assert stats.indexed == backend.count() == len(serial)
