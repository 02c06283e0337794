"""Lever Data API v1: the shared fixture scenario lands correctly, requests have Lever's shape."""
from __future__ import annotations

import copy
import io
from datetime import datetime, timezone

import pytest
from sqlalchemy import select
from sync_cases import LEVER, LEVER_LAST
from sync_support import snapshot

from rediscover.core.enums import ApplicationStatus, Recommendation, ScorecardStatus
from rediscover.core.milestones import furthest
from rediscover.core.models import Candidate, FileBlob, Job, Scorecard, Stage
from rediscover.fakeats import lever as fake_lever
from rediscover.sync.adapters.lever import LeverAdapter, from_ms

NOOR_BACKEND = "887520c1-1f3a-5836-b13f-29d8f9110a6e"
NOOR_DATA = "12d1abe0-609f-5265-a817-025a35b418b3"
GRACE = "8f0b7b16-760a-5da7-966f-28968d9f306a"
BEN = "65329b7e"
MIA_OLD = "5d9a16fe"
HANNAH = "8ff7b33f-8fef-5a58-b707-a011d8a7ddcf"


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=timezone.utc)


@pytest.fixture
def synced(harness):
    """The shared Lever fixture scenario, synced once."""
    h = harness(LEVER)
    run = h.sync()
    assert run.status == "succeeded", run.error
    h.first_run = run
    return h


def _candidate(session, prefix: str) -> Candidate:
    return session.scalar(select(Candidate).where(Candidate.remote_id.startswith(prefix)))


# ---------------------------------------------------------------------- the scenario


def test_each_opportunity_is_a_candidate_record_with_one_application(synced):
    with synced.session_factory() as s:
        noor = [_candidate(s, NOOR_BACKEND), _candidate(s, NOOR_DATA)]
        assert [len(c.applications) for c in noor] == [1, 1]
        assert {e.normalized for c in noor for e in c.emails} == {"noor.haddad@example.com"}
        assert noor[0].title == "Contoso Cloud, Fabrikam, American University of Beirut"
        assert noor[0].company == "Contoso Cloud" and noor[0].location == "Oakland, CA"
        assert (noor[0].first_name, noor[0].last_name) == ("Noor", "Haddad")
        assert {t.normalized for t in noor[1].tags} == {"backend", "go", "silver medalist", "data"}
        mia = _candidate(s, MIA_OLD)  # "Mia  Chen", updatedAt null: a full listing has her
        assert (mia.first_name, mia.last_name, mia.remote_updated_at) == ("Mia", "Chen", None)


def test_outcomes_hired_rejected_open_and_lead(synced):
    with synced.session_factory() as s:
        rejected = _candidate(s, NOOR_BACKEND).applications[0]
        assert rejected.status == ApplicationStatus.CLOSED
        assert rejected.rejection_reason.name == "Underqualified"
        assert rejected.rejected_at == utc(2024, 2, 14, 16, 5, 11)
        assert rejected.job.title == "Senior Backend Engineer"
        hired = _candidate(s, GRACE).applications[0]
        assert hired.status == ApplicationStatus.HIRED and hired.rejection_reason_id is None
        assert hired.hired_at == from_ms(1706638800000)
        declined = _candidate(s, HANNAH).applications[0]
        assert declined.status == ApplicationStatus.CLOSED
        assert declined.rejection_reason.name == "Offer declined"
        assert _candidate(s, NOOR_DATA).applications[0].status == ApplicationStatus.OPEN
        [lead] = _candidate(s, BEN).applications  # applications: [] -> a prospect, no job
        assert lead.status == ApplicationStatus.PROSPECT and lead.job_id is None


def test_stage_changes_give_the_furthest_milestone(synced):
    with synced.session_factory() as s:
        app = _candidate(s, NOOR_BACKEND).applications[0]
        history = [(e.stage.name, e.exited_at is not None) for e in app.stage_events]
        assert history == [("New applicant", True), ("Recruiter Screen", True),
                           ("Phone Interview", True), ("On-Site Interview", True)]
        assert furthest(e.stage.milestone for e in app.stage_events) == "onsite"
        assert app.stage_events[-1].exited_at == app.rejected_at  # archived: the stay ended
        stages = s.scalars(select(Stage).order_by(Stage.sort_order)).all()
        assert all(st.job_id is None for st in stages)  # Lever's pipeline is account-wide
        assert [st.milestone for st in stages] == [
            "application_review"] * 4 + ["recruiter_screen", "hiring_manager_screen", "onsite",
                                         "onsite", "offer"]


def test_confidential_posting_and_its_team(synced):
    with synced.session_factory() as s:
        vp = s.scalar(select(Job).where(Job.title == "VP of Engineering"))
        assert vp.confidential
        roles = {(m.remote_user_id[:8], m.role) for m in vp.team_members}
        assert {r for _, r in roles} <= {"hiring_manager", "recruiter", "permission"}
        assert any(r == "hiring_manager" for _, r in roles)
        victor = _candidate(s, LEVER_LAST).applications[0]
        assert victor.job_id == vp.id  # listed only because we ask confidentiality=all
    [first] = synced.server.state.api_requests("/v1/opportunities")
    assert first.query["confidentiality"] == ["all"] and first.query["expand"] == ["applications"]
    assert "updated_at_start" not in first.query  # a full listing must not drop null updatedAt


def test_feedback_maps_the_four_point_scale(synced):
    with synced.session_factory() as s:
        cards = {c.remote_id[:8]: (c.recommendation, c.status,
                                   c.application.candidate.remote_id)
                 for c in s.scalars(select(Scorecard))}
    got = {k: (r, st) for k, (r, st, _) in cards.items()}
    assert got["1c752e96"] == (Recommendation.STRONG_YES, ScorecardStatus.SUBMITTED)  # 4
    assert got["da420cac"] == (Recommendation.YES, ScorecardStatus.SUBMITTED)  # 3
    noor = sorted(r for r, _, cid in cards.values() if cid == NOOR_BACKEND)
    assert noor == sorted([Recommendation.NO, Recommendation.STRONG_NO])  # 2 and 1
    # Victor's form is completed with no rating: Lever has no "no decision", so it is one.
    assert got["e349c902"] == (Recommendation.NO_DECISION, ScorecardStatus.SUBMITTED)


@pytest.mark.parametrize(("field", "expected"), [
    ({"type": "score-system", "value": "3 - Yes"}, Recommendation.YES),
    ({"type": "score", "value": "1 - Strong No Hire"}, Recommendation.STRONG_NO),
    ({"type": "dropdown", "overall": True, "value": "4 - Strong Hire"}, Recommendation.STRONG_YES),
    ({"type": "score", "value": 2}, Recommendation.NO_DECISION),  # a per-skill thumb only
    ({"type": "score-system", "value": None}, Recommendation.NO_DECISION),
])
def test_overall_rating_is_found_by_type_flag_or_shape(field, expected):
    form = {"id": "f", "fields": [field], "completedAt": 1, "createdAt": 1}
    adapter = LeverAdapter(_config())
    assert adapter.to_scorecard(form, "a").recommendation == expected


def test_a_draft_form_is_a_draft_and_a_deleted_form_is_dropped():
    adapter = LeverAdapter(_config())
    draft = adapter.to_scorecard({"id": "f", "fields": [], "completedAt": None}, "a")
    assert (draft.status, draft.recommendation) == (ScorecardStatus.DRAFT, None)
    raw = {"id": "o", "_feedback": [{"id": "x", "deletedAt": 5, "fields": []}]}
    assert adapter._scorecards(raw, "a") == ()


def test_resumes_and_files_are_downloaded_and_a_broken_one_recorded(synced):
    with synced.session_factory() as s:
        grace = _candidate(s, GRACE)
        files = {a.filename: a for a in grace.attachments}
        resume = files["Grace Okafor - Resume.pdf"]
        assert resume.type == "resume" and resume.application_id == grace.applications[0].id
        blob = s.get(FileBlob, resume.content_hash)
        from pdfminer.high_level import extract_text
        assert "Design systems" in extract_text(io.BytesIO(blob.data))
        assert files["GraceOkafor_Portfolio.pdf"].type == "other"
        [broken] = _candidate(s, HANNAH).attachments  # status "error": Lever answers 422
        assert broken.content_hash is None and "HTTP 422" in broken.download_error


def test_several_sources_are_all_kept_in_order(harness):
    data = fake_lever.load_fixture_dataset()
    data = copy.deepcopy(data)
    data["opportunities"][0]["sources"] = ["Referral", "LinkedIn", "Referral"]
    h = harness(LEVER, data)
    assert h.sync().status == "succeeded"
    with h.session_factory() as s:
        app = _candidate(s, NOOR_BACKEND).applications[0]
        assert [x.source.name for x in sorted(app.sources, key=lambda x: x.position)] == [
            "Referral", "LinkedIn"]


def test_per_opportunity_requests_and_no_paging_on_resumes(synced):
    state = synced.server.state
    resumes = state.api_requests(f"/v1/opportunities/{GRACE}/resumes")
    assert len(resumes) == 1 and "limit" not in resumes[0].query  # not paginated
    assert state.api_requests(f"/v1/opportunities/{GRACE}/feedback")[0].query["limit"] == ["100"]
    hired = state.api_requests("/v1/archive_reasons")
    assert any(r.query.get("type") == ["hired"] for r in hired)
    assert all(r.headers["Authorization"].startswith("Basic ") for r in state.requests)


def test_an_invalid_offset_token_is_refused_by_the_fake(serve):
    server = serve(LEVER)
    import httpx
    auth = (fake_lever.FIXTURE_API_KEY, "")
    page = httpx.get(f"{server.base_url}/v1/opportunities?limit=5&confidentiality=all",
                     auth=auth).json()
    assert page["hasNext"] and len(page["data"]) == 5
    bad = httpx.get(f"{server.base_url}/v1/opportunities?offset=0.1.nope", auth=auth)
    assert bad.status_code == 400 and "Invalid offset token" in bad.json()["message"]
    plain = httpx.get(f"{server.base_url}/v1/opportunities", auth=auth).json()
    assert len(plain["data"]) == 8  # confidential ones only when asked for
    assert isinstance(plain["data"][0]["applications"][0], str)  # ids unless expanded


# ---------------------------------------------------------------------- rate limits


def test_steady_pacing_never_empties_the_token_bucket(harness):
    h = harness(LEVER, fake_lever.generate_dataset(25), settings={"per_page": 5})

    run = h.sync()

    state = h.server.state
    assert run.status == "succeeded", run.error
    assert state.rate_limited == 0 and len(state.requests) > 60
    assert max(state.windows.values()) <= 10  # Lever's steady 10 requests a second
    assert run.rate_budget == pytest.approx(1 / 0.105)


def test_an_empty_bucket_429_without_retry_after_is_backed_off(harness):
    # A bucket of 2 refilling at 1/s: the 10/s pacing outruns it and gets bare 429s.
    h = harness(LEVER, rate_limit=1, window=1, burst=2)

    run = h.sync()

    assert run.status == "succeeded", run.error
    assert h.server.state.rate_limited > 0
    assert snapshot(h.session_factory)["candidates"]


def _config():
    from rediscover.sync.adapters.base import ConnectionConfig
    return ConnectionConfig(id=1, name="l", ats="lever", base_url="http://x/v1",
                            credentials={"api_key": "k"})
