"""Evaluation intake, the rejection-reason map, saved searches and digests, through the API."""
from __future__ import annotations

import hashlib
import hmac
import json
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select, update

from rediscover.core import accounts
from rediscover.core.models import Connection, Evaluation, SavedSearch
from rediscover.fakeats.greenhouse import (
    FIXTURE_CLIENT_ID,
    FIXTURE_CLIENT_SECRET,
    create_app as create_fake_greenhouse,
    load_fixture_dataset,
)
from rediscover.fakeats.server import serve_in_thread
from rediscover.web import create_app, jobs
from rediscover.web.digests import run_digests

SECRET = "s3cret"
SOFIA_APP = {"connection": "acme", "remote_id": "70000101"}  # Sofia Rossi, rejected


@pytest.fixture
def app(tmp_path):
    app = create_app(
        {
            "TESTING": True,
            "DATABASE_URL": f"sqlite:///{tmp_path / 'web.sqlite'}",
            "EVALUATION_SECRETS": {"1": SECRET},
        }
    )
    yield app
    app.extensions["rediscover"].engine.dispose()


@pytest.fixture
def users(svc):
    """Sync the Greenhouse fixture for team 1 and return an admin's and a recruiter's tokens."""
    base_url, stop = serve_in_thread(create_fake_greenhouse(load_fixture_dataset()))
    try:
        with svc.session_factory.begin() as session:
            team = accounts.get_or_create_team(session, "Acme")
            assert team.id == 1
            conn = Connection(team_id=team.id, name="acme", ats="greenhouse", base_url=f"{base_url}/v3",
                              token_url=f"{base_url}/token",
                              credentials={"client_id": FIXTURE_CLIENT_ID,
                                           "client_secret": FIXTURE_CLIENT_SECRET, "user_id": "101"})
            session.add(conn)
            session.flush()
            _, admin = accounts.create_user(session, team, "ada@acme.example", role="admin")
            _, recruiter = accounts.create_user(session, team, "rob@acme.example")
        assert jobs.sync_connection(svc.session_factory, "acme").status == "succeeded"
        jobs.index_changes(svc)
    finally:
        stop()
    return {"admin": {"Authorization": f"Bearer {admin}"},
            "recruiter": {"Authorization": f"Bearer {recruiter}"}}


def signed(body: dict, secret: str = SECRET, team: str = "1") -> dict:
    raw = json.dumps(body).encode()
    digest = hmac.new(secret.encode(), raw, hashlib.sha256).hexdigest()
    return {"data": raw, "content_type": "application/json",
            "headers": {"X-Rediscover-Team": team, "X-Rediscover-Signature": f"sha256={digest}"}}


def assessment(**extra) -> dict:
    return {"provider": "iMocha", "external_id": "a-1", "kind": "assessment", "status": "completed",
            "score": 45, "max_score": 50, "result_url": "https://imocha.example/r/a-1",
            "completed_at": "2024-02-10T12:00:00Z", "application": SOFIA_APP, **extra}


def names(client, headers, **filters) -> list[str]:
    page = client.post("/api/v1/search", json={"limit": 50, **filters}, headers=headers).get_json()
    return [r["name"] for r in page["results"]]


# --------------------------------------------------------------------------- evaluations


def test_intake_is_signed_idempotent_and_feeds_filters_and_the_person_view(client, svc, users):
    first = client.post("/api/v1/evaluations", **signed(assessment()))
    assert first.status_code == 201 and first.get_json()["evaluation"]["percent"] == 90.0
    again = client.post("/api/v1/evaluations", **signed(assessment(score=48)))
    assert again.status_code == 200 and again.get_json()["created"] is False
    with svc.session_factory() as session:
        rows = session.scalars(select(Evaluation)).all()
        assert [(r.provider, r.score) for r in rows] == [("imocha", 48.0)]
    jobs.index_changes(svc)
    assert names(client, users["recruiter"], assessment_min=95) == ["Sofia Rossi"]
    assert names(client, users["recruiter"], assessment_min=97) == []
    person = names_and_ids(client, users["recruiter"])["Sofia Rossi"]
    detail = client.get(f"/api/v1/people/{person}", headers=users["recruiter"]).get_json()
    evaluations = [e for a in detail["applications"] for e in a["evaluations"]]
    assert evaluations[0]["result_url"] == "https://imocha.example/r/a-1"
    assert detail["best_match"]["contributions"]["evaluations"] > 0
    assert detail["best_match"]["why"]


def names_and_ids(client, headers) -> dict[str, int]:
    page = client.post("/api/v1/search", json={"limit": 50}, headers=headers).get_json()
    return {r["name"]: r["person_id"] for r in page["results"]}


@pytest.mark.parametrize(
    ("kwargs", "status"),
    [({"secret": "wrong"}, 401), ({"team": "2"}, 401), ({"team": ""}, 401)],
)
def test_intake_rejects_bad_signatures(client, users, kwargs, status):
    response = client.post("/api/v1/evaluations", **signed(assessment(), **kwargs))
    assert response.status_code == status
    assert response.get_json()["error"]["code"] == "unauthorized"


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"kind": "horoscope"}, "kind"),
        ({"status": "done"}, "status"),
        ({"score": "high"}, "score"),
        ({"score": 60}, "score"),
        ({"external_id": None}, "external_id"),
        ({"result_url": "javascript:alert(1)"}, "result_url"),
        ({"completed_at": "yesterday"}, "completed_at"),
        ({"application": {"connection": "acme", "remote_id": "nope"}}, "application"),
    ],
)
def test_intake_names_the_bad_field(client, users, change, field):
    response = client.post("/api/v1/evaluations", **signed(assessment(**change)))
    assert response.status_code == 400
    assert response.get_json()["error"]["field"] == field


# --------------------------------------------------------------------------- taxonomy


def test_admins_edit_the_reason_map_and_search_follows(client, svc, users):
    listing = client.get("/api/v1/rejection-reasons", headers=users["recruiter"]).get_json()
    by_name = {r["name"]: r for r in listing["rejection_reasons"]}
    comp = by_name["Compensation expectations"]
    assert (comp["shared_reason"], comp["safe_to_reengage"], comp["source"]) == ("compensation", True, "default")
    assert names(client, users["recruiter"], shared_reasons=["compensation"]) == ["Sofia Rossi"]
    url = f"/api/v1/rejection-reasons/{comp['id']}"
    denied = client.put(url, json={"shared_reason": "skills_gap"}, headers=users["recruiter"])
    assert denied.status_code == 403
    bad = client.put(url, json={"shared_reason": "vibes"}, headers=users["admin"])
    assert bad.status_code == 400 and bad.get_json()["error"]["field"] == "shared_reason"
    edited = client.put(url, json={"shared_reason": "skills_gap"}, headers=users["admin"]).get_json()
    assert (edited["shared_reason"], edited["source"]) == ("skills_gap", "admin")
    jobs.index_changes(svc)
    assert names(client, users["recruiter"], shared_reasons=["compensation"]) == []
    assert "Sofia Rossi" in names(client, users["recruiter"], safe_to_reengage=False)


def test_unknown_shared_reason_filter_is_a_400(client, users):
    response = client.post("/api/v1/search", json={"shared_reasons": ["nope"]}, headers=users["recruiter"])
    assert response.status_code == 400 and response.get_json()["error"]["field"] == "shared_reasons"


def test_search_rows_carry_contributions_and_why(client, users):
    page = client.post("/api/v1/search", json={}, headers=users["recruiter"]).get_json()
    for row in page["results"]:
        assert sum(row["contributions"].values()) == row["score"]
        assert row["why"]


# --------------------------------------------------------------------------- saved searches


def test_saved_searches_count_new_people_since_the_owner_looked(client, svc, users):
    created = client.post("/api/v1/saved-searches", json={"name": "Silver", "filters": {"reached_stage": "onsite"}},
                          headers=users["recruiter"])
    assert created.status_code == 201
    saved_id = created.get_json()["id"]
    dup = client.post("/api/v1/saved-searches", json={"name": "Silver"}, headers=users["recruiter"])
    assert dup.status_code == 409 and dup.get_json()["error"]["field"] == "name"
    listing = client.get("/api/v1/saved-searches", headers=users["recruiter"]).get_json()
    assert listing["saved_searches"][0]["new_count"] == 0  # nothing moved since it was saved
    with svc.session_factory.begin() as session:
        session.execute(update(SavedSearch).values(last_viewed_at=datetime(2024, 1, 1, tzinfo=timezone.utc)))
    listing = client.get("/api/v1/saved-searches", headers=users["recruiter"]).get_json()
    total = client.post("/api/v1/search", json={"reached_stage": "onsite"}, headers=users["recruiter"]).get_json()
    assert listing["saved_searches"][0]["new_count"] == total["total"] > 0
    results = client.get(f"/api/v1/saved-searches/{saved_id}/results", headers=users["recruiter"]).get_json()
    assert results["total"] == total["total"]
    listing = client.get("/api/v1/saved-searches", headers=users["recruiter"]).get_json()
    assert listing["saved_searches"][0]["new_count"] == 0
    other = client.get(f"/api/v1/saved-searches/{saved_id}/results", headers=users["admin"])
    assert other.status_code == 404


def test_saved_search_validates_its_filters(client, users):
    response = client.post("/api/v1/saved-searches", json={"name": "x", "filters": {"reached_stage": "moon"}},
                           headers=users["recruiter"])
    assert response.status_code == 400 and response.get_json()["error"]["field"] == "reached_stage"


def test_daily_digest_goes_to_the_webhook_once_a_day(client, svc, users):
    client.post("/api/v1/saved-searches", json={"name": "Digest", "filters": {},
                                                "digest_webhook_url": "https://hooks.example/x"},
                headers=users["recruiter"])
    with svc.session_factory.begin() as session:
        session.execute(update(SavedSearch).values(created_at=datetime(2024, 1, 1, tzinfo=timezone.utc)))
    sent: list[tuple[str, dict]] = []
    now = datetime.now(timezone.utc)
    assert run_digests(svc, now=now, send=lambda url, body: sent.append((url, body))) == 1
    assert sent[0][0] == "https://hooks.example/x"
    assert sent[0][1]["new_count"] == len(sent[0][1]["people"]) > 0
    assert run_digests(svc, now=now + timedelta(hours=1), send=lambda u, b: sent.append((u, b))) == 0
    assert len(sent) == 1


def test_a_failed_delivery_is_retried_on_the_next_run(client, svc, users):
    client.post("/api/v1/saved-searches", json={"name": "Digest", "digest_webhook_url": "https://hooks.example/x"},
                headers=users["recruiter"])
    with svc.session_factory.begin() as session:
        session.execute(update(SavedSearch).values(created_at=datetime(2024, 1, 1, tzinfo=timezone.utc)))

    def broken(url, body):
        raise OSError("receiver down")

    now = datetime.now(timezone.utc)
    assert run_digests(svc, now=now, send=broken) == 0
    sent = []
    assert run_digests(svc, now=now, send=lambda u, b: sent.append(b)) == 1


def test_new_endpoints_are_documented(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    assert {"/evaluations", "/rejection-reasons", "/rejection-reasons/{reason_id}", "/saved-searches",
            "/saved-searches/{saved_id}/results", "/saved-searches/{saved_id}"} <= set(spec["paths"])
    assert {"contributions", "why"} <= set(spec["components"]["schemas"]["ResultRow"]["properties"])
