"""Greenhouse Harvest v3: the shared fixture scenario lands correctly, requests have v3's shape."""
from __future__ import annotations

import base64
import hashlib
import io
import math
from datetime import datetime, timezone
from urllib.parse import parse_qs

import pytest
from sqlalchemy import select
from sync_cases import GREENHOUSE
from sync_support import add_connection, queue_ids, snapshot

from rediscover.core.enums import ApplicationStatus, Recommendation, ScorecardStatus
from rediscover.core.milestones import furthest
from rediscover.core.models import (
    Application,
    Attachment,
    Candidate,
    FileBlob,
    Job,
    JobTeamMember,
    Scorecard,
    Stage,
    StageEvent,
    SyncFailure,
)
from rediscover.fakeats.greenhouse import FIXTURE_CLIENT_ID, FIXTURE_CLIENT_SECRET, FIXTURE_FILES
from rediscover.sync.adapters import get_adapter_class
from rediscover.sync.adapters.base import ConnectionConfig
from rediscover.sync.adapters.greenhouse import GreenhouseAdapter
from rediscover.sync.records import ApplicationRecord, CandidateRecord, ScorecardRecord


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=timezone.utc)


@pytest.fixture
def synced(harness):
    """The shared fixture scenario, synced once."""
    h = harness(GREENHOUSE)
    run = h.sync()
    assert run.status == "succeeded", run.error
    h.first_run = run
    return h


def _candidate(session, remote_id: str) -> Candidate:
    return session.scalar(select(Candidate).where(Candidate.remote_id == remote_id))


def _application(session, remote_id: str) -> Application:
    return session.scalar(select(Application).where(Application.remote_id == remote_id))


# ---------------------------------------------------------------------- the scenario


def test_candidates_land_with_flags_links_and_normalised_values(synced):
    with synced.session_factory() as s:
        priya, marcus = _candidate(s, "90000001"), _candidate(s, "90000002")
        assert (priya.first_name, priya.last_name, priya.title) == (
            "Priya", "Raman", "Senior Software Engineer")
        assert priya.url == "https://app.greenhouse.io/people/90000001"
        assert priya.location == "1180 Valencia St\nSan Francisco, CA 94110"
        assert priya.last_activity_at == utc(2024, 5, 20, 9, 41, 27, 118000)
        assert {t.normalized for t in priya.tags} == {"python", "distributed systems",
                                                      "silver medalist"}
        assert marcus.is_private and not priya.is_private
        assert not _candidate(s, "90000009").can_email
        dana_a, dana_b = _candidate(s, "90000005"), _candidate(s, "90000006")
        assert [e.value for e in dana_a.emails] == ["Dana.Whitfield@Example.com "]  # as given
        assert [e.normalized for e in dana_a.emails] == [e.normalized for e in dana_b.emails] \
            == ["dana.whitfield@example.com"]
        assert [(p.value, p.type) for p in dana_a.phones] == [("303-555-0177", "mobile")]


def test_prospects_and_candidates_without_applications_are_stored(synced):
    with synced.session_factory() as s:
        tom = _candidate(s, "90000004")
        [prospect] = tom.applications
        assert prospect.status == ApplicationStatus.PROSPECT and prospect.job_id is None
        assert _candidate(s, "90000009").applications == []  # Luis: stored, no applications


def test_application_statuses_stages_reasons_and_hire(synced):
    with synced.session_factory() as s:
        rejected = _application(s, "70000011")
        assert (rejected.status, rejected.remote_status) == ("closed", "rejected")
        assert rejected.rejection_reason.name == "Lacking skill(s)/qualification(s)"
        assert rejected.rejection_reason.type_key == "WE_REJECTED_THEM"
        assert rejected.rejection_note == "Strong coding; system design below senior bar."
        assert [x.source.name for x in rejected.sources] == ["LinkedIn (Prospecting)"]
        assert rejected.url == "https://app.greenhouse.io/people/90000001/applications/70000011"
        # v3 gives terminal applications no stage id: the name is resolved in the job's plan.
        assert rejected.current_stage.remote_id == "5001004"
        active = _application(s, "70000012")
        assert active.status == "open" and active.current_stage.name == "Recruiter Phone Screen"
        hired = _application(s, "70000031")
        assert hired.status == "hired" and hired.hired_at == utc(2024, 1, 29, 20, 11)
        sofia = _application(s, "70000101")
        assert sofia.current_stage.name == "Offer" and sofia.location.startswith("New York")


def test_stage_history_and_milestones(synced):
    with synced.session_factory() as s:
        app = _application(s, "70000011")
        history = [(e.stage_name, e.stage.milestone, e.exited_at) for e in app.stage_events]
        assert history == [
            ("Application Review", "application_review", utc(2024, 1, 8, 9)),
            ("Recruiter Phone Screen", "recruiter_screen", utc(2024, 1, 19, 9)),
            ("Technical Phone Screen", "hiring_manager_screen", utc(2024, 2, 1, 9)),
            ("Onsite Interview", "onsite", utc(2024, 2, 14, 16, 5, 11, 482000)),
        ]
        assert furthest(e.stage.milestone for e in app.stage_events) == "onsite"
        sofia = _application(s, "70000101")
        assert furthest(e.stage.milestone for e in sofia.stage_events) == "offer"
        plan = s.scalars(select(Stage).join(Job).where(Job.remote_id == "4002")
                         .order_by(Stage.sort_order)).all()
        assert [st.milestone for st in plan] == [
            "application_review", "recruiter_screen", "hiring_manager_screen", "assessment",
            "onsite", "offer"]
        assert {st.milestone_source for st in plan} == {"default"}


def test_confidential_job_and_its_team(synced):
    with synced.session_factory() as s:
        job = s.scalar(select(Job).where(Job.remote_id == "4003"))
        assert job.confidential and job.title == "VP of Engineering"
        team = {(m.remote_user_id, m.role) for m in job.team_members}
        assert team == {("103", "hiring_manager"), ("102", "recruiter"), ("103", "permission")}
        assert not s.scalar(select(Job).where(Job.remote_id == "4001")).confidential
        owners = s.scalars(select(JobTeamMember.role).join(Job).where(Job.remote_id == "4001"))
        assert sorted(owners) == ["coordinator", "hiring_manager", "permission", "permission",
                                  "recruiter", "sourcer"]


def test_scorecards_map_recommendations_and_keep_drafts_as_drafts(synced):
    with synced.session_factory() as s:
        cards = {c.remote_id: c for c in s.scalars(select(Scorecard))}
        assert len(cards) == 7
        draft = cards["80000007"]
        assert (draft.status, draft.recommendation) == (ScorecardStatus.DRAFT, None)
        assert cards["80000002"].recommendation == Recommendation.STRONG_NO
        assert cards["80000001"].recommendation == Recommendation.NO
        assert cards["80000004"].recommendation == Recommendation.STRONG_YES
        assert cards["80000005"].recommendation == Recommendation.NO_DECISION
        assert cards["80000002"].interviewer_name == "Harold Mbeki"
        assert {c.status for k, c in cards.items() if k != "80000007"} == {"submitted"}


def test_resumes_are_downloaded_and_hashed(synced):
    from pdfminer.high_level import extract_text

    with synced.session_factory() as s:
        resume = s.scalar(select(Attachment).where(Attachment.remote_id == "5500001"))
        blob = s.get(FileBlob, resume.content_hash)
        assert resume.application_id == _application(s, "70000011").id
        assert resume.content_hash == hashlib.sha256(blob.data).hexdigest()
        assert (resume.size, resume.content_type, resume.download_error) == (
            len(blob.data), "application/pdf", None)
        assert "Python Kafka distributed systems" in extract_text(io.BytesIO(blob.data))
        assert s.scalar(select(Attachment).where(Attachment.content_hash.is_(None))) is None
    downloads = [r for r in synced.server.state.requests if r.path.startswith("/files/")]
    assert len(downloads) == len(FIXTURE_FILES)  # each followed its redirect once


def test_every_fixture_candidate_is_queued_for_indexing(synced):
    with synced.session_factory() as s:
        ids = set(s.scalars(select(Candidate.id)))
    assert set(queue_ids(synced.session_factory)) == ids


# ---------------------------------------------------------------------- request shapes


def test_requests_have_the_v3_shape(harness):
    paged = harness(GREENHOUSE, settings={"per_page": 4})
    assert paged.sync().status == "succeeded"
    state = paged.server.state
    [token] = [r for r in state.requests if r.path == "/token"]
    basic = base64.b64decode(token.headers["Authorization"].split()[1]).decode()
    assert basic == f"{FIXTURE_CLIENT_ID}:{FIXTURE_CLIENT_SECRET}"
    first = {r.path: r for r in reversed(state.api_requests())}  # first request per path
    assert first["/v3/users"].param("show_service_accounts") == "true"
    assert first["/v3/rejection_reasons"].param("include_defaults") == "true"
    window = first["/v3/candidates"].param("updated_at")
    assert window == "gte|2000-01-01T00:00:00.000Z|lte|2024-06-02T00:00:00.000Z"  # full listing
    assert "updated_at=gte%7C2000-01-01T00%3A00%3A00.000Z%7Clte%7C" in \
        first["/v3/candidates"].query_string
    assert first["/v3/candidates"].param("per_page") == "4"
    cursors = [r for r in state.api_requests() if "cursor" in r.query]
    assert cursors and all(set(r.query) == {"cursor"} for r in cursors)
    assert all(r.headers["Authorization"].startswith("Bearer ") for r in state.api_requests())


def test_token_form_carries_the_acting_user(harness):
    h = harness(GREENHOUSE)
    h.server.app.before_request_funcs[None].insert(0, _keep_form)
    h.sync()
    assert _FORMS[-1] == {"grant_type": ["client_credentials"], "sub": ["101"]}


_FORMS: list[dict] = []


def _keep_form() -> None:
    from flask import request

    if request.path == "/token":
        _FORMS.append(parse_qs(request.get_data(as_text=True)))


def test_incremental_windows_are_two_sided(synced):
    synced.clock.advance(7200)
    seen = len(synced.server.state.api_requests("/v3/scorecards"))
    run = synced.sync()
    [request] = synced.server.state.api_requests("/v3/scorecards")[seen:]
    assert request.param("updated_at") == (
        "gte|2024-05-31T23:55:00.000Z|lte|2024-06-01T02:00:00.000Z")
    assert run.kind == "incremental" and synced.first_run.kind == "full"


# ---------------------------------------------------------------------- changes and edge cases


def test_a_job_turning_confidential_requeues_its_applicants(synced):
    synced.clock.advance(3600)
    synced.server.state.update("jobs", 4001, confidential=True)
    queued = len(queue_ids(synced.session_factory))
    run = synced.sync()
    with synced.session_factory() as s:
        applicants = set(s.scalars(select(Application.candidate_id).join(Job)
                                   .where(Job.remote_id == "4001")))
    assert run.counts["resources"]["jobs"]["updated"] == 1
    assert set(queue_ids(synced.session_factory)[queued:]) == applicants and len(applicants) == 4


def test_a_team_member_removed_in_greenhouse_loses_the_job(synced):
    synced.clock.advance(3600)
    synced.server.state.delete("user_job_permissions", 7879611)  # 103 on job 4003
    queued = len(queue_ids(synced.session_factory))
    run = synced.sync()
    with synced.session_factory() as s:
        team = set(s.execute(select(JobTeamMember.remote_user_id, JobTeamMember.role)
                             .join(Job).where(Job.remote_id == "4003")).all())
        aisha = _candidate(s, "90000008").id
    assert team == {("103", "hiring_manager"), ("102", "recruiter")}
    assert run.counts["resources"]["user_job_permissions"]["deleted"] == 1
    assert queue_ids(synced.session_factory)[queued:] == [aisha]


def test_admin_edited_milestones_are_kept_and_raise_the_floor(synced):
    with synced.session_factory() as s:
        plan = s.scalars(select(Stage).join(Job).where(Job.remote_id == "4002")
                         .order_by(Stage.sort_order)).all()
        plan[1].milestone, plan[1].milestone_source = "assessment", "admin"  # recruiter screen
        s.commit()
    synced.clock.advance(3600)
    synced.server.state.add("job_interview_stages", {
        "id": 5002006, "job_id": 4002, "name": "Final Chat", "sort_order": 6, "active": True})
    synced.server.state.update("job_interview_stages", 5002002)  # touch "Technical Phone Screen"
    synced.sync()
    with synced.session_factory() as s:
        plan = s.scalars(select(Stage).join(Job).where(Job.remote_id == "4002")
                         .order_by(Stage.sort_order)).all()
        assert [(st.milestone, st.milestone_source) for st in plan] == [
            ("application_review", "default"), ("assessment", "admin"),
            ("assessment", "default"),  # raised from hiring_manager_screen by the admin's edit
            ("assessment", "default"), ("onsite", "default"), ("offer", "default"),
            ("offer", "default")]  # "Final Chat" after the offer never goes down


def test_exact_greenhouse_names_win_over_the_name_rules(harness):
    from rediscover.fakeats.greenhouse import load_fixture_dataset

    data = load_fixture_dataset()
    for stage in data["job_interview_stages"]:
        if stage["id"] == 5001002:
            stage["name"] = "Phone Interview"  # the rules alone would say recruiter_screen
    h = harness(GREENHOUSE, data)
    h.sync()
    with h.session_factory() as s:
        assert s.scalar(select(Stage.milestone).where(Stage.remote_id == "5001002")) \
            == "hiring_manager_screen"


def test_anonymised_candidates_are_marked(harness):
    from rediscover.fakeats.greenhouse import load_fixture_dataset

    data = load_fixture_dataset()
    for row in data["candidates"]:
        if row["id"] == 90000007:
            row.update(first_name="Anonymized", last_name="90000007", email_addresses=[])
    h = harness(GREENHOUSE, data)
    h.sync()
    with h.session_factory() as s:
        assert _candidate(s, "90000007").anonymized
        assert not _candidate(s, "90000001").anonymized


def test_a_bad_record_is_skipped_recorded_and_the_rest_lands(harness):
    from rediscover.fakeats.greenhouse import load_fixture_dataset

    data = load_fixture_dataset()
    for row in data["applications"]:
        if row["id"] == 70000012:
            row["status"] = "teleported"
    h = harness(GREENHOUSE, data)
    run = h.sync()
    # The application, its two stage events and its scorecard.
    assert run.status == "partial" and run.error.startswith("4 record(s) skipped")
    assert "reads again the windows of application_stages, scorecards" in run.error
    with h.session_factory() as s:
        failures = s.scalars(select(SyncFailure)).all()
        assert _application(s, "70000011") is not None and _application(s, "70000012") is None
    assert {(f.resource, f.remote_id) for f in failures} == {
        ("applications", "70000012"), ("application_stages", "3300005"),
        ("application_stages", "3300006"), ("scorecards", "80000003")}
    messages = " ".join(f.message for f in failures)
    assert "unknown application status 'teleported'" in messages
    assert "Priya" not in messages and "@" not in messages


def test_a_failed_download_is_recorded_on_the_attachment(harness):
    from rediscover.fakeats.greenhouse import load_fixture_dataset

    data = load_fixture_dataset()
    del data["files"][5500002]
    h = harness(GREENHOUSE, data)
    run = h.sync()
    assert run.status == "succeeded", run.error
    with h.session_factory() as s:
        failed = s.scalar(select(Attachment).where(Attachment.remote_id == "5500002"))
        assert failed.content_hash is None and "HTTP 404" in failed.download_error
        assert "token=" not in failed.download_error  # signed links stay out of messages
        ok = s.scalar(select(Attachment).where(Attachment.remote_id == "5500001"))
        assert ok.content_hash and ok.download_error is None


def test_an_expired_token_is_renewed(synced):
    synced.server.state.expire_tokens()
    synced.clock.advance(60)
    assert synced.sync().status == "succeeded"


@pytest.mark.parametrize("credentials, expected", [
    ({"client_id": FIXTURE_CLIENT_ID, "client_secret": "wrong-secret", "user_id": "101"},
     "refused the client credentials: HTTP 401 (invalid_client); check client_id and "
     "client_secret"),
    ({"client_id": FIXTURE_CLIENT_ID, "client_secret": FIXTURE_CLIENT_SECRET, "user_id": "999"},
     "HTTP 400 (invalid_grant); check user_id"),
    ({"client_id": FIXTURE_CLIENT_ID, "client_secret": ""},
     "missing credentials client_secret, user_id"),
])
def test_bad_credentials_fail_clearly_without_the_secret(serve, session_factory, clock,
                                                         credentials, expected):
    from rediscover.core.models import Connection
    from rediscover.sync.runner import run_sync

    server = serve(GREENHOUSE)
    connection_id = add_connection(session_factory, server)
    with session_factory() as s:
        s.get(Connection, connection_id).credentials = credentials
        s.commit()
    run = run_sync(connection_id, session_factory, clock=clock, sleep=clock.sleep)
    assert run.status == "failed" and expected in run.error
    assert run.error.startswith("greenhouse:")
    assert "wrong-secret" not in run.error and FIXTURE_CLIENT_SECRET not in run.error


def test_cursor_misuse_and_page_size_are_refused_by_the_fake(serve):
    import httpx

    server = serve(GREENHOUSE)
    with httpx.Client(base_url=server.base_url) as http:
        token = http.post("/token", auth=(FIXTURE_CLIENT_ID, FIXTURE_CLIENT_SECRET),
                          data={"grant_type": "client_credentials", "sub": "101"}).json()
        auth = {"Authorization": f"Bearer {token['access_token']}"}
        first = http.get("/v3/candidates", params={"per_page": 3}, headers=auth)
        next_url = first.links["next"]["url"]
        assert http.get(next_url, headers=auth).status_code == 200
        misuse = http.get(next_url + "&per_page=3", headers=auth)
        assert misuse.status_code == 422
        assert misuse.json() == {"errors": ["When passing a cursor, do not include other query "
                                            "params."]}
        assert http.get("/v3/candidates", params={"per_page": 501}, headers=auth).status_code \
            == 422
        assert http.get("/v3/candidates").status_code == 401
        ids = [c["id"] for c in first.json()]
        assert ids == sorted(ids, reverse=True) == [90000010, 90000009, 90000008]
        assert first.headers["X-RateLimit-Limit"] == "75"


# ---------------------------------------------------------------------- mapping tables


@pytest.mark.parametrize("raw, expected", [
    ({"status": "in_process"}, ApplicationStatus.OPEN),
    ({"status": "active"}, ApplicationStatus.OPEN),
    ({"status": "rejected"}, ApplicationStatus.CLOSED),
    ({"status": "hired"}, ApplicationStatus.HIRED),
    ({"status": "converted"}, ApplicationStatus.PROSPECT),
    ({"status": "rejected", "prospect": True}, ApplicationStatus.PROSPECT),
])
def test_application_status_mapping(raw, expected):
    adapter = _adapter()
    record = adapter.to_application({"id": 1, "candidate_id": 2, "job_id": 3, **raw})
    assert isinstance(record, ApplicationRecord) and record.status == expected


@pytest.mark.parametrize("rating, expected", [
    ("strong_no", Recommendation.STRONG_NO), ("definitely_not", Recommendation.STRONG_NO),
    ("no", Recommendation.NO), ("yes", Recommendation.YES),
    ("strong_yes", Recommendation.STRONG_YES), ("no_decision", Recommendation.NO_DECISION),
    (None, None),
])
def test_recommendation_mapping(rating, expected):
    record = _adapter().to_scorecard({"id": 1, "application_id": 2, "candidate_rating": rating,
                                      "status": "complete"})
    assert isinstance(record, ScorecardRecord) and record.recommendation == expected


def test_candidate_record_is_vendor_neutral():
    record = _adapter().to_candidate({
        "id": 5, "first_name": "Zoë", "last_name": "Ng", "private": True,
        "updated_at": "2024-01-01T10:00:00.123+02:00", "tags": ["Go", {"name": "Rust"}],
        "email_addresses": [{"value": "z@x.example", "type": "work"}, {"value": ""}]})
    assert isinstance(record, CandidateRecord)
    assert record.remote_id == "5" and record.is_private
    assert record.updated_at == utc(2024, 1, 1, 8, 0, 0, 123000)
    assert record.tags == ("Go", "Rust") and len(record.emails) == 1


def test_adapter_registry_is_lazy():
    import subprocess
    import sys

    code = ("import sys, rediscover.sync.adapters as a; "
            "assert 'rediscover.sync.adapters.greenhouse' not in sys.modules; "
            "assert a.get_adapter_class('greenhouse').__name__ == 'GreenhouseAdapter'; "
            "assert 'rediscover.sync.adapters.greenhouse' in sys.modules")
    subprocess.run([sys.executable, "-c", code], check=True)
    assert get_adapter_class("GreenHouse") is GreenhouseAdapter
    with pytest.raises(Exception, match="no sync adapter for ATS 'taleo'; available: greenhouse"):
        get_adapter_class("taleo")


def test_bad_settings_are_config_errors():
    with pytest.raises(Exception, match=r"setting per_page=900 .* from 1 to 500"):
        _adapter(settings={"per_page": 900})


def _adapter(settings: dict | None = None) -> GreenhouseAdapter:
    return GreenhouseAdapter(ConnectionConfig(
        id=1, name="gh", ats="greenhouse", base_url="https://harvest.greenhouse.io/v3",
        credentials={"client_id": "a", "client_secret": "b", "user_id": "1"},
        settings=settings or {}))


# ---------------------------------------------------------------------- PostgreSQL


@pytest.mark.postgres
def test_fixture_sync_upserts_on_every_store(store, serve, clock):
    """The same sync, twice, on SQLite and PostgreSQL: same rows, second run writes nothing."""
    server = serve(GREENHOUSE)
    connection_id = add_connection(store.session_factory, server, per_page=3)
    from rediscover.sync.runner import run_sync

    first = run_sync(connection_id, store.session_factory, clock=clock, sleep=clock.sleep)
    assert first.status == "succeeded", first.error
    before = snapshot(store.session_factory)
    clock.advance(3600)
    second = run_sync(connection_id, store.session_factory, clock=clock, sleep=clock.sleep,
                      full=True)
    assert second.status == "succeeded", second.error
    assert (second.counts["created"], second.counts["updated"], second.counts["deleted"]) \
        == (0, 0, 0)
    assert snapshot(store.session_factory) == before
    assert len(before["candidates"]) == 10 and len(before["stage_events"]) == 21
    assert math.isclose(second.rate_budget, 75 / 30)


def test_a_full_sync_sweeps_every_deleted_child_resource(synced):
    """Stage history, scorecards, attachments and applications deleted upstream go too."""
    state = synced.server.state
    with synced.session_factory() as s:
        stay = s.scalar(select(StageEvent.remote_id).order_by(StageEvent.remote_id))
        card = s.scalar(select(Scorecard.remote_id).order_by(Scorecard.remote_id))
        file = s.scalar(select(Attachment.remote_id).order_by(Attachment.remote_id))
    for resource, remote_id in (("application_stages", stay), ("scorecards", card),
                                ("attachments", file)):
        state.delete(resource, int(remote_id))
    synced.clock.advance(600)

    run = synced.sync(full=True)

    assert run.status == "succeeded", run.error
    counts = run.counts["resources"]
    assert [counts[r]["deleted"] for r in ("application_stages", "scorecards", "attachments")] \
        == [1, 1, 1]
    with synced.session_factory() as s:
        assert s.scalar(select(StageEvent).where(StageEvent.remote_id == stay)) is None
        assert s.scalar(select(Scorecard).where(Scorecard.remote_id == card)) is None
        assert s.scalar(select(Attachment).where(Attachment.remote_id == file)) is None
