"""Users and access: login, tokens, team scoping, confidential jobs, admin-only endpoints."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from rediscover.core.models import Candidate, CandidateEmail
from web_support import login

ENDPOINTS = [("GET", "/api/v1/search"), ("POST", "/api/v1/facets"), ("GET", "/api/v1/people/1"),
             ("GET", "/api/v1/jobs"), ("GET", "/api/v1/me"), ("GET", "/api/v1/sequences"),
             ("POST", "/api/v1/sequences"), ("POST", "/api/v1/sequences/1/enrollments"),
             ("GET", "/api/v1/bulk-jobs/1"), ("GET", "/api/v1/sequences/1/export.csv"),
             ("GET", "/api/v1/admin/users"), ("GET", "/api/v1/admin/audit"),
             ("PATCH", "/api/v1/admin/stages/1"), ("GET", "/api/v1/sync/runs")]


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def person_id(svc, email: str) -> int:
    with svc.session_factory() as session:
        return session.scalar(
            select(Candidate.person_id).join(CandidateEmail).where(CandidateEmail.normalized == email))


@pytest.mark.parametrize("method,path", ENDPOINTS)
def test_every_endpoint_answers_401_json_without_credentials(client, method, path):
    response = client.open(path, method=method, json={})
    assert response.status_code == 401
    assert response.get_json()["error"]["code"] == "unauthorized"


def test_a_bad_token_is_401_json(client, token):
    response = client.get("/api/v1/me", headers=bearer(token + "x"))
    assert response.status_code == 401 and response.get_json()["error"]["code"] == "unauthorized"


def test_pages_redirect_to_login(client):
    for path in ("/", "/sequences", "/admin"):
        response = client.get(path)
        assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_login_sets_a_session_that_the_api_accepts(client, acme):
    csrf = login(client, acme["outsider"]["email"])
    assert client.get("/api/v1/me").get_json()["email"] == acme["outsider"]["email"]
    assert client.get("/").status_code == 200
    # writes through the session need the page's CSRF token
    denied = client.post("/api/v1/sequences", json={"name": "x"})
    assert denied.status_code == 403 and denied.get_json()["error"]["code"] == "csrf_failed"
    ok = client.post("/api/v1/sequences", json={"name": "x"}, headers={"X-CSRF-Token": csrf})
    assert ok.status_code == 201


def test_wrong_password_and_inactive_user_cannot_log_in(client, svc, acme):
    client.get("/login")
    with client.session_transaction() as sess:
        csrf = sess["csrf"]
    bad = client.post("/login", data={"email": acme["outsider"]["email"], "password": "nope-nope",
                                      "csrf": csrf})
    assert bad.status_code == 401 and b"Wrong email or password" in bad.data
    assert client.get("/api/v1/me").status_code == 401
    client.patch(f"/api/v1/admin/users/{acme['outsider']['id']}", json={"active": False},
                 headers=bearer(acme["admin"]["token"]))
    inactive = client.post("/login", data={"email": acme["outsider"]["email"],
                                           "password": "correct horse battery", "csrf": csrf})
    assert inactive.status_code == 401


def test_logout_ends_the_session(client, acme):
    csrf = login(client, acme["outsider"]["email"])
    client.post("/logout", data={"csrf": csrf})
    assert client.get("/api/v1/me").status_code == 401


def test_login_does_not_redirect_off_site(client, acme):
    client.get("/login")
    with client.session_transaction() as sess:
        csrf = sess["csrf"]
    response = client.post("/login?next=//evil.example/x", data={
        "email": acme["outsider"]["email"], "password": "correct horse battery", "csrf": csrf})
    assert response.headers["Location"] == "/"


def test_a_recruiter_never_sees_another_teams_people(client, svc, acme):
    stranger = bearer(acme["stranger"]["token"])
    assert client.post("/api/v1/search", json={"include_active": True}, headers=stranger).get_json()["total"] == 0
    facets = client.post("/api/v1/facets", json={"include_active": True}, headers=stranger).get_json()
    assert all(values == [] for values in facets["facets"].values())
    assert client.get("/api/v1/jobs", headers=stranger).get_json()["jobs"] == []
    pid = person_id(svc, "sofia.rossi@example.it")
    assert client.get(f"/api/v1/people/{pid}", headers=stranger).status_code == 404


def test_confidential_applicants_appear_only_for_the_hiring_team(client, svc, acme):
    def names(token):
        page = client.post("/api/v1/search", json={"include_active": True, "limit": 50},
                           headers=bearer(token)).get_json()
        return {r["name"] for r in page["results"]}

    assert "Aisha Khan" in names(acme["manager"]["token"])
    assert "Aisha Khan" not in names(acme["outsider"]["token"])
    pid = person_id(svc, "aisha.khan@example.co.uk")
    assert client.get(f"/api/v1/people/{pid}", headers=bearer(acme["outsider"]["token"])).status_code == 404


def test_job_autocomplete_by_title_and_requisition_id_hides_confidential_jobs(client, acme):
    def titles(token, q):
        jobs = client.get(f"/api/v1/jobs?q={q}", headers=bearer(token)).get_json()["jobs"]
        return [j["title"] for j in jobs]

    assert titles(acme["outsider"]["token"], "ENG-231") == ["Senior Backend Engineer"]
    assert "VP of Engineering" in titles(acme["manager"]["token"], "vp")
    assert titles(acme["outsider"]["token"], "vp") == []
    assert titles(acme["outsider"]["token"], "EXEC-009") == []


def test_job_autocomplete_rejects_a_bad_limit(client, acme):
    body = client.get("/api/v1/jobs?limit=abc", headers=bearer(acme["outsider"]["token"])).get_json()
    assert body["error"]["field"] == "limit"


def test_admin_endpoints_are_for_admins_only(client, acme):
    response = client.get("/api/v1/admin/users", headers=bearer(acme["outsider"]["token"]))
    assert response.status_code == 403 and response.get_json()["error"]["code"] == "forbidden"
    users = client.get("/api/v1/admin/users", headers=bearer(acme["admin"]["token"])).get_json()["users"]
    assert {u["email"] for u in users} == {"outsider@example.test", "manager@example.test",
                                           "admin@example.test"}  # not the other team's


def test_admin_adds_a_user_who_can_then_log_in(client, acme):
    admin = bearer(acme["admin"]["token"])
    created = client.post("/api/v1/admin/users", headers=admin, json={
        "email": "New@Example.test", "role": "recruiter", "password": "long enough pw",
        "ats_identities": {"acme": "103"}})
    assert created.status_code == 201 and created.get_json()["api_token"].startswith("rdk_")
    login(client, "new@example.test", "long enough pw")
    assert client.get("/api/v1/me").get_json()["team"] == "Acme"
    short = client.post("/api/v1/admin/users", headers=admin, json={"email": "b@x.test", "password": "short"})
    assert short.status_code == 400 and short.get_json()["error"]["field"] == "password"
    unknown = client.post("/api/v1/admin/users", headers=admin,
                          json={"email": "c@x.test", "ats_identities": {"nope": "1"}})
    assert unknown.get_json()["error"]["field"] == "ats_identities"


def test_admin_deactivates_a_user_whose_token_stops_working(client, acme):
    admin = bearer(acme["admin"]["token"])
    assert client.patch(f"/api/v1/admin/users/{acme['outsider']['id']}", headers=admin,
                        json={"active": False}).status_code == 200
    assert client.get("/api/v1/me", headers=bearer(acme["outsider"]["token"])).status_code == 401
    other = client.patch(f"/api/v1/admin/users/{acme['stranger']['id']}", headers=admin, json={"active": False})
    assert other.status_code == 404


def test_admin_remaps_a_stage_and_search_follows(client, acme):
    admin = bearer(acme["admin"]["token"])
    [conn] = client.get("/api/v1/admin/connections", headers=admin).get_json()["connections"]
    stages = client.get(f"/api/v1/admin/connections/{conn['id']}/stages", headers=admin).get_json()["stages"]
    offer = [s for s in stages if s["milestone"] == "offer"]
    before = client.post("/api/v1/search", json={"reached_stage": "offer"}, headers=admin).get_json()["total"]
    assert before > 0
    for stage in offer:
        changed = client.patch(f"/api/v1/admin/stages/{stage['id']}", headers=admin, json={"milestone": "onsite"})
        assert changed.get_json()["source"] == "admin"
    after = client.post("/api/v1/search", json={"reached_stage": "offer"}, headers=admin).get_json()["total"]
    assert after == 0
    bad = client.patch(f"/api/v1/admin/stages/{offer[0]['id']}", headers=admin, json={"milestone": "onsight"})
    assert bad.status_code == 400 and bad.get_json()["error"]["field"] == "milestone"


def test_admin_disables_a_connection(client, acme):
    admin = bearer(acme["admin"]["token"])
    [conn] = client.get("/api/v1/admin/connections", headers=admin).get_json()["connections"]
    body = client.patch(f"/api/v1/admin/connections/{conn['id']}", headers=admin, json={"enabled": False}).get_json()
    assert body["enabled"] is False and "credentials" not in body


def test_the_audit_trail_records_searches_views_and_logins(client, svc, acme):
    csrf = login(client, acme["outsider"]["email"])
    client.post("/api/v1/search", json={"query": "kotlin", "reached_stage": "onsite"},
                headers={"X-CSRF-Token": csrf})
    pid = person_id(svc, "sofia.rossi@example.it")
    client.get(f"/api/v1/people/{pid}")
    events = client.get("/api/v1/admin/audit", headers=bearer(acme["admin"]["token"])).get_json()["events"]
    actions = [(e["user"], e["action"]) for e in events]
    assert actions[:3] == [("outsider@example.test", "view_person"), ("outsider@example.test", "search"),
                           ("outsider@example.test", "login")]
    assert events[1]["details"]["filters"] == {"query": "kotlin", "reached_stage": "onsite"}
    assert events[0]["target"] == f"person:{pid}"


def test_every_api_route_is_in_the_openapi_document(app, client):
    spec = client.get("/api/v1/openapi.json").get_json()
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/v1/"):
            continue
        path = rule.rule.removeprefix("/api/v1").replace("<int:", "{").replace("<", "{").replace(">", "}")
        assert path in spec["paths"], rule.rule
        methods = rule.methods - {"HEAD", "OPTIONS"}
        assert methods <= {m.upper() for m in spec["paths"][path]}, rule.rule


def test_cli_adds_a_user_with_a_password_and_resets_it(app, svc):
    from rediscover.core import accounts
    from rediscover.web.cli import cli

    runner = app.test_cli_runner()
    added = runner.invoke(cli, ["users", "add", "cli@example.test", "--password", "first password"])
    assert added.exit_code == 0, added.output
    changed = runner.invoke(cli, ["users", "password", "cli@example.test"],
                            input="second password\nsecond password\n")
    assert changed.exit_code == 0, changed.output
    short = runner.invoke(cli, ["users", "add", "x@example.test", "--password", "short"])
    assert short.exit_code != 0 and "8 characters" in short.output
    with svc.session_factory() as session:
        assert accounts.authenticate(session, "cli@example.test", "first password") is None
        assert accounts.authenticate(session, "CLI@example.test", "second password") is not None


def test_login_without_the_form_token_is_refused(client, acme):
    response = client.post("/login", data={"email": acme["outsider"]["email"],
                                           "password": "correct horse battery"})
    assert response.status_code == 401
    assert client.get("/api/v1/me").status_code == 401
