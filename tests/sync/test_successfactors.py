"""SAP SuccessFactors (OData v2): the shared fixture scenario lands right; OData's own rules."""
from __future__ import annotations

import base64
import hashlib
import json
from datetime import datetime, timezone
from importlib import resources

import pytest
from sqlalchemy import select
from sync_cases import SUCCESSFACTORS
from sync_support import StatementCounter, add_connection

from rediscover.core.enums import ApplicationStatus, Recommendation, ScorecardStatus
from rediscover.core.models import (
    Application,
    Attachment,
    Candidate,
    Connection,
    Job,
    RejectionReason,
    Scorecard,
    Stage,
    StageEvent,
    SyncCheckpoint,
    SyncFailure,
)
from rediscover.fakeats import successfactors as fake_sf
from rediscover.fakeats.server import Fault
from rediscover.indexer.build import build_documents
from rediscover.indexer.merge import merge_all
from rediscover.sync.adapters.base import ConnectionConfig
from rediscover.sync.adapters.successfactors import SuccessFactorsAdapter, parse_odata_date
from rediscover.sync.errors import FatalSyncError
from rediscover.sync.runner import run_sync


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=timezone.utc)


@pytest.fixture
def synced(harness):
    """The shared SF fixture scenario, synced once."""
    h = harness(SUCCESSFACTORS)
    run = h.sync()
    assert run.status == "succeeded", run.error
    return h


def _one(session, model, remote_id: str):
    return session.scalar(select(model).where(model.remote_id == remote_id))


# ---------------------------------------------------------------------- values


@pytest.mark.parametrize("raw, expected", [
    ("/Date(1714521600000)/", utc(2024, 5, 1)),  # Edm.DateTime
    ("/Date(1714521600000+0000)/", utc(2024, 5, 1)),  # Edm.DateTimeOffset, UTC
    # The ms are UTC; the offset (minutes) only says where it was entered.
    ("/Date(1700000000000+0060)/", utc(2023, 11, 14, 22, 13, 20)),
    ("/Date(1700000000000-0300)/", utc(2023, 11, 14, 22, 13, 20)),
    ("/Date(-86400000)/", utc(1969, 12, 31)),  # before 1970
    ("/Date(-2208988800000+0000)/", utc(1900, 1, 1)),
    ("/Date(0)/", utc(1970, 1, 1)),
    ("/Date(253402214400000)/", None),  # 9999-12-31: end of time
    ("/Date(253402214400000+0000)/", None),
    ("/Date(253402300799000)/", None),  # 9999-12-31T23:59:59
    ("2024-05-01T10:00:00Z", utc(2024, 5, 1, 10)),  # ISO from custom fields
    (None, None),
    ("", None),
])
def test_odata_dates(raw, expected):
    assert parse_odata_date(raw) == expected


def test_a_garbled_date_is_a_skipped_record_not_a_crash():
    adapter = SuccessFactorsAdapter(_config())
    resource = next(r for r in adapter.resources if r.name == "candidates")
    with pytest.raises(Exception) as caught:
        adapter.to_record(resource, {"candidateId": "1", "creationDateTime": "/Date(soon)/"})
    assert type(caught.value).__name__ == "SkippedRecordError"
    assert caught.value.remote_id == "1"  # named by its OData key, so it is never swept


def _config(**credentials) -> ConnectionConfig:
    creds = credentials or {"company_id": "c", "client_id": "x", "user_id": "u",
                            "private_key": "k"}
    return ConnectionConfig(id=1, name="sf", ats="successfactors", base_url="http://sf/odata/v2",
                            credentials=creds)


@pytest.mark.parametrize("credentials", [
    {"company_id": "c"},
    {"company_id": "c", "client_id": "x", "user_id": "u"},
    {"company_id": "c", "username": "api"},
])
def test_incomplete_credentials_are_a_config_error(credentials):
    with pytest.raises(FatalSyncError, match="OAuth .* or Basic"):
        SuccessFactorsAdapter(_config(**credentials))


# ---------------------------------------------------------------------- the fixture scenario


def test_candidates_ids_as_strings_location_and_flags(synced):
    with synced.session_factory() as s:
        maya = _one(s, Candidate, "1001")
        assert (maya.first_name, maya.location) == ("Maya", "Stockholm, Sweden")
        assert {t.name for t in maya.tags} == {"Python", "Silver Medalist"}
        assert _one(s, Candidate, "1003").emails == []  # primaryEmail "" and contactEmail null
        assert _one(s, Candidate, "1003").location == "bangalore, India"  # raw, trimmed
        tomas = _one(s, Candidate, "1004")  # no address: the work entry's tenant field
        assert (tomas.location, tomas.work_location) == (None, "Madrid, Spain")
        assert _one(s, Candidate, "1005").is_private
        assert [e.normalized for e in _one(s, Candidate, "1006").emails] == [
            "maya.lindqvist@example.com"]
        assert all(isinstance(c.remote_id, str) for c in s.scalars(select(Candidate)))


def test_a_location_from_work_history_is_searchable_and_marked_derived(synced):
    """Tomás states no location anywhere (candidate or application): the index takes the work
    entry's and says so; Maya's own city is stated, not derived."""
    with synced.session_factory() as s:
        merge_all(s)
        s.commit()
        tomas, maya = _one(s, Candidate, "1004"), _one(s, Candidate, "1001")
        docs = build_documents(s, [tomas.person_id, maya.person_id])
        derived, stated = docs[tomas.person_id], docs[maya.person_id]
    assert (derived.location, derived.city, derived.location_derived) == (
        "Madrid, Spain", "Madrid", True)
    assert (stated.city, stated.location_derived) == ("Stockholm", False)


def test_applications_statuses_reasons_and_hire(synced):
    with synced.session_factory() as s:
        def app(rid):
            return _one(s, Application, rid)

        rejected = app("2001")
        assert rejected.status == ApplicationStatus.CLOSED
        assert s.get(RejectionReason, rejected.rejection_reason_id).name == \
            "Not Selected - Stronger Candidate"
        assert rejected.current_stage_name == "Final Interview"  # the last stage, not the reason
        assert app("2002").status == ApplicationStatus.OPEN
        assert app("2002").current_stage_name == "Phone Screen"
        hired = app("2003")
        assert hired.status == ApplicationStatus.HIRED and hired.hired_at is not None
        withdrawn = app("2005")
        assert withdrawn.status == ApplicationStatus.CLOSED
        assert s.get(RejectionReason, withdrawn.rejection_reason_id).name == \
            "Withdrawn by Candidate"
        assert app("2007").status == ApplicationStatus.PROSPECT  # "Non Applied"
        assert app("2004").location == "bangalore , KA, India"  # currentLocation, raw
        assert s.get(Job, rejected.job_id).title == "Senior Backend Engineer"  # jobReqLocale


def test_status_history_gives_the_furthest_stage(synced):
    with synced.session_factory() as s:
        app = _one(s, Application, "2001")
        events = s.scalars(select(StageEvent).where(StageEvent.application_id == app.id)
                           .order_by(StageEvent.entered_at)).all()
        assert [e.stage_name for e in events] == [
            "New Application", "Phone Screen", "Interview", "Final Interview"]
        assert events[-1].exited_at is None and events[0].exited_at == events[1].entered_at
        stages = {x.name: x.milestone for x in s.scalars(select(Stage))}
        assert stages["Final Interview"] == "onsite" and stages["Interview"] == \
            "hiring_manager_screen" and stages["Hired"] == "offer"
        assert "Withdrawn by Candidate" not in stages  # an SF system disqualification status


def test_interviews_become_scorecards(synced):
    with synced.session_factory() as s:
        app = _one(s, Application, "2001")
        cards = s.scalars(select(Scorecard).where(Scorecard.application_id == app.id)).all()
        assert sorted(c.recommendation for c in cards) == sorted(
            [Recommendation.YES, Recommendation.NO])
        assert {c.status for c in cards} == {ScorecardStatus.SUBMITTED}
        assert {c.interviewer_remote_id for c in cards} >= {"erik.sandberg"}


def test_resumes_are_decoded_from_file_content(synced):
    folder = resources.files("rediscover.fakeats").joinpath("data/successfactors")
    entity = json.loads(folder.joinpath("Candidate_1001_resume.json").read_text())["d"]
    expected = hashlib.sha256(base64.b64decode(entity["fileContent"])).hexdigest()
    with synced.session_factory() as s:
        resume = _one(s, Attachment, "5001")
        assert (resume.content_hash, resume.type, resume.download_error) == (
            expected, "resume", None)
    single = [r for r in synced.server.state.requests if r.path.endswith("Attachment(5001L)")]
    assert single and single[0].param("$select") == "fileContent,mimeType"


def _resume_hash() -> str:
    folder = resources.files("rediscover.fakeats").joinpath("data/successfactors")
    entity = json.loads(folder.joinpath("Candidate_1001_resume.json").read_text())["d"]
    return hashlib.sha256(base64.b64decode(entity["fileContent"])).hexdigest()


RESUME_PATH = "/odata/v2/Attachment(5001L)"


@pytest.mark.parametrize("kind", ["malformed", "truncated"])
def test_a_garbled_attachment_body_is_read_again_by_the_client(harness, kind):
    """The base64 file rides in a JSON body: decoding it is part of the retried request."""
    faults = SUCCESSFACTORS.faults().add(RESUME_PATH, Fault(kind), times=2)
    h = harness(SUCCESSFACTORS, faults=faults)

    run = h.sync()

    assert run.status == "succeeded", run.error
    assert len(h.server.state.api_requests(RESUME_PATH)) == 3
    with h.session_factory() as s:
        resume = _one(s, Attachment, "5001")
        assert (resume.content_hash, resume.download_error) == (_resume_hash(), None)


def test_an_attachment_unreadable_after_retries_is_recorded_and_read_next_time(harness):
    faults = SUCCESSFACTORS.faults().malformed(RESUME_PATH, times=5)
    h = harness(SUCCESSFACTORS, faults=faults)

    run = h.sync()

    assert run.status == "partial"
    with h.session_factory() as s:
        [failure] = s.scalars(select(SyncFailure).where(SyncFailure.run_id == run.id)).all()
        assert (failure.resource, failure.remote_id) == ("attachments", "5001")
        assert "not the expected JSON" in failure.message and "5 attempts" in failure.message
        assert _one(s, Attachment, "5001") is None  # not stored as an empty or broken file
        assert _one(s, Attachment, "5002") is not None  # the others were
        marks = dict(s.execute(select(SyncCheckpoint.resource, SyncCheckpoint.watermark)).all())
        assert marks["attachments"] is None  # the window stays open
    h.clock.advance(600)
    healed = h.sync()
    assert healed.status == "succeeded", healed.error
    with h.session_factory() as s:
        assert _one(s, Attachment, "5001").content_hash == _resume_hash()


def test_requests_have_the_odata_shape(synced):
    state = synced.server.state
    first, *rest = state.api_requests("/odata/v2/JobApplication")
    assert first.param("$format") == "json" and first.param("paging") == "snapshot"
    assert first.param("$expand") == "jobAppStatus,jobApplicationStatusAuditTrail/jobAppStatus"
    assert first.param("$filter").startswith("lastModifiedDateTime ge datetimeoffset'")
    [attachments] = state.api_requests("/odata/v2/Attachment")
    assert attachments.param("$filter").startswith("documentEntityType eq 'RCM_CANDIDATE' and ")
    assert "fileContent" not in attachments.param("$select")
    [statuses] = state.api_requests("/odata/v2/JobApplicationStatus")
    assert statuses.param("$filter") is None  # no timestamp on statuses: listed in full


def test_next_links_are_followed_verbatim(harness):
    h = harness(SUCCESSFACTORS, settings={"per_page": 2})
    assert h.sync().status == "succeeded"
    pages = h.server.state.api_requests("/odata/v2/Candidate")
    assert len(pages) == 3 and all("$skiptoken" in p.query for p in pages[1:])
    assert len({p.param("$skiptoken") for p in pages[1:]}) == 2  # a new token every page
    assert {p.param("$filter") for p in pages} == {pages[0].param("$filter")}


def test_throttling_429_is_waited_out(harness):
    h = harness(SUCCESSFACTORS, rate_limit=4, window=60)
    run = h.sync()
    assert run.status == "succeeded", run.error
    assert h.server.state.rate_limited >= 1
    assert any(s >= 1 for s in h.clock.sleeps)


def test_basic_auth_and_a_refused_password(serve, session_factory, clock):
    server = serve(SUCCESSFACTORS, basic=("api@" + fake_sf.FIXTURE_COMPANY_ID, "pw"))
    connection_id = add_connection(session_factory, server)
    with session_factory() as s:
        s.get(Connection, connection_id).credentials = {
            "company_id": fake_sf.FIXTURE_COMPANY_ID, "username": "api", "password": "pw"}
        s.commit()
    assert run_sync(connection_id, session_factory, clock=clock,
                    sleep=clock.sleep).status == "succeeded"
    with session_factory() as s:
        s.get(Connection, connection_id).credentials = {
            "company_id": fake_sf.FIXTURE_COMPANY_ID, "username": "api", "password": "nope"}
        s.commit()
    clock.advance(60)
    run = run_sync(connection_id, session_factory, clock=clock, sleep=clock.sleep)
    assert run.status == "failed" and "HTTP 401" in run.error and "nope" not in run.error


def test_a_wrong_private_key_fails_at_the_idp_clearly(serve, session_factory, clock):
    server = serve(SUCCESSFACTORS)
    connection_id = add_connection(session_factory, server)
    with session_factory() as s:
        conn = s.get(Connection, connection_id)
        conn.credentials = {**conn.credentials, "private_key": "d3Jvbmc="}
        s.commit()
    run = run_sync(connection_id, session_factory, clock=clock, sleep=clock.sleep)
    assert run.status == "failed"
    assert "SAML IdP" in run.error and "private key" in run.error and "d3Jvbmc=" not in run.error


def test_a_disqualified_status_named_in_settings_is_a_reason_not_a_stage(harness):
    h = harness(SUCCESSFACTORS, settings={
        "disqualified_statuses": ["Not Selected - Stronger Candidate"]})
    assert h.sync().status == "succeeded"
    with h.session_factory() as s:
        assert "Not Selected - Stronger Candidate" not in {x.name for x in s.scalars(select(Stage))}
        assert "Not Selected - Stronger Candidate" in {
            r.name for r in s.scalars(select(RejectionReason))}


def test_a_second_sync_of_the_fixtures_writes_nothing(synced):
    """Reasons come from the status list and from applications: both must agree."""
    synced.clock.advance(3600)
    with StatementCounter(synced.session_factory) as writes:
        full = synced.sync(full=True)
    assert full.status == "succeeded", full.error
    assert writes.statements == []
