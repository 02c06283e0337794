"""SmartRecruiters Customer API: the shared fixture scenario lands correctly, requests fit the API."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest
from sqlalchemy import select
from sync_cases import SMARTRECRUITERS

from rediscover.core.enums import ApplicationStatus
from rediscover.core.milestones import furthest
from rediscover.core.models import Application, Candidate, FileBlob, Job
from rediscover.sync.adapters.base import ConnectionConfig
from rediscover.sync.adapters.smartrecruiters import SmartRecruitersAdapter
from rediscover.sync.errors import FatalSyncError

MAYA, MAYA_AGAIN = "81b44880-3f11-5142-87a4-ec1fd9de0dca", "cbf8db70-6e73-521e-acec-c26e37a5d8dc"
DANIEL, PRIYA = "72743c40-9e7e-5e25-8cef-4e73ca336679", "1b82a5c9-79d1-5351-9cdb-304ed811d227"
TOMAS, GRACE = "258bdf04-94fb-5014-b57b-3746cf933ced", "f56dd16f-ae64-59d3-ba78-7faab2c9e7a7"
BACKEND_JOB = "e5fef1b7-52c1-5839-aff6-ce8c01dbcb4f"


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=timezone.utc)


@pytest.fixture
def synced(harness):
    h = harness(SMARTRECRUITERS)
    run = h.sync()
    assert run.status == "succeeded", run.error
    return h


def _candidate(session, remote_id: str) -> Candidate:
    return session.scalar(select(Candidate).where(Candidate.remote_id == remote_id))


def _apps(candidate: Candidate) -> dict[str, Application]:
    return {a.remote_id.split(":")[1]: a for a in candidate.applications}


def test_two_applications_with_history_reason_and_source(synced):
    with synced.session_factory() as s:
        maya = _candidate(s, MAYA)
        apps = _apps(maya)
        rejected = apps[BACKEND_JOB]
        assert rejected.status == ApplicationStatus.CLOSED
        assert rejected.rejection_reason.name == "Not Selected - Stronger Candidate"
        assert rejected.rejected_at == utc(2024, 1, 16, 15, 20)
        assert [x.source.name for x in rejected.sources] == ["LinkedIn"]
        assert furthest(e.stage.milestone for e in rejected.stage_events) == "onsite"
        assert [e.stage.name for e in rejected.stage_events] == [
            "New", "Recruiter Screen", "Hiring Manager Interview", "Onsite Interview"]
        assert rejected.stage_events[-1].exited_at == rejected.rejected_at
        [open_app] = [a for k, a in apps.items() if k != BACKEND_JOB]
        assert open_app.status == ApplicationStatus.OPEN
        assert open_app.current_stage.name == "Recruiter Screen"
        assert (maya.title, maya.company) == ("Senior Backend Engineer", "Spotify")
        assert maya.location == "Stockholm, Sweden"


def test_hired_withdrawn_lead_and_missing_email(synced):
    with synced.session_factory() as s:
        [hired] = _candidate(s, DANIEL).applications
        assert hired.status == ApplicationStatus.HIRED and hired.hired_at == utc(2024, 2, 28, 11, 45)
        [withdrawn] = _candidate(s, TOMAS).applications
        assert withdrawn.status == ApplicationStatus.CLOSED
        assert withdrawn.rejection_reason_id is None  # withdrawals carry no reason in the API
        assert furthest(e.stage.milestone for e in withdrawn.stage_events) == \
            "hiring_manager_screen"
        [lead] = _candidate(s, MAYA_AGAIN).applications
        assert lead.status == ApplicationStatus.PROSPECT  # LEAD: sourced, never applied
        assert [e.normalized for e in _candidate(s, MAYA_AGAIN).emails] == [
            "maya.lindqvist@example.com"]
        priya = _candidate(s, PRIYA)
        assert priya.emails == [] and priya.location == "bangalore, KA, India"


def test_private_posting_is_a_confidential_job(synced):
    with synced.session_factory() as s:
        vp = s.scalar(select(Job).where(Job.title == "VP Engineering"))
        assert vp.confidential and vp.team_members == []  # no hiring-team endpoint read
        [app] = _candidate(s, GRACE).applications
        assert app.job_id == vp.id and app.status == ApplicationStatus.OPEN


def test_resumes_are_downloaded_and_avatars_skipped(synced):
    with synced.session_factory() as s:
        [resume] = _candidate(s, MAYA).attachments  # the AVATAR is not a document
        assert resume.filename == "Maya_Lindqvist_CV.pdf" and resume.type == "resume"
        assert resume.content_hash and resume.application_id is None
        [txt] = _candidate(s, DANIEL).attachments
        assert txt.content_type == "text/plain"
        assert s.get(FileBlob, txt.content_hash).data.strip()
        assert _candidate(s, MAYA_AGAIN).attachments == []


def test_requests_use_the_smart_token_and_page_ids(synced):
    state = synced.server.state
    assert all(r.headers.get("X-Smarttoken") for r in state.requests)
    [first] = state.api_requests("/candidates")
    assert first.query["limit"] == ["100"] and "updatedAfter" not in first.query
    assert state.api_requests(f"/candidates/{MAYA}/jobs/{BACKEND_JOB}/status/history")
    assert not [r for r in state.requests if r.path.endswith("/source")]  # labels ride along


def test_sub_statuses_of_one_status_are_ordered_by_their_milestone():
    adapter = SmartRecruitersAdapter(_config())
    onsite = adapter.to_stage({"status": "INTERVIEW", "subStatus": "Onsite Interview"})
    screen = adapter.to_stage({"status": "INTERVIEW", "subStatus": "Hiring Manager Interview"})
    review = adapter.to_stage({"status": "IN_REVIEW", "subStatus": "Final review"})
    assert review.sort_order < screen.sort_order < onsite.sort_order
    assert adapter.to_stage({"status": "OFFERED"}).name == "Offered"


def test_credentials_are_an_api_key_or_an_oauth_client():
    with pytest.raises(FatalSyncError, match="api_key"):
        SmartRecruitersAdapter(_config(credentials={"client_id": "only"}))
    SmartRecruitersAdapter(_config(credentials={"client_id": "a", "client_secret": "b"}))


def _config(credentials=None) -> ConnectionConfig:
    return ConnectionConfig(id=1, name="sr", ats="smartrecruiters", base_url="http://x",
                            credentials={"api_key": "k"} if credentials is None else credentials)
