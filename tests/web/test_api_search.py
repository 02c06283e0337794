"""The search API on a synced Greenhouse fixture: rows, facets, person view, visibility."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from rediscover.core import accounts
from rediscover.core.models import (
    Application,
    Candidate,
    CandidateEmail,
    Connection,
    IndexQueue,
    Job,
)
from rediscover.fakeats.greenhouse import (
    FIXTURE_CLIENT_ID,
    FIXTURE_CLIENT_SECRET,
    create_app as create_fake_greenhouse,
    load_fixture_dataset,
)
from rediscover.fakeats.server import serve_in_thread
from rediscover.web import jobs


@pytest.fixture
def tokens(svc):
    """Sync the fixture scenario and return API tokens of an outsider and the VP job's manager."""
    base_url, stop = serve_in_thread(create_fake_greenhouse(load_fixture_dataset()))
    try:
        with svc.session_factory.begin() as session:
            team = accounts.get_or_create_team(session, "Acme")
            conn = Connection(team_id=team.id, name="acme", ats="greenhouse", base_url=f"{base_url}/v3",
                              token_url=f"{base_url}/token",
                              credentials={"client_id": FIXTURE_CLIENT_ID,
                                           "client_secret": FIXTURE_CLIENT_SECRET, "user_id": "101"})
            session.add(conn)
            session.flush()
            _, outsider = accounts.create_user(session, team, "ivan@acme.example", ats_identities={conn: "104"})
            _, manager = accounts.create_user(session, team, "harold@acme.example", ats_identities={conn: "103"})
            other = accounts.get_or_create_team(session, "Globex")
            _, stranger = accounts.create_user(session, other, "eve@globex.example")
        assert jobs.sync_connection(svc.session_factory, "acme").status == "succeeded"
        jobs.index_changes(svc)
    finally:
        stop()
    return {"outsider": outsider, "manager": manager, "stranger": stranger}


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def person_id(svc, email: str) -> int:
    with svc.session_factory() as session:
        return session.scalar(
            select(Candidate.person_id).join(CandidateEmail).where(CandidateEmail.normalized == email)
        )


def test_search_rows_and_paging(client, tokens):
    headers = bearer(tokens["manager"])
    first = client.post("/api/v1/search", json={"reached_stage": "onsite", "limit": 1}, headers=headers).get_json()
    assert first["total"] == 2 and len(first["results"]) == 1 and first["next_cursor"]
    second = client.post("/api/v1/search", json={"reached_stage": "onsite", "limit": 1,
                                                 "cursor": first["next_cursor"]}, headers=headers).get_json()
    assert second["next_cursor"] is None
    assert {first["results"][0]["name"], second["results"][0]["name"]} == {"Sofia Rossi", "Aisha Khan"}


def test_get_search_takes_query_parameters(client, tokens):
    page = client.get("/api/v1/search?reached_stage=offer&tags=kotlin", headers=bearer(tokens["outsider"])).get_json()
    assert [r["name"] for r in page["results"]] == ["Sofia Rossi"]


def test_facets_hide_the_confidential_job_from_outsiders(client, tokens):
    def job_titles(token):
        facets = client.post("/api/v1/facets", json={"include_active": True}, headers=bearer(token)).get_json()
        return {f["label"] for f in facets["facets"]["job"]}

    assert "VP of Engineering" not in job_titles(tokens["outsider"])
    assert "VP of Engineering" in job_titles(tokens["manager"])


def test_facets_can_be_narrowed_to_some_names(client, tokens):
    body = client.get("/api/v1/facets?facets=milestone&facets=tag", headers=bearer(tokens["outsider"])).get_json()
    assert set(body["facets"]) == {"milestone", "tag"}


def test_person_view_shows_seen_applications_with_scorecards(client, svc, tokens):
    pid = person_id(svc, "sofia.rossi@example.it")
    body = client.get(f"/api/v1/people/{pid}", headers=bearer(tokens["outsider"])).get_json()
    assert body["name"] == "Sofia Rossi" and body["active"] is False
    [app] = body["applications"]
    assert app["job_title"] == "Senior Backend Engineer" and app["stage"] == "Offer"
    assert [s["stage"] for s in app["stages"]][-1] == "Offer"
    assert app["rejection_note"] == "Declined offer; comp gap ~15%."


def test_confidential_only_person_does_not_exist_for_outsiders(client, svc, tokens):
    pid = person_id(svc, "aisha.khan@example.co.uk")
    assert pid is not None
    assert client.get(f"/api/v1/people/{pid}", headers=bearer(tokens["outsider"])).status_code == 404
    assert client.get(f"/api/v1/people/{pid}", headers=bearer(tokens["manager"])).status_code == 200


def test_private_and_hired_people_are_404_for_everyone(client, svc, tokens):
    for email in ("m.oyelaran@globex-payments.example", "elena.petrova@example.net"):
        pid = person_id(svc, email)
        assert pid is not None, email
        assert client.get(f"/api/v1/people/{pid}", headers=bearer(tokens["manager"])).status_code == 404


def test_other_teams_see_nothing(client, svc, tokens):
    headers = bearer(tokens["stranger"])
    assert client.post("/api/v1/search", json={"include_active": True}, headers=headers).get_json()["total"] == 0
    pid = person_id(svc, "sofia.rossi@example.it")
    assert client.get(f"/api/v1/people/{pid}", headers=headers).status_code == 404


def test_sync_runs_are_listed_for_the_team(client, tokens):
    runs = client.get("/api/v1/sync/runs", headers=bearer(tokens["outsider"])).get_json()["runs"]
    assert runs and runs[0]["connection"] == "acme" and runs[0]["status"] == "succeeded"
    assert runs[0]["counts"]["fetched"] > 0 and runs[0]["requests"] > 0
    assert client.get("/api/v1/sync/runs", headers=bearer(tokens["stranger"])).get_json()["runs"] == []


def test_person_view_shows_merge_reasons_resume_status_and_duplicates(client, svc, tokens):
    pid = person_id(svc, "dana.whitfield@example.com")
    body = client.get(f"/api/v1/people/{pid}", headers=bearer(tokens["outsider"])).get_json()
    assert [(m["key"], m["value"]) for m in body["merged_by"]] == [
        ("email", "dana.whitfield@example.com")
    ]
    assert all(m["record"].startswith("acme:") for m in body["merged_by"])
    assert body["duplicates"] == []
    assert isinstance(body["has_resume_text"], bool)
    for f in body["resume_files"]:
        assert f["status"] in ("ok", "empty", "encrypted", "corrupt", "unsupported", "too_large",
                               "timeout", "failed", "pending", "not_downloaded")


def test_person_view_suggests_a_near_duplicate_without_merging_it(client, svc, tokens):
    pid = person_id(svc, "dana.whitfield@example.com")
    with svc.session_factory.begin() as session:
        dana = session.scalars(select(Candidate).where(Candidate.person_id == pid,
                                                       Candidate.company.is_not(None))).first()
        secret = session.scalar(select(Job).where(Job.confidential.is_(True)))
        twin = Candidate(connection_id=dana.connection_id, remote_id="twin-1",
                         first_name="Dana", last_name="Whitfeild", company=dana.company,
                         title=dana.title, location=dana.location)
        session.add(twin)
        session.flush()
        # Only on the confidential job: the twin exists for its hiring team only.
        session.add(Application(connection_id=secret.connection_id, remote_id="twin-app",
                                candidate_id=twin.id, job_id=secret.id, status="closed"))
        session.add(IndexQueue(candidate_id=twin.id))
    jobs.index_changes(svc)
    body = client.get(f"/api/v1/people/{pid}", headers=bearer(tokens["manager"])).get_json()
    [dup] = body["duplicates"]
    assert dup["name"] == "Dana Whitfeild" and dup["person_id"] != pid
    assert dup["shared"] == ["company", "title"]
    outsider = client.get(f"/api/v1/people/{pid}", headers=bearer(tokens["outsider"])).get_json()
    assert outsider["duplicates"] == []
