"""The store holds on SQLite and PostgreSQL alike: constraints, types, migrations."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from rediscover.core.db import make_engine, sqlite_url
from rediscover.core.migrate import upgrade
from rediscover.core.models import Application, Base, Candidate, Connection, Team


def _connection(session) -> Connection:
    team = Team(name="Acme")
    conn = Connection(team=team, name="gh", ats="greenhouse", base_url="http://x")
    session.add(conn)
    session.flush()
    return conn


def test_candidate_is_unique_per_connection_and_remote_id(store):
    with store.session_factory() as s:
        conn = _connection(s)
        s.add(Candidate(connection_id=conn.id, remote_id="1", first_name="A"))
        s.flush()
        s.add(Candidate(connection_id=conn.id, remote_id="1", first_name="B"))
        with pytest.raises(IntegrityError):
            s.flush()


def test_datetimes_come_back_aware_utc(store):
    when = datetime(2024, 2, 14, 17, 5, 11, tzinfo=timezone(timedelta(hours=1)))
    with store.session_factory() as s:
        conn = _connection(s)
        cand = Candidate(connection_id=conn.id, remote_id="1")
        s.add(cand)
        s.flush()
        s.add(Application(connection_id=conn.id, remote_id="a", candidate_id=cand.id,
                          status="closed", last_activity_at=when))
        s.commit()
    with store.session_factory() as s:
        got = s.scalar(select(Application.last_activity_at))
    assert got == when and got.tzinfo is not None and got.utcoffset() == timedelta(0)


def test_naive_datetime_is_refused(store):
    with store.session_factory() as s:
        conn = _connection(s)
        s.add(Candidate(connection_id=conn.id, remote_id="1",
                        last_activity_at=datetime(2024, 1, 1)))
        with pytest.raises(Exception, match="naive datetime"):
            s.flush()


def test_migrations_match_the_models(tmp_path):
    """Alembic head creates exactly the schema the models declare (no forgotten migration)."""
    engine = make_engine(sqlite_url(tmp_path / "migrated.sqlite"))
    upgrade(engine)
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert diff == []
