"""App and client fixtures: a real app on a fresh SQLite file per test."""
from __future__ import annotations

import pytest
from werkzeug.security import generate_password_hash

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
from web_support import PASSWORD


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


# Hashed once, cheaply: production's scrypt costs ~1 s per hash under a loaded test run.
PASSWORD_HASH = generate_password_hash(PASSWORD, method="pbkdf2:sha256:1000")


@pytest.fixture
def acme(svc):
    """The Greenhouse fixture scenario synced for team Acme, with users who can log in.

    ``outsider`` (recruiter, ATS user 104: off the confidential VP job), ``manager`` (recruiter,
    ATS user 103: the VP job's hiring manager), ``admin`` (admin of Acme) and ``stranger``
    (recruiter of another team). Each entry: {"email", "token", "id"}; password ``PASSWORD``.
    """
    from rediscover.core.models import Connection
    from rediscover.fakeats.greenhouse import (
        FIXTURE_CLIENT_ID,
        FIXTURE_CLIENT_SECRET,
        create_app as create_fake_greenhouse,
        load_fixture_dataset,
    )
    from rediscover.fakeats.server import serve_in_thread
    from rediscover.web import jobs

    base_url, stop = serve_in_thread(create_fake_greenhouse(load_fixture_dataset()))
    users = {}
    try:
        with svc.session_factory.begin() as session:
            team = accounts.get_or_create_team(session, "Acme")
            conn = Connection(team_id=team.id, name="acme", ats="greenhouse", base_url=f"{base_url}/v3",
                              token_url=f"{base_url}/token",
                              credentials={"client_id": FIXTURE_CLIENT_ID,
                                           "client_secret": FIXTURE_CLIENT_SECRET, "user_id": "101"})
            session.add(conn)
            session.flush()
            other = accounts.get_or_create_team(session, "Globex")
            for key, team_row, role, ident in (("outsider", team, "recruiter", {conn: "104"}),
                                               ("manager", team, "recruiter", {conn: "103"}),
                                               ("admin", team, "admin", {conn: "104"}),
                                               ("stranger", other, "recruiter", {})):
                email = f"{key}@example.test"
                user, token = accounts.create_user(session, team_row, email, role=role,
                                                   ats_identities=ident)
                user.password_hash = PASSWORD_HASH
                session.flush()
                users[key] = {"email": email, "token": token, "id": user.id}
        assert jobs.sync_connection(svc.session_factory, "acme").status == "succeeded"
        jobs.index_changes(svc)
    finally:
        stop()
    return users

