"""Contract-suite fixtures: the ``backend`` under test and a small ``world`` to fill and search.

``backend`` is the only place that knows backend kinds; each kind gets the same tests. The
store is always the per-test SQLite file from ``tests/conftest.py``.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import pytest
from factories import ConnectionFactory, bind_session, enqueue_all
from sqlalchemy.orm import Session, sessionmaker

from rediscover.core.models import Connection, Team
from rediscover.indexer.backends.base import SearchBackend
from rediscover.indexer.backends.sqlite import SQLiteBackend
from rediscover.indexer.pipeline import IndexStats, index_pending
from rediscover.query.filters import SearchRequest, Viewer
from rediscover.query.results import FacetValue, SearchPage
from rediscover.query.search import facets, search

BACKENDS = ["sqlite", "elasticsearch"]


@pytest.fixture
def db(session) -> Session:
    bind_session(session)
    yield session
    bind_session(None)


@pytest.fixture(params=BACKENDS)
def backend(request, sqlite_engine) -> SearchBackend:
    if request.param == "sqlite":
        instance: SearchBackend = SQLiteBackend(sqlite_engine)
    elif request.param == "elasticsearch":
        # osmem (or REDISCOVER_TEST_ES_URL), a fresh test_ alias dropped after the test
        instance = request.getfixturevalue("es_backend")
    else:  # pragma: no cover - a new kind must be wired here
        raise AssertionError(f"unknown backend {request.param}")
    instance.setup()
    yield instance
    instance.close()


@dataclass
class World:
    """One team with two ATS connections, and helpers to index and search as a viewer."""

    db: Session
    session_factory: sessionmaker[Session]
    backend: SearchBackend
    team: Team
    conn: Connection
    conn2: Connection
    now: datetime | None = None  # best match measures recency from here (None: the clock)

    def token(self, user: str, conn: Connection | None = None) -> str:
        """The access token of an ATS user of a connection (the first one by default)."""
        return f"{(conn or self.conn).id}:{user}"

    def viewer(self, *users: str, team: Team | None = None) -> Viewer:
        """A viewer of this team holding the ATS identities ``users`` on the first connection."""
        tokens = frozenset(self.token(u) for u in users)
        return Viewer(team_id=(team or self.team).id, access_tokens=tokens)

    def index(self) -> IndexStats:
        """Commit, queue every candidate and index what is pending."""
        enqueue_all(self.db)
        self.db.commit()
        stats = index_pending(self.session_factory, self.backend)
        self.db.expire_all()  # the indexer assigned people in its own sessions
        return stats

    def search(self, viewer: Viewer | None = None, **filters: Any) -> SearchPage:
        request = SearchRequest.from_dict({"limit": 200, **filters})
        return search(self.backend, request, viewer or self.viewer(), now=self.now)

    def names(self, viewer: Viewer | None = None, **filters: Any) -> list[str]:
        """Names of the people found, in result order."""
        return [r.name for r in self.search(viewer, **filters).results]

    def found(self, viewer: Viewer | None = None, **filters: Any) -> set[str]:
        """Names of the people found, ignoring order."""
        return set(self.names(viewer, **filters))

    def facets(self, viewer: Viewer | None = None, **filters: Any) -> dict[str, dict[str, int]]:
        """Facet counts as {facet: {label: count}}."""
        request = SearchRequest.from_dict(filters)
        result: dict[str, list[FacetValue]] = facets(self.backend, request, viewer or self.viewer())
        return {name: {v.label: v.count for v in values} for name, values in result.items()}


@pytest.fixture
def world(db, session_factory, backend) -> World:
    conn = ConnectionFactory(name="greenhouse")
    conn2 = ConnectionFactory(name="lever", ats="lever", team=conn.team)
    return World(db, session_factory, backend, conn.team, conn, conn2)
