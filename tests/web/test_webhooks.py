"""Greenhouse webhooks end to end: signed deliveries from the fixtures, a fake v3 server.

Each test syncs the bundled sample, changes the fake's data the way Greenhouse would, posts
the delivery and checks the store, the event log and the search index.
"""
from __future__ import annotations

import hashlib
import hmac
import json

import pytest
from sqlalchemy import func, select

from rediscover.core.models import (
    Application,
    Attachment,
    Candidate,
    CandidateEmail,
    Connection,
    FileBlob,
    SyncRun,
    WebhookEvent,
)
from rediscover.fakeats.greenhouse import WEBHOOK_FIXTURE_SECRET, load_webhook_fixture
from rediscover.sync.lock import acquire_sync_lock
from rediscover.web import jobs

URL = "/webhooks/greenhouse/acme"


def post_fixture(client, event: str, **header_overrides: str):
    body, headers = load_webhook_fixture(event)
    headers = {k: v for k, v in {**headers, **header_overrides}.items() if v is not None}
    return client.post(URL, data=body, headers=headers)


def post_signed(client, action: str, payload: dict, event_id: str):
    body = json.dumps({"action": action, "payload": payload}).encode()
    signature = hmac.new(WEBHOOK_FIXTURE_SECRET.encode(), body, hashlib.sha256).hexdigest()
    return client.post(URL, data=body, headers={"Content-Type": "application/json",
                                                "Greenhouse-Event-ID": event_id,
                                                "Signature": f"sha256 {signature}"})


def candidate(svc, remote_id: str) -> Candidate | None:
    with svc.session_factory() as s:
        return s.scalar(select(Candidate).where(Candidate.remote_id == remote_id))


def events(svc) -> list[WebhookEvent]:
    with svc.session_factory() as s:
        return list(s.scalars(select(WebhookEvent).order_by(WebhookEvent.id)))


def search_emails(client, auth, email: str) -> int:
    page = client.post("/api/v1/search", json={"emails": [email]}, headers=auth).get_json()
    return page["total"]


# ---------------------------------------------------------------------- signatures


@pytest.mark.parametrize("signature", [
    None, "", "sha256 " + "0" * 64, "sha1 abc", "sha256", "bb5d8b6946d1353d381c",
])
def test_a_bad_or_missing_signature_is_401_and_changes_nothing(client, svc, fake, signature):
    fake.update("candidates", 90000002, private=False)
    requests_before = len(fake.requests)

    response = post_fixture(client, "update_candidate", Signature=signature)

    assert response.status_code == 401
    assert response.get_json()["error"]["code"] == "invalid_signature"
    assert response.get_json()["error"]["field"] == "Signature"
    assert events(svc) == []
    assert len(fake.requests) == requests_before  # nothing re-read
    assert candidate(svc, "90000002").is_private is True


def test_a_body_changed_after_signing_is_rejected(client, svc, fake):
    body, headers = load_webhook_fixture("update_candidate")
    tampered = body.replace(b"Staff Engineer", b"Staff Engineer ")
    assert client.post(URL, data=tampered, headers=headers).status_code == 401
    assert events(svc) == []


def test_unknown_connection_is_404_json(client, fake):
    body, headers = load_webhook_fixture("update_candidate")
    response = client.post("/webhooks/greenhouse/nope", data=body, headers=headers)
    assert response.status_code == 404 and response.get_json()["error"]["code"] == "not_found"


# ---------------------------------------------------------------------- applying events


def test_update_candidate_rereads_the_candidate_once_per_event_id(client, svc, fake):
    fake.update("candidates", 90000002, private=False)

    first = post_fixture(client, "update_candidate")
    again = post_fixture(client, "update_candidate")

    assert first.status_code == 200 and first.get_json()["status"] == "applied"
    assert again.status_code == 200 and again.get_json()["status"] == "duplicate"
    assert candidate(svc, "90000002").is_private is False
    [event] = events(svc)
    assert (event.action, event.status, event.remote_ids) == (
        "update_candidate", "applied", {"reread": ["90000002"]})
    reads = [r for r in fake.api_requests("/v3/candidates") if r.param("ids")]
    assert [r.param("ids") for r in reads] == ["90000002"]  # the duplicate read nothing
    with svc.session_factory() as s:
        kinds = [r.kind for r in s.scalars(select(SyncRun).order_by(SyncRun.id))]
    assert kinds[-1] == "targeted"


def test_reject_and_stage_change_update_the_application(client, svc, fake):
    fake.update("applications", 70000012, status="rejected", rejection_reason_id=None,
                rejected_at=fake.now_iso())
    fake.update("applications", 70000071, job_interview_stage_id=None,
                stage_name="Take Home Test")

    assert post_fixture(client, "reject_candidate").get_json()["status"] == "applied"
    assert post_fixture(client, "candidate_stage_change").get_json()["status"] == "applied"

    with svc.session_factory() as s:
        app = s.scalar(select(Application).where(Application.remote_id == "70000012"))
        moved = s.scalar(select(Application).where(Application.remote_id == "70000071"))
        assert app.status == "closed"
        assert moved.current_stage_name == "Take Home Test"


def test_delete_candidate_removes_the_record(client, svc, fake):
    fake.delete_candidate(90000009)
    assert candidate(svc, "90000009") is not None

    assert post_fixture(client, "delete_candidate").get_json()["status"] == "applied"

    assert candidate(svc, "90000009") is None


def test_a_deleted_candidate_leaves_the_search_index(client, svc, fake, auth):
    assert search_emails(client, auth, "sofia.rossi@example.it") == 1
    fake.delete_candidate(90000010)

    response = post_signed(client, "delete_candidate",
                           {"person": {"id": 90000010, "deleted_application_ids": [70000101]}},
                           "evt-delete-sofia")

    assert response.get_json()["status"] == "applied"
    assert candidate(svc, "90000010") is None
    assert search_emails(client, auth, "sofia.rossi@example.it") == 0


def test_merge_candidate_drops_the_merged_record_and_rereads_the_survivor(client, svc, fake):
    fake.delete_candidate(90000006)
    fake.update("candidates", 90000005, title="Senior Data Analyst")

    assert post_fixture(client, "merge_candidate").get_json()["status"] == "applied"

    assert candidate(svc, "90000006") is None
    assert candidate(svc, "90000005").title == "Senior Data Analyst"


def test_candidate_anonymized_scrubs_personal_data_and_cached_files(client, svc, fake):
    with svc.session_factory() as s:
        hashes = set(s.scalars(select(Attachment.content_hash).join(Candidate).where(
            Candidate.remote_id == "90000006", Attachment.content_hash.is_not(None))))

    assert post_fixture(client, "candidate_anonymized").get_json()["status"] == "applied"

    scrubbed = candidate(svc, "90000006")
    assert (scrubbed.first_name, scrubbed.last_name, scrubbed.anonymized) == (
        "Anonymized", "90000006", True)
    with svc.session_factory() as s:
        assert s.scalar(select(func.count()).select_from(CandidateEmail).where(
            CandidateEmail.candidate_id == scrubbed.id)) == 0
        assert s.scalar(select(func.count()).select_from(Attachment).where(
            Attachment.candidate_id == scrubbed.id)) == 0
        if hashes:
            assert s.scalar(select(func.count()).select_from(FileBlob).where(
                FileBlob.content_hash.in_(hashes))) == 0


def test_an_event_waits_while_the_connection_syncs_then_applies(client, svc, fake):
    fake.update("candidates", 90000002, private=False)
    with svc.session_factory() as s:
        connection_id = s.scalar(select(Connection.id))

    with acquire_sync_lock(svc.session_factory, connection_id):
        response = post_fixture(client, "update_candidate")
        assert response.status_code == 202 and response.get_json()["status"] == "pending"
        assert candidate(svc, "90000002").is_private is True

    assert jobs.apply_pending_webhooks(svc, "acme") == 1
    assert candidate(svc, "90000002").is_private is False
    assert [e.status for e in events(svc)] == ["applied"]


def test_unhandled_actions_are_recorded_as_ignored(client, svc, fake):
    response = post_signed(client, "job_post_updated", {"job_post": {"id": 1}}, "evt-job")
    assert response.status_code == 200 and response.get_json()["status"] == "ignored"
    assert [(e.action, e.status) for e in events(svc)] == [("job_post_updated", "ignored")]


def test_a_body_that_is_not_json_is_400_after_a_good_signature(client, svc, fake):
    body = b"not json"
    signature = hmac.new(WEBHOOK_FIXTURE_SECRET.encode(), body, hashlib.sha256).hexdigest()
    response = client.post(URL, data=body, headers={"Greenhouse-Event-ID": "x",
                                                    "Signature": f"sha256 {signature}"})
    assert response.status_code == 400 and response.get_json()["error"]["code"] == "invalid_json"
    assert events(svc) == []
