"""Operator visibility: runs per connection (API and CLI), errors, rate vs. budget, "as of"."""
from __future__ import annotations

import json

from click.testing import CliRunner
from flask.cli import ScriptInfo
from sqlalchemy import select

from rediscover.core.models import CandidateEmail, Candidate, SyncRun
from rediscover.web import jobs
from rediscover.web.cli import cli


def test_runs_are_grouped_per_connection_with_rate_and_errors(client, svc, fake, auth):
    fake.faults.server_error("/v3/candidates", times=float("inf"))
    assert jobs.sync_connection(svc.session_factory, "acme").status == "failed"

    body = client.get("/api/v1/sync/runs", headers=auth).get_json()

    [conn] = body["connections"]
    assert conn["connection"] == "acme" and conn["ats"] == "greenhouse"
    assert conn["syncing"] is False and conn["candidates"] == 10
    failed, ok = conn["runs"][:2]
    assert (failed["status"], ok["status"]) == ("failed", "succeeded")
    assert "HTTP 500" in failed["error"] and failed["failure_count"] == 1
    assert failed["failures"][0]["resource"] == "candidates"
    assert ok["requests"] > 0 and ok["rate_budget"] > 0
    assert ok["counts"]["fetched"] > 0 and ok["duration_s"] is not None
    assert body["runs"][0]["id"] == failed["id"]  # the flat list stays, newest first


def test_a_bad_limit_is_a_400_naming_the_parameter(client, fake, auth):
    response = client.get("/api/v1/sync/runs?limit=lots", headers=auth)
    assert response.status_code == 400
    assert response.get_json()["error"]["field"] == "limit"


def test_person_as_of_is_when_the_data_was_last_confirmed(client, svc, fake, auth):
    with svc.session_factory() as s:
        pid = s.scalar(select(Candidate.person_id).join(CandidateEmail).where(
            CandidateEmail.normalized == "sofia.rossi@example.it"))
    second = jobs.sync_connection(svc.session_factory, "acme")

    body = client.get(f"/api/v1/people/{pid}", headers=auth).get_json()

    # Confirmed by the second (empty) sync, though Sofia's rows last changed in the first.
    assert body["as_of"] == second.started_at.isoformat()


def test_cli_sync_status(app, svc, fake):
    runner = CliRunner()
    info = ScriptInfo(create_app=lambda: app)
    text = runner.invoke(cli, ["sync", "status"], obj=info, catch_exceptions=False)
    as_json = runner.invoke(cli, ["sync", "status", "--json"], obj=info, catch_exceptions=False)

    assert text.exit_code == 0, text.output
    assert "acme (greenhouse): 10 candidates" in text.output
    assert "succeeded" in text.output and "budget" in text.output
    [row] = json.loads(as_json.output)["connections"]
    with svc.session_factory() as s:
        assert row["runs"][0]["id"] == s.scalar(select(SyncRun.id).order_by(SyncRun.id.desc()))
