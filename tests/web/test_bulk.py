"""Bulk add to a sequence: eligibility re-check, report, idempotency, webhooks, CSV export."""
from __future__ import annotations

import csv
import io
import json
import threading
from datetime import timedelta

import pytest
from flask import Flask, request
from sqlalchemy import select

from rediscover.core.models import (
    Application,
    Candidate,
    CandidateEmail,
    Enrollment,
    WebhookDelivery,
)
from rediscover.fakeats.server import serve_in_thread
from rediscover.web import jobs, outbound as webhooks

SOFIA, AISHA, KENJI = "sofia.rossi@example.it", "aisha.khan@example.co.uk", "kenji.w@example.jp"
ELENA, MARCUS, TOM = "elena.petrova@example.net", "m.oyelaran@globex-payments.example", None


@pytest.fixture
def app(tmp_path):
    """The app with bulk jobs run inline and webhook back-off sleeps recorded, not slept."""
    from rediscover.web import create_app

    sleeps: list[float] = []
    app = create_app({"TESTING": True, "DATABASE_URL": f"sqlite:///{tmp_path / 'web.sqlite'}",
                      "BULK_INLINE": True, "WEBHOOK_SLEEP": sleeps.append})
    app.config["sleeps"] = sleeps
    yield app
    app.extensions["rediscover"].engine.dispose()


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def pid(svc, email: str) -> int:
    with svc.session_factory() as session:
        return session.scalar(
            select(Candidate.person_id).join(CandidateEmail).where(CandidateEmail.normalized == email))


def all_people(svc) -> list[int]:
    with svc.session_factory() as session:
        return sorted({p for p in session.scalars(select(Candidate.person_id)) if p})


def new_sequence(client, token, **extra) -> dict:
    response = client.post("/api/v1/sequences", json={"name": "Silver", "steps": "Day 1: hi", **extra},
                           headers=bearer(token))
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def add(client, token, seq_id, body, key=None):
    headers = bearer(token) | ({"Idempotency-Key": key} if key else {})
    return client.post(f"/api/v1/sequences/{seq_id}/enrollments", json=body, headers=headers)


def test_bulk_add_rechecks_every_person_and_reports_reasons(client, svc, acme):
    token = acme["outsider"]["token"]
    seq = new_sequence(client, token)
    response = add(client, token, seq["id"], {"person_ids": all_people(svc) + [99999]}, key="k1")
    assert response.status_code == 202
    job = response.get_json()["job"]
    assert job["status"] == "done" and job["added"] == 1 and job["already_there"] == 0
    reasons = job["skipped_reasons"]
    assert reasons == {"not_found": 1, "no_applications": 2, "confidential": 1, "active": 3,
                       "hired": 1, "private": 1}
    listed = {p["person_id"]: p["reason"] for p in job["skipped_people"]}
    assert listed[pid(svc, AISHA)] == "confidential" and listed[pid(svc, KENJI)] == "active"
    assert listed[pid(svc, ELENA)] == "hired" and listed[pid(svc, MARCUS)] == "private"
    # the hiring manager may add the confidential applicant
    manager = add(client, acme["manager"]["token"], seq["id"], {"person_ids": [pid(svc, AISHA)]}).get_json()
    assert manager["job"]["added"] == 1


def test_eligibility_is_checked_at_the_moment_of_the_action(client, svc, acme):
    """Search said closed; the person is hired since: the bulk add skips them."""
    token = acme["outsider"]["token"]
    seq = new_sequence(client, token)
    sofia = pid(svc, SOFIA)
    with svc.session_factory.begin() as session:
        app_row = session.scalar(select(Application).join(Candidate).where(Candidate.person_id == sofia))
        app_row.status = "hired"
    job = add(client, token, seq["id"], {"person_ids": [sofia]}).get_json()["job"]
    assert job["added"] == 0 and job["skipped_reasons"] == {"hired": 1}


def test_a_retried_request_adds_no_one_twice(client, svc, acme):
    token = acme["outsider"]["token"]
    seq = new_sequence(client, token)
    body = {"person_ids": [pid(svc, SOFIA)]}
    first = add(client, token, seq["id"], body, key="same")
    retry = add(client, token, seq["id"], body, key="same")
    assert first.status_code == 202 and retry.status_code == 200
    assert retry.get_json()["job"]["id"] == first.get_json()["job"]["id"]
    assert retry.get_json()["created"] is False
    again = add(client, token, seq["id"], body, key="other").get_json()["job"]
    assert again["added"] == 0 and again["already_there"] == 1
    with svc.session_factory() as session:
        assert len(session.scalars(select(Enrollment)).all()) == 1
    reused = add(client, token, seq["id"], {"person_ids": [pid(svc, AISHA)]}, key="same")
    assert reused.status_code == 409 and reused.get_json()["error"]["field"] == "idempotency_key"


def test_all_matching_adds_everyone_the_search_finds(client, svc, acme):
    token = acme["manager"]["token"]
    seq = new_sequence(client, token)
    total = client.post("/api/v1/search", json={"limit": 1}, headers=bearer(token)).get_json()["total"]
    job = add(client, token, seq["id"], {"filters": {"reached_stage": "application_review"}}).get_json()["job"]
    assert total == 2 and job["total"] == 2 and job["added"] == 2


@pytest.mark.parametrize("body,field", [
    ({}, "person_ids"),
    ({"person_ids": [], }, "person_ids"),
    ({"person_ids": ["a"]}, "person_ids"),
    ({"person_ids": [1], "filters": {}}, "person_ids"),
    ({"filters": {"reached_stage": "onsight"}}, "reached_stage"),
    ({"people": [1]}, "people"),
])
def test_bad_bulk_requests_are_400_naming_the_field(client, acme, body, field):
    token = acme["outsider"]["token"]
    seq = new_sequence(client, token)
    response = add(client, token, seq["id"], body)
    assert response.status_code == 400 and response.get_json()["error"]["field"] == field


def test_sequences_are_team_scoped(client, svc, acme):
    seq = new_sequence(client, acme["outsider"]["token"])
    stranger = acme["stranger"]["token"]
    assert add(client, stranger, seq["id"], {"person_ids": [1]}).status_code == 404
    assert client.get(f"/api/v1/sequences/{seq['id']}/export.csv", headers=bearer(stranger)).status_code == 404
    assert client.get("/api/v1/sequences", headers=bearer(stranger)).get_json()["sequences"] == []
    duplicate = client.post("/api/v1/sequences", json={"name": "Silver"}, headers=bearer(acme["manager"]["token"]))
    assert duplicate.status_code == 409 and duplicate.get_json()["error"]["field"] == "name"
    bad_url = client.post("/api/v1/sequences", json={"name": "W", "webhook_url": "ftp://x"},
                          headers=bearer(acme["manager"]["token"]))
    assert bad_url.get_json()["error"]["field"] == "webhook_url"


class Receiver:
    """A webhook receiver on 127.0.0.1: answers the scripted statuses, records what it got."""

    def __init__(self, statuses: list[int]):
        self.statuses, self.received = list(statuses), []
        self.lock = threading.Lock()
        app = Flask("receiver")

        @app.post("/hook")
        def hook():
            with self.lock:
                self.received.append((dict(request.headers), request.get_data()))
                status = self.statuses.pop(0) if self.statuses else 200
            return ("", status)

        self.url, self.stop = serve_in_thread(app)


def test_enrollments_are_delivered_signed_and_retried_with_backoff(client, app, svc, acme):
    receiver = Receiver([500, 503, 200])
    try:
        token = acme["manager"]["token"]
        seq = new_sequence(client, token, webhook_url=f"{receiver.url}/hook")
        secret = seq["webhook_secret"]
        job = add(client, token, seq["id"], {"person_ids": [pid(svc, SOFIA), pid(svc, AISHA)]}).get_json()["job"]
    finally:
        receiver.stop()
    assert job["added"] == 2 and len(receiver.received) == 3
    headers, body = receiver.received[-1]
    assert webhooks.verify(secret, headers[webhooks.SIGNATURE_HEADER], body)
    assert not webhooks.verify("wrong", headers[webhooks.SIGNATURE_HEADER], body)
    assert {h[webhooks.DELIVERY_HEADER] for h, _ in receiver.received} == {headers[webhooks.DELIVERY_HEADER]}
    payload = json.loads(body)
    assert payload["event"] == "enrollments.created" and payload["sequence"]["id"] == seq["id"]
    assert {p["name"] for p in payload["people"]} == {"Sofia Rossi", "Aisha Khan"}
    assert app.config["sleeps"] == [1.0, 2.0]
    detail = client.get(f"/api/v1/sequences/{seq['id']}", headers=bearer(token)).get_json()
    [delivery] = detail["deliveries"]
    assert delivery["status"] == "delivered" and delivery["attempts"] == 3 and delivery["response_status"] == 200


def test_a_webhook_that_keeps_failing_is_recorded_as_failed(client, app, svc, acme):
    receiver = Receiver([500] * 10)
    try:
        token = acme["manager"]["token"]
        seq = new_sequence(client, token, webhook_url=f"{receiver.url}/hook")
        job = add(client, token, seq["id"], {"person_ids": [pid(svc, SOFIA)]}).get_json()["job"]
    finally:
        receiver.stop()
    assert job["status"] == "done" and len(receiver.received) == webhooks.MAX_ATTEMPTS
    with svc.session_factory() as session:
        [delivery] = session.scalars(select(WebhookDelivery)).all()
    assert delivery.status == "failed" and delivery.attempts == webhooks.MAX_ATTEMPTS


def test_csv_export_lists_the_people_and_is_audited(client, svc, acme):
    token = acme["manager"]["token"]
    seq = new_sequence(client, token)
    add(client, token, seq["id"], {"person_ids": [pid(svc, SOFIA), pid(svc, AISHA)]})
    response = client.get(f"/api/v1/sequences/{seq['id']}/export.csv", headers=bearer(token))
    assert response.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    assert {r["name"] for r in rows} == {"Sofia Rossi", "Aisha Khan"}
    assert all(r["added_by"] == "manager@example.test" for r in rows)
    events = client.get("/api/v1/admin/audit", headers=bearer(acme["admin"]["token"])).get_json()["events"]
    assert [e["action"] for e in events[:2]] == ["export", "enroll"]
    assert sorted(events[1]["details"]["added"]) == sorted([pid(svc, SOFIA), pid(svc, AISHA)])


class Killed(BaseException):
    """Stands in for the process dying: not an ``Exception``, so no handler marks the job failed."""


def kill_on_call(monkeypatch, module, name: str, call: int) -> None:
    """Make ``module.name`` die on its ``call``-th call (earlier calls run for real)."""
    real, calls = getattr(module, name), []

    def dying(*args, **kwargs):
        calls.append(1)
        if len(calls) == call:
            raise Killed
        return real(*args, **kwargs)

    monkeypatch.setattr(module, name, dying)


def enrolled(svc, sequence_id: int) -> list[int]:
    with svc.session_factory() as session:
        return sorted(session.scalars(select(Enrollment.person_id).where(Enrollment.sequence_id == sequence_id)))


def test_a_job_cut_off_mid_way_is_resumed_from_its_last_chunk(client, svc, acme, monkeypatch):
    from rediscover.core.models import AuditEvent, BulkJob
    from rediscover.web import bulk

    token = acme["manager"]["token"]
    first, last = pid(svc, SOFIA), pid(svc, AISHA)  # the two the manager may add: one each side of the cut
    everyone = {"person_ids": [first] + [p for p in all_people(svc) if p not in (first, last)] + [last]}
    reference = new_sequence(client, token)
    expected = add(client, token, reference["id"], everyone).get_json()["job"]
    seq = client.post("/api/v1/sequences", json={"name": "Resumed"}, headers=bearer(token)).get_json()
    monkeypatch.setattr(bulk, "CHUNK", 2)
    kill_on_call(monkeypatch, bulk, "_add_chunk", 3)
    with pytest.raises(Killed):
        add(client, token, seq["id"], everyone)
    with svc.session_factory() as session:
        [job] = session.scalars(select(BulkJob).where(BulkJob.sequence_id == seq["id"])).all()
        assert job.status == "running" and job.processed == 4 and job.total == len(everyone["person_ids"])
    partial = enrolled(svc, seq["id"])
    monkeypatch.undo()
    assert bulk.resume_interrupted(svc) == []  # its heartbeat is fresh: it may still be running
    assert bulk.resume_interrupted(svc, stale_after=timedelta(0)) == [job.id]
    assert bulk.resume_interrupted(svc, stale_after=timedelta(0)) == []  # done: nothing left
    done = client.get(f"/api/v1/bulk-jobs/{job.id}", headers=bearer(token)).get_json()["job"]
    assert partial == [first] and enrolled(svc, seq["id"]) == enrolled(svc, reference["id"]) == sorted([first, last])
    assert {k: done[k] for k in ("status", "total", "processed", "added", "already_there", "skipped",
                                 "skipped_reasons")} == \
        {k: expected[k] for k in ("status", "total", "processed", "added", "already_there", "skipped",
                                  "skipped_reasons")}
    with svc.session_factory() as session:
        audits = session.scalars(select(AuditEvent).where(AuditEvent.target == f"sequence:{seq['id']}")).all()
    assert len(audits) == 1 and sorted(audits[0].details["added"]) == enrolled(svc, seq["id"])


def test_a_job_cut_off_while_delivering_sends_each_person_once(client, svc, acme, monkeypatch):
    from rediscover.web import bulk

    receiver = Receiver([])
    try:
        token = acme["manager"]["token"]
        seq = new_sequence(client, token, webhook_url=f"{receiver.url}/hook")
        monkeypatch.setattr(bulk, "WEBHOOK_BATCH", 1)
        kill_on_call(monkeypatch, webhooks, "deliver", 1)  # the 1st delivery is created, not sent
        with pytest.raises(Killed):
            add(client, token, seq["id"], {"person_ids": [pid(svc, SOFIA), pid(svc, AISHA)]})
        assert receiver.received == []
        monkeypatch.undo()
        [job_id] = bulk.resume_interrupted(svc, stale_after=timedelta(0))
    finally:
        receiver.stop()
    sent = [p["person_id"] for _, body in receiver.received for p in json.loads(body)["people"]]
    assert len(sent) == 2 and sorted(sent) == enrolled(svc, seq["id"])
    with svc.session_factory() as session:
        deliveries = session.scalars(select(WebhookDelivery).where(WebhookDelivery.bulk_job_id == job_id)).all()
    assert [d.status for d in deliveries] == ["delivered"] * len(sent)


def test_an_interrupted_job_whose_owner_left_is_failed_not_resumed(client, svc, acme, monkeypatch):
    from rediscover.core.models import BulkJob, User
    from rediscover.web import bulk

    token = acme["manager"]["token"]
    seq = new_sequence(client, token)
    kill_on_call(monkeypatch, bulk, "_add_chunk", 1)
    with pytest.raises(Killed):
        add(client, token, seq["id"], {"person_ids": [pid(svc, SOFIA)]})
    monkeypatch.undo()
    with svc.session_factory.begin() as session:
        session.get(User, acme["manager"]["id"]).active = False
    assert bulk.resume_interrupted(svc, stale_after=timedelta(0)) == []
    with svc.session_factory() as session:
        [job] = session.scalars(select(BulkJob).where(BulkJob.sequence_id == seq["id"])).all()
    assert job.status == "failed" and "can no longer sign in" in job.error and enrolled(svc, seq["id"]) == []


def test_the_serving_loop_resumes_interrupted_jobs(client, svc, acme, monkeypatch):
    from rediscover.web import bulk

    token = acme["manager"]["token"]
    seq = new_sequence(client, token)
    kill_on_call(monkeypatch, bulk, "_add_chunk", 1)
    with pytest.raises(Killed):
        add(client, token, seq["id"], {"person_ids": [pid(svc, SOFIA)]})
    monkeypatch.undo()
    monkeypatch.setattr(bulk, "STALE_AFTER", timedelta(0))
    stop = threading.Event()
    stop.set()  # one pass, then return
    jobs.resume_bulk_jobs(svc, stop=stop)
    assert enrolled(svc, seq["id"]) == [pid(svc, SOFIA)]
