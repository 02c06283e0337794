"""The cluster going away: searches answer 503, indexing waits and then catches up."""
from __future__ import annotations

import socket

import pytest
from elastic_transport import ConnectionError as TransportConnectionError
from es.osmem import make_test_backend
from factories import ConnectionFactory, bind_session, enqueue_all, make_job, make_person

from rediscover.core import accounts
from rediscover.core.models import IndexCursor
from rediscover.indexer.errors import BackendUnavailableError
from rediscover.indexer.pipeline import index_pending
from rediscover.web import create_app

pytestmark = pytest.mark.elasticsearch


def dead_url() -> str:
    """The URL of a local port nothing listens on."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}"


class DownForBulk:
    """A cluster that answers everything but bulk writes (it went down mid-run)."""

    def __init__(self, real) -> None:
        self.real = real

    def options(self, **kwargs):
        return DownForBulk(self.real.options(**kwargs))

    def bulk(self, **kwargs):
        raise TransportConnectionError("connection refused")

    def __getattr__(self, name):
        return getattr(self.real, name)


@pytest.fixture
def db(session):
    bind_session(session)
    yield session
    bind_session(None)


def test_indexing_waits_for_the_cluster_and_then_catches_up(db, session_factory, es_url, es_client):
    conn = ConnectionFactory(name="greenhouse")
    make_person(conn, "Ann Waits", dict(job=make_job(conn)))
    enqueue_all(db)
    db.commit()  # what sync stored stays stored, whatever the cluster does
    backend = make_test_backend(es_url, es_client)
    try:
        healthy = backend.client
        backend.client = DownForBulk(healthy)
        with pytest.raises(BackendUnavailableError):
            index_pending(session_factory, backend)
        with session_factory() as session:
            cursor = session.get(IndexCursor, backend.name)
            assert cursor is None or cursor.last_queue_id == 0  # nothing is skipped
        backend.client = healthy
        stats = index_pending(session_factory, backend)
        assert stats.indexed == 1 and backend.count() == 1
        with session_factory() as session:
            assert session.get(IndexCursor, backend.name).last_queue_id == stats.last_queue_id
    finally:
        backend.drop()


def test_search_api_answers_503_when_the_cluster_is_down(tmp_path):
    app = create_app({
        "TESTING": True,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'web.sqlite'}",
        "ES_URL": dead_url(),
        "ES_ALIAS": "test_down",
        "ES_TIMEOUT": 1.0,
    })
    svc = app.extensions["rediscover"]
    with svc.session_factory.begin() as session:
        team = accounts.get_or_create_team(session, "Acme")
        _, token = accounts.create_user(session, team, "jo@acme.example")
    try:
        response = app.test_client().post(
            "/api/v1/search", json={"query": "python"}, headers={"Authorization": f"Bearer {token}"}
        )
        assert response.status_code == 503
        assert response.get_json()["error"]["code"] == "search_unavailable"
    finally:
        svc.engine.dispose()
