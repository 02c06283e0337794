"""Shared fixtures: a real database per test (SQLite by default, PostgreSQL where asked).

- ``session_factory``: a fresh SQLite file per test (fast, isolated, the embedded default).
- ``store`` (parametrised ``sqlite`` / ``postgresql``): for store tests that must hold on both.
  PostgreSQL uses one schema per run and wraps each test in an outer transaction that is
  rolled back (``join_transaction_mode="create_savepoint"``), so tests never see each other.
  ``REDISCOVER_TEST_DATABASE_URL`` selects the server (``make test`` sets the local one);
  without it the PostgreSQL half is skipped and says why.
"""
from __future__ import annotations

import os
from dataclasses import dataclass

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session, sessionmaker

from rediscover.core.db import make_engine, sqlite_url
from rediscover.core.models import Base

# Elasticsearch fixtures (es_url, es_client, es_backend): one osmem-server per session.
pytest_plugins = ["es.osmem"]

PG_URL = os.environ.get("REDISCOVER_TEST_DATABASE_URL", "")


@pytest.fixture
def sqlite_engine(tmp_path) -> Engine:
    engine = make_engine(sqlite_url(tmp_path / "store.sqlite"))
    Base.metadata.create_all(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def session_factory(sqlite_engine) -> sessionmaker[Session]:
    return sessionmaker(sqlite_engine, expire_on_commit=False)


@pytest.fixture
def session(session_factory) -> Session:
    with session_factory() as s:
        yield s


@pytest.fixture(scope="session")
def pg_engine() -> Engine:
    if not PG_URL:
        pytest.skip("REDISCOVER_TEST_DATABASE_URL is not set: the PostgreSQL half of the "
                    "store tests needs a server; make test sets it to 127.0.0.1:5432/test")
    engine = make_engine(PG_URL)
    schema = f"rediscover_test_{os.getpid()}"
    with engine.begin() as conn:
        conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    engine.dispose()
    engine = _pg_engine_on_schema(schema)
    Base.metadata.create_all(engine)
    yield engine
    engine.dispose()
    with make_engine(PG_URL).begin() as conn:
        conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))


def _pg_engine_on_schema(schema: str) -> Engine:
    from sqlalchemy import create_engine

    return create_engine(
        PG_URL, connect_args={"options": f"-csearch_path={schema}"}, pool_pre_ping=True
    )


@dataclass
class Store:
    """A database to run store tests against, and how to open sessions on it."""

    dialect: str
    session_factory: sessionmaker[Session]


@pytest.fixture(params=["sqlite", "postgresql"])
def store(request, tmp_path) -> Store:
    if request.param == "sqlite":
        engine = make_engine(sqlite_url(tmp_path / "store.sqlite"))
        Base.metadata.create_all(engine)
        yield Store("sqlite", sessionmaker(engine, expire_on_commit=False))
        engine.dispose()
        return
    engine = request.getfixturevalue("pg_engine")
    connection = engine.connect()
    outer = connection.begin()
    factory = sessionmaker(
        bind=connection, expire_on_commit=False, join_transaction_mode="create_savepoint"
    )
    yield Store("postgresql", factory)
    outer.rollback()
    connection.close()
