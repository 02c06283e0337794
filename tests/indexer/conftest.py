"""Indexer fixtures: factories bound to the test session, and the embedded backend."""
from __future__ import annotations

import pytest
from factories import ConnectionFactory, bind_session
from sqlalchemy.orm import Session

from rediscover.core.models import Connection
from rediscover.indexer.backends.sqlite import SQLiteBackend


@pytest.fixture
def db(session) -> Session:
    bind_session(session)
    yield session
    bind_session(None)


@pytest.fixture
def conn(db) -> Connection:
    connection = ConnectionFactory(name="greenhouse")
    db.commit()  # release SQLite's write lock: the backend writes to this same file
    return connection


@pytest.fixture
def conn2(db, conn) -> Connection:
    connection = ConnectionFactory(name="lever", ats="lever", team=conn.team)
    db.commit()
    return connection


@pytest.fixture
def sqlite_backend(sqlite_engine) -> SQLiteBackend:
    backend = SQLiteBackend(sqlite_engine)
    backend.setup()
    return backend
