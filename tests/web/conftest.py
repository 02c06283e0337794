"""App and client fixtures: a real app on a fresh SQLite file per test."""
from __future__ import annotations

import pytest

from rediscover.core import accounts
from rediscover.web import create_app


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
