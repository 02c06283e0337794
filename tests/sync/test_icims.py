"""iCIMS: the shared fixture scenario lands correctly, searches and profile reads fit the API,
and what iCIMS does differently (no history, no private flag, ids as numbers) is handled."""
from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select
from sync_cases import ICIMS, ICIMS_API

from rediscover.core.enums import ApplicationStatus
from rediscover.core.milestones import furthest
from rediscover.core.models import Application, Candidate, FileBlob, Job, SyncFailure
from rediscover.fakeats import icims as fake
from rediscover.mappings.reasons import default_reason
from rediscover.sync.adapters.base import ConnectionConfig
from rediscover.sync.adapters.icims import ICIMSAdapter, format_icims, parse_icims
from rediscover.sync.errors import FatalSyncError

PEOPLE = f"{ICIMS_API}/search/people"
WORKFLOWS = f"{ICIMS_API}/search/applicantworkflows"
ONSITE = {"id": "C36018", "value": "Interview: Onsite Interview"}


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=timezone.utc)


@pytest.fixture
def synced(harness):
    h = harness(ICIMS)
    run = h.sync()
    assert run.status == "succeeded", run.error
    return h


def _candidate(session, remote_id: str) -> Candidate:
    return session.scalar(select(Candidate).where(Candidate.remote_id == remote_id))


def _app(session, remote_id: str) -> Application:
    return session.scalar(select(Application).where(Application.remote_id == remote_id))


def _failures(h, run_id: int) -> list[SyncFailure]:
    with h.session_factory() as s:
        return list(s.scalars(select(SyncFailure).where(SyncFailure.run_id == run_id)))


# ---------------------------------------------------------------------- the fixture scenario


def test_two_workflows_with_status_reason_and_source(synced):
    with synced.session_factory() as s:
        maya = _candidate(s, "1101")
        rejected, screening = _app(s, "50001"), _app(s, "50008")
        assert {a.id for a in maya.applications} == {rejected.id, screening.id}
        assert rejected.status == ApplicationStatus.CLOSED
        assert rejected.rejection_reason.name == "Not Selected - Stronger Candidate"
        assert rejected.rejection_reason.type_name == "Rejected"
        assert rejected.rejected_at == utc(2024, 1, 16, 15, 20)
        assert rejected.job.title == "Senior Backend Engineer"
        assert [x.source.name for x in rejected.sources] == ["LinkedIn"]
        assert rejected.stage_events == []  # rejected on the first read: no stage seen
        assert screening.status == ApplicationStatus.OPEN
        assert screening.current_stage.name == "Candidate: Phone Screen"
        assert screening.current_stage.milestone == "recruiter_screen"
        assert (maya.title, maya.company) == ("Senior Backend Engineer", "Spotify")
        assert maya.location == "Stockholm, Sweden"
        assert [p.value for p in maya.phones] == ["+46 70 123 45 67"]


def test_hired_withdrawn_prospect_and_messy_contacts(synced):
    with synced.session_factory() as s:
        hired = _app(s, "50015")
        assert hired.status == ApplicationStatus.HIRED and hired.hired_at == utc(2024, 2, 28, 11, 45)
        withdrawn = _app(s, "50029")
        assert withdrawn.status == ApplicationStatus.CLOSED
        reason = withdrawn.rejection_reason
        assert reason.name == "Accepted Another Offer" and reason.type_key == "they_rejected_us"
        assert default_reason(reason.name, reason.type_key) == "candidate_withdrew"
        prospect = _app(s, "50043")
        assert prospect.status == ApplicationStatus.PROSPECT
        assert [e.normalized for e in _candidate(s, "917").emails] == [
            "maya.lindqvist@example.com"]
        priya = _candidate(s, "1388")
        assert priya.emails == [] and priya.location == "bangalore, KA, India"
        assert _candidate(s, "2046").location is None  # no addresses at all


def test_resumes_come_inline_with_their_names_and_types(synced):
    with synced.session_factory() as s:
        [resume] = _candidate(s, "1101").attachments
        assert (resume.filename, resume.type, resume.content_type) == (
            "Maya_Lindqvist_CV.pdf", "resume", "application/pdf")
        assert resume.content_hash and resume.application_id is None
        [txt] = _candidate(s, "1142").attachments
        assert txt.content_type == "text/plain"
        assert b"Okafor" in s.get(FileBlob, txt.content_hash).data
        assert _candidate(s, "917").attachments == []  # the endpoint answered JSON: none


def test_jobs_are_read_by_id_and_none_is_confidential(synced):
    with synced.session_factory() as s:
        job = s.scalar(select(Job).where(Job.remote_id == "18"))
        assert (job.title, job.requisition_id, job.status) == (
            "Senior Backend Engineer", "2023-18", "Approved")
        assert not s.scalar(select(func.count(Job.id)).where(Job.confidential))


# ---------------------------------------------------------------------- requests


def test_searches_page_by_last_id_and_windows_are_minutes(harness):
    h = harness(ICIMS, fake.load_fixture_dataset())  # 1,000 ids on the first page
    run = h.sync()

    first, second = h.server.state.api_requests(PEOPLE)
    assert first.query["updated_from"] == ["2000-01-01 12:00 AM"]
    assert first.query["updated_to"] == [format_icims(run.started_at + timedelta(days=1))]
    assert "after" not in first.query and second.query["after"] == ["1900"]
    assert all(r.headers["Authorization"].startswith("Bearer ")
               for r in h.server.state.requests if r.path != "/oauth/token")
    h.clock.advance(3600)
    again = h.sync()
    [incremental] = h.server.state.api_requests(PEOPLE)[2:]
    # Overlaps the last window by more than the search cache's 15 minutes.
    assert incremental.query["updated_from"] == [format_icims(run.started_at -
                                                              timedelta(minutes=20))]
    assert incremental.query["updated_to"] == [format_icims(again.started_at)]


def test_datetimes_are_utc_to_the_minute():
    assert parse_icims("2024-05-01 02:15 PM") == utc(2024, 5, 1, 14, 15)
    assert parse_icims("2024-05-01 12:05 AM") == utc(2024, 5, 1, 0, 5)
    assert parse_icims("2016-06-01") == utc(2016, 6, 1)
    assert parse_icims(None) is None
    moment = utc(2024, 5, 1, 14, 15, 30)
    assert (format_icims(moment), format_icims(moment, up=True)) == (
        "2024-05-01 02:15 PM", "2024-05-01 02:16 PM")
    assert format_icims(utc(2024, 5, 1, 14, 15), up=True) == "2024-05-01 02:15 PM"


# ---------------------------------------------------------------------- what iCIMS lacks


def test_secured_and_vanished_profiles_are_recorded_not_stored(harness):
    h = harness(ICIMS, fake.load_fixture_dataset())

    run = h.sync()

    assert run.status == "partial"
    failures = _failures(h, run.id)
    secured = [f for f in failures if f.remote_id in ("2051", "50036")]
    assert {f.resource for f in secured} == {"people", "applicantworkflows"}
    assert all("secured from the integration user" in f.message for f in secured)
    padding = fake.load_fixture_dataset()["padding"]
    assert len(padding) == 996 and len(failures) == 996 + 2
    with h.session_factory() as s:
        assert sorted(s.scalars(select(Candidate.remote_id))) == [
            "1101", "1142", "1388", "2046", "917"]
        assert _app(s, "50036") is None


def test_a_profile_secured_after_it_was_synced_goes_at_the_next_full_sync(harness):
    h = harness(ICIMS)
    assert h.sync().status == "succeeded"
    state = h.server.state
    state.dataset["secured"]["people"] = [1388]
    state.dataset["secured"]["applicantworkflows"] = [50022]
    h.clock.advance(600)

    run = h.sync(full=True)

    assert run.status == "partial"
    assert {f.remote_id for f in _failures(h, run.id)} == {"1388", "50022"}
    with h.session_factory() as s:
        assert _candidate(s, "1388") is None and _app(s, "50022") is None
        assert _candidate(s, "1101") is not None


def test_status_changes_seen_by_later_syncs_add_up_to_the_furthest_stage(harness):
    h = harness(ICIMS)
    h.sync()
    h.clock.advance(3600)
    h.server.state.set_status(50008, ONSITE, {"id": "B1003", "value": "Interview"})
    h.clock.advance(60)
    moved = h.sync()
    h.clock.advance(3600)
    h.server.state.set_status(50008, {"id": "C36021", "value":
                                      "Rejected: Not Selected - Stronger Candidate"},
                              {"id": "B1006", "value": "Rejected"})
    h.clock.advance(60)
    rejected = h.sync()

    assert moved.status == rejected.status == "succeeded"
    with h.session_factory() as s:
        app = _app(s, "50008")
        assert app.status == ApplicationStatus.CLOSED and app.current_stage is None
        assert app.rejected_at == datetime.fromtimestamp(h.clock.now - 60, tz=timezone.utc)
        assert sorted(e.stage.name for e in app.stage_events) == [
            "Candidate: Phone Screen", "Interview: Onsite Interview"]
        assert furthest(e.stage.milestone for e in app.stage_events) == "onsite"


def test_the_daily_licence_spent_fails_the_run_clearly(harness):
    h = harness(ICIMS, rate_limit=6)

    run = h.sync()

    assert run.status == "failed"
    assert "icims: HTTP 429" in run.error and "resumes from the last saved page" in run.error
    # Retry-After (most of a day) is capped at the policy's 300 s, which is all its budget
    # of waiting: one more try, then the run stops until the next sync.
    assert h.server.state.rate_limited == 2 and max(h.clock.sleeps) == 300


def test_basic_credentials_sync_too(harness):
    h = harness(ICIMS)
    with h.session_factory() as s:
        from rediscover.core.models import Connection
        conn = s.get(Connection, h.connection_id)
        conn.credentials = {"username": fake.FIXTURE_USERNAME, "password": fake.FIXTURE_PASSWORD}
        s.commit()

    run = h.sync()

    assert run.status == "succeeded", run.error
    assert not h.server.state.api_requests("/oauth/token")
    assert all(r.headers["Authorization"].startswith("Basic ") for r in h.server.state.requests)


def test_credentials_are_an_oauth_client_or_a_username_and_password():
    with pytest.raises(FatalSyncError, match="client_id and client_secret"):
        ICIMSAdapter(_config({"client_id": "only"}))
    with pytest.raises(FatalSyncError, match="base URL"):
        ICIMSAdapter(_config({"username": "u", "password": "p"}, base_url=""))
    ICIMSAdapter(_config({"username": "u", "password": "p"}))


def test_token_request_names_the_audience(harness):
    h = harness(ICIMS)
    seen = []
    original = h.server.app.view_functions["token"]

    def spy(*args, **kwargs):
        from flask import request
        seen.append(dict(request.form))
        return original(*args, **kwargs)

    h.server.app.view_functions["token"] = spy
    assert h.sync().status == "succeeded"
    assert seen and seen[0]["audience"] == "https://api.icims.com/v1/"
    assert seen[0]["grant_type"] == "client_credentials"


def test_the_fixture_search_pages_match_what_the_fake_answers():
    """The bundled search pages are the fake's own answers to the recorded requests."""
    from importlib import resources

    folder = resources.files("rediscover.fakeats").joinpath("data/icims")
    page1 = json.loads(folder.joinpath("search_people_page1.json").read_text())
    page2 = json.loads(folder.joinpath("search_people_page2.json").read_text())
    data = fake.load_fixture_dataset()
    listed = sorted(set(data["people"]) | set(data["padding"]) | set(data["secured"]["people"]))
    assert [r["id"] for r in page1["searchResults"]] == listed[:1000]
    assert [r["id"] for r in page2["searchResults"]] == listed[1000:]


def _config(credentials, base_url="https://api.icims.com/customers/4321") -> ConnectionConfig:
    return ConnectionConfig(id=1, name="icims", ats="icims", base_url=base_url,
                            credentials=credentials)


def test_a_person_without_an_address_is_placed_where_the_resume_puts_their_employer(
        harness, tmp_path):
    """Tomás has no address and iCIMS work entries have no place: the resume's "Cabify,
    Madrid" (next to his current employer) locates him, marked derived."""
    from sqlalchemy.orm import sessionmaker

    from rediscover.core.db import make_engine, sqlite_url
    from rediscover.core.models import Base
    from rediscover.indexer.backends.sqlite import SQLiteBackend
    from rediscover.indexer.build import build_document
    from rediscover.indexer.pipeline import index_pending

    engine = make_engine(sqlite_url(tmp_path / "icims.sqlite"))
    Base.metadata.create_all(engine)
    factory = sessionmaker(engine, expire_on_commit=False)
    h = harness(ICIMS, factory=factory)
    assert h.sync().status == "succeeded"
    backend = SQLiteBackend(engine)
    backend.setup()
    assert not index_pending(factory, backend).failed
    with factory() as s:
        tomas, maya = _candidate(s, "2046"), _candidate(s, "1101")
        derived = build_document(s, tomas.person_id)
        stated = build_document(s, maya.person_id)
    assert (derived.location, derived.city, derived.country_code) == ("Madrid", "Madrid", "ES")
    assert derived.location_derived
    assert (stated.city, stated.location_derived) == ("Stockholm", False)
    engine.dispose()


def test_a_targeted_reread_searches_just_those_people_and_their_workflows(synced):
    state = synced.server.state
    state.touch_person(1101, title="Principal Engineer")
    state.dataset["applicantworkflows"].pop(50008)  # withdrawn from iCIMS since
    sent = len(state.requests)

    run = synced.sync(candidates=["1101"])

    assert run.status == "succeeded", run.error
    searches = [r for r in state.requests[sent:] if "/search/" in r.path]
    assert [r.path.rsplit("/", 1)[1] for r in searches] == ["people", "applicantworkflows"]
    assert all("updated_from" not in r.query for r in searches)  # by id, not by window
    profiles = {r.path for r in state.requests[sent:] if "/search/" not in r.path}
    assert f"{ICIMS_API}/people/1101" in profiles and f"{ICIMS_API}/people/1142" not in profiles
    with synced.session_factory() as s:
        assert _candidate(s, "1101").title == "Principal Engineer"
        assert _app(s, "50008") is None and _app(s, "50001") is not None
        assert _app(s, "50015") is not None  # someone else's: outside the re-read


def test_search_bodies_filter_by_window_ids_and_last_id():
    adapter = ICIMSAdapter(_config({"client_id": "a", "client_secret": "b"}))
    body = adapter.search_body("search/applicantworkflows", {
        "updated_from": "2024-05-01 02:15 PM", "updated_to": "2024-05-02 02:16 PM",
        "person_ids": "1101,917", "after": "50008", "cap": "1000"})
    assert body == {"operator": "&", "filters": [
        {"name": "applicantworkflow.updateddate", "value": ["2024-05-01 02:15 PM"],
         "secondaryValue": ["2024-05-02 02:16 PM"]},
        {"name": "applicantworkflow.person.id", "value": ["1101", "917"], "operator": "="},
        {"name": "applicantworkflow.id", "value": ["50008"], "operator": ">"}]}


def test_workflows_on_a_secured_job_are_skipped_not_reread_every_sync(harness):
    """A secured job hides a confidential search; its workflows may still be readable."""
    data = fake.generate_dataset(30)
    on_job: dict[int, list[int]] = {}
    for wid, wf in data["applicantworkflows"].items():
        on_job.setdefault(wf["baseprofile"]["id"], []).append(wid)
    job, workflows = max(on_job.items(), key=lambda kv: len(kv[1]))
    data.setdefault("secured", {})["jobs"] = [job]
    h = harness(ICIMS, data)

    first = h.sync()
    h.clock.advance(3600)
    second = h.sync()

    assert first.status == "partial"
    failed = {(f.resource, f.remote_id): f.message for f in _failures(h, first.id)}
    assert ("jobs", str(job)) in failed
    assert all(f"on job {job}" in failed["applicantworkflows", str(w)] for w in workflows)
    with h.session_factory() as s:
        assert all(_app(s, str(w)) is None for w in workflows)
        assert s.scalar(select(func.count()).select_from(Application)) == \
            len(data["applicantworkflows"]) - len(workflows)
    assert second.status == "succeeded" and _failures(h, second.id) == []
