"""The embedded backend's storage side: upsert/delete/count, rebuild swaps, schema checks."""
from __future__ import annotations

import sqlite3

import pytest
from sqlalchemy import create_mock_engine, text

from rediscover.indexer.backends.sqlite import NEW, TABLES, SQLiteBackend, Statement
from rediscover.indexer.documents import ApplicationDoc, PersonDocument
from rediscover.indexer.errors import BackendUnavailableError, IndexSchemaError
from rediscover.query.errors import SearchUnavailable
from rediscover.query.filters import SearchRequest, Viewer
from rediscover.query.search import search


def _doc(
    person_id: int, *app_ids: int, name: str = "Ada", title: str = "Engineer"
) -> PersonDocument:
    apps = [
        ApplicationDoc(
            application_id=a, connection_id=1, job_id=a, job_title=f"Job {a}", status="closed"
        )
        for a in app_ids
    ]
    return PersonDocument(person_id=person_id, team_id=1, name=name, title=title, applications=apps)


def _found(backend, **filters) -> set[str]:
    page = search(backend, SearchRequest.from_dict(filters), Viewer(team_id=1))
    return {r.name for r in page.results}


def _tables(engine) -> set[str]:
    with engine.connect() as conn:
        return set(
            conn.execute(text("SELECT name FROM sqlite_master WHERE type = 'table'")).scalars()
        )


def test_setup_is_idempotent_and_upsert_replaces(sqlite_backend):
    sqlite_backend.setup()
    result = sqlite_backend.upsert([_doc(1, 10, name="Ada"), _doc(2, 20, name="Bob")])
    assert (result.indexed, result.failed) == (2, {})
    sqlite_backend.upsert([_doc(1, 11, name="Ada", title="Kafka Expert")])
    assert sqlite_backend.count() == 2
    assert _found(sqlite_backend, query="kafka") == {"Ada"}
    assert _found(sqlite_backend, job_ids=[10]) == set()  # the old application went with it
    assert _found(sqlite_backend, job_ids=[11]) == {"Ada"}


def test_an_application_moving_to_another_person_follows(sqlite_backend):
    sqlite_backend.upsert([_doc(1, 10, name="Ada"), _doc(2, 20, name="Bob")])
    result = sqlite_backend.upsert([_doc(2, 20, 10, name="Bob")])  # a merge moved app 10
    assert result.failed == {}
    assert _found(sqlite_backend, job_ids=[10]) == {"Bob"}


def test_delete_ignores_unknown_ids(sqlite_backend):
    sqlite_backend.upsert([_doc(1, 10), _doc(2, 20)])
    assert sqlite_backend.delete([2, 99]).deleted == 1
    assert sqlite_backend.count() == 1
    assert _found(sqlite_backend, job_ids=[20]) == set()


def test_a_bad_document_fails_alone(sqlite_backend):
    broken = _doc(2, 20, name="Bob")
    broken.name = None  # violates NOT NULL: this one cannot be stored
    result = sqlite_backend.upsert([_doc(1, 10, name="Ada"), broken, _doc(3, 30, name="Cy")])
    assert (result.indexed, set(result.failed)) == (2, {2})
    assert _found(sqlite_backend) == {"Ada", "Cy"}


def test_rebuild_swaps_in_a_fresh_index(sqlite_backend, sqlite_engine):
    sqlite_backend.upsert([_doc(1, 10, name="Old")])
    result = sqlite_backend.rebuild(iter([_doc(2, 20, name="New"), _doc(3, 30, name="Newer")]))
    assert result.indexed == 2
    assert _found(sqlite_backend) == {"New", "Newer"}
    assert not any(t.endswith(NEW) for t in _tables(sqlite_engine))
    sqlite_backend.rebuild([_doc(4, 40, name="Again")])  # index names never clash
    assert _found(sqlite_backend) == {"Again"}


def _indexed_columns(engine) -> list[str]:
    """Each secondary index's table and columns (names differ per build: they carry a stamp)."""
    with engine.connect() as conn:
        rows = conn.execute(text(
            "SELECT m.tbl_name, group_concat(i.name, ',') FROM sqlite_master AS m, "
            "pragma_index_info(m.name) AS i WHERE m.type = 'index' AND m.sql IS NOT NULL "
            "GROUP BY m.name ORDER BY 1, 2"
        )).all()
    return sorted(f"{table}({columns})" for table, columns in rows)


def test_rebuild_adds_the_secondary_indexes_after_loading(sqlite_backend, sqlite_engine):
    created = _indexed_columns(sqlite_engine)
    assert "search_person_emails(email)" in created
    sqlite_backend.rebuild(iter([_doc(2, 20, name="New")]))
    assert _indexed_columns(sqlite_engine) == created
    assert _found(sqlite_backend, job_ids=[20]) == {"New"}


def test_a_failed_rebuild_leaves_the_old_index_untouched(sqlite_backend, sqlite_engine):
    sqlite_backend.upsert([_doc(1, 10, name="Old")])

    def docs():
        yield _doc(2, 20, name="New")
        raise RuntimeError("store went away")

    with pytest.raises(RuntimeError):
        sqlite_backend.rebuild(docs())
    assert _found(sqlite_backend) == {"Old"}
    assert not any(t.endswith(NEW) for t in _tables(sqlite_engine))


def test_searches_during_a_rebuild_see_the_old_index(sqlite_backend):
    sqlite_backend.upsert([_doc(1, 10, name="Old")])
    seen_during = []

    def docs():
        yield _doc(2, 20, name="New")
        seen_during.append(_found(sqlite_backend))
        yield _doc(3, 30, name="Newer")

    sqlite_backend.batch_size = 1
    sqlite_backend.rebuild(docs())
    assert seen_during == [{"Old"}]


def test_another_schema_version_asks_for_a_rebuild(sqlite_backend, sqlite_engine):
    with sqlite_engine.begin() as conn:
        conn.execute(text("UPDATE search_meta SET value = '0' WHERE key = 'schema_version'"))
    with pytest.raises(IndexSchemaError, match="rebuild"):
        SQLiteBackend(sqlite_engine).setup()
    sqlite_backend.rebuild([])
    sqlite_backend.setup()


def test_a_missing_index_is_unavailable_not_a_crash(sqlite_engine):
    backend = SQLiteBackend(sqlite_engine)  # never set up
    with pytest.raises(BackendUnavailableError):
        backend.execute([Statement("SELECT * FROM search_people")])
    with pytest.raises(SearchUnavailable):
        search(backend, SearchRequest(), Viewer(team_id=1))
    assert len(TABLES) == 8


def test_needs_a_sqlite_engine():
    engine = create_mock_engine("postgresql://", lambda *args, **kwargs: None)
    with pytest.raises(ValueError, match="SQLite"):
        SQLiteBackend(engine)
    assert sqlite3.sqlite_version_info >= (3, 35)  # MATERIALIZED CTEs, NULLS LAST
