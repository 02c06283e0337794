"""App and client fixtures: a real app on a fresh SQLite file per test."""
from __future__ import annotations

import pytest

from rediscover.core import accounts
from rediscover.core.models import Connection
from rediscover.fakeats.greenhouse import (
    FIXTURE_CLIENT_ID,
    FIXTURE_CLIENT_SECRET,
    WEBHOOK_FIXTURE_SECRET,
    create_app as create_fake_greenhouse,
    get_state,
    load_fixture_dataset,
)
from rediscover.fakeats.server import serve_in_thread
from rediscover.web import create_app, jobs


@pytest.fixture
def app(tmp_path):
    app = create_app({"TESTING": True, "DATABASE_URL": f"sqlite:///{tmp_path / 'web.sqlite'}"})
    yield app
    app.extensions["rediscover"].engine.dispose()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def svc(app):
    return app.extensions["rediscover"]


@pytest.fixture
def token(svc) -> str:
    """An API token of a recruiter on team "Acme"."""
    with svc.session_factory.begin() as session:
        team = accounts.get_or_create_team(session, "Acme")
        _, token = accounts.create_user(session, team, "jo@acme.example")
    return token


@pytest.fixture
def auth(token) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def fake(svc):
    """The fixture scenario served by a fake v3 server, synced and indexed into team Acme."""
    app = create_fake_greenhouse(load_fixture_dataset(), rate_limit=10_000)
    base_url, stop = serve_in_thread(app)
    with svc.session_factory.begin() as session:
        team = accounts.get_or_create_team(session, "Acme")
        session.add(Connection(team_id=team.id, name="acme", ats="greenhouse",
                               base_url=f"{base_url}/v3", token_url=f"{base_url}/token",
                               credentials={"client_id": FIXTURE_CLIENT_ID,
                                            "client_secret": FIXTURE_CLIENT_SECRET,
                                            "user_id": "101",
                                            "webhook_secret": WEBHOOK_FIXTURE_SECRET}))
    assert jobs.sync_connection(svc.session_factory, "acme").status == "succeeded"
    jobs.index_changes(svc)
    yield get_state(app)
    stop()
