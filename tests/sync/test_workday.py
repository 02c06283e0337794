"""Workday specifics beyond the shared contract: fixtures mapped, envelopes sent, feedback refused.

The fake Workday speaks SOAP over real HTTP on 127.0.0.1 (``rediscover.fakeats.workday``).
"""
from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import datetime, timezone

import pytest
from sqlalchemy import select
from sync_cases import WORKDAY
from sync_support import SyncHarness, add_connection

from rediscover.core.models import (
    Application,
    Attachment,
    Candidate,
    Connection,
    Job,
    JobTeamMember,
    Scorecard,
    SyncFailure,
)
from rediscover.fakeats import workday as fake_wd
from rediscover.indexer.backends.sqlite import SQLiteBackend
from rediscover.indexer.pipeline import index_pending
from rediscover.query.filters import SearchRequest, Viewer
from rediscover.query.search import search
from rediscover.sync.adapters.base import ConnectionConfig
from rediscover.sync.adapters.workday import WorkdayAdapter, parse_wd_datetime
from rediscover.sync.errors import FatalSyncError

MAYA, DANIEL, PRIYA, TOMAS, GRACE, MAYA_PROSPECT = (
    "e2ea92a816735835aead47b3d7bd940f", "db79ae41e02a5e34a154e290a78064af",
    "99a0417947b05e958f4697a3a76e5919", "17a2d45f5def55638f97cd0828c55eff",
    "e968522873cd547caaf2cab1337af729", "3c922375841f595e9155de8cfd783851")
ISU = {"username": fake_wd.FIXTURE_USERNAME, "password": fake_wd.FIXTURE_PASSWORD}


def _isu_fields(base: str) -> dict:
    return {"base_url": f"{base}/ccx/service/acme1/Recruiting/v42.0", "credentials": dict(ISU)}


@pytest.fixture
def workday(session_factory, serve, clock):
    """``workday(dataset=None, settings=..., isu=True, **app_options)`` → a harness."""

    def make(dataset=None, *, settings=None, isu=True, **options) -> SyncHarness:
        case = WORKDAY if not isu else _isu_case()
        server = serve(case, dataset, **options)
        conn = add_connection(session_factory, server, **(settings or {}))
        return SyncHarness(case, server, session_factory, clock, conn)

    return make


def _isu_case():
    from dataclasses import replace

    return replace(WORKDAY, connection_fields=_isu_fields, token_path=None)


def _envelopes(h: SyncHarness, operation: str) -> list[dict]:
    return [r.query for r in h.server.state.api_requests(operation)]


# ---------------------------------------------------------------------- fixtures mapped


def test_the_fixtures_sync_into_the_store(workday):
    h = workday(settings={"per_page": 3})

    run = h.sync()

    assert run.status == "succeeded", run.error
    with h.session_factory() as s:
        people = {c.remote_id: c for c in s.scalars(select(Candidate))}
        apps = {a.remote_id: a for a in s.scalars(select(Application))}
        jobs = {j.requisition_id: j for j in s.scalars(select(Job))}
        assert set(people) == {MAYA, DANIEL, PRIYA, TOMAS, GRACE, MAYA_PROSPECT}  # WIDs
        assert people[GRACE].is_private  # Prospect_Data/Confidential
        assert jobs["R-00104"].confidential and not jobs["R-00101"].confidential
        assert {(m.remote_user_id, m.role) for m in s.scalars(select(JobTeamMember))
                if m.job_id == jobs["R-00104"].id} == {
            ("5b1a3a29db4a5eb8bd9043460bcdacb9", "hiring_manager")}
        assert people[PRIYA].emails == []  # no Email_Address
        assert people[TOMAS].location == "Madrid, Spain"  # derived from the current job
        assert people[DANIEL].location == "Austin, Texas, United States"
        assert (people[MAYA].title, people[MAYA].company) == ("Senior Backend Engineer", "Spotify")
        assert [t.name for t in people[MAYA].tags] == ["Python", "Silver Medalist"]
        assert {k: a.status for k, a in apps.items()} == {
            "JOB_APPLICATION-6-1001": "closed", "JOB_APPLICATION-6-1002": "open",
            "JOB_APPLICATION-6-1003": "hired", "JOB_APPLICATION-6-1004": "closed",
            "JOB_APPLICATION-6-1005": "closed", "JOB_APPLICATION-6-1006": "open"}
        declined = apps["JOB_APPLICATION-6-1001"]
        assert declined.rejection_reason.name == "Not Selected - Stronger Candidate"
        assert declined.current_stage_name == "Interview"  # the stage it was decided in
        assert declined.applied_at == datetime(2023, 12, 1, 8, tzinfo=timezone.utc)
        assert [s.source.name for s in declined.sources] == ["LinkedIn"]
        assert apps["JOB_APPLICATION-6-1005"].rejection_reason.type_key == "THEY_REJECTED_US"
        cards = {(c.application.remote_id, c.interviewer_name, c.recommendation)
                 for c in s.scalars(select(Scorecard))}
        assert ("JOB_APPLICATION-6-1001", "Erik Sandberg", "yes") in cards
        assert ("JOB_APPLICATION-6-1001", "Aisha Nwosu", "no") in cards
        files = {a.filename: a for a in s.scalars(select(Attachment))}
        assert files["daniel-okafor-resume.txt"].content_type == "text/plain"
        assert all(f.content_hash and f.size and f.download_error is None for f in files.values())


def test_envelopes_carry_the_window_paging_and_ws_security(workday):
    h = workday(settings={"per_page": 3})
    run = h.sync()

    pages = _envelopes(h, "Get_Candidates")
    assert [p["Page"] for p in pages] == [["1"], ["2"]] and {p["Count"][0] for p in pages} == {"3"}
    assert {p["As_Of_Entry_DateTime"][0] for p in pages} == {p["Updated_Through"][0]
                                                            for p in pages}  # pinned
    assert pages[0]["Updated_From"] == ["2000-01-01T00:00:00.000Z"]
    feedback = _envelopes(h, "Get_Interview_Feedbacks")
    assert {(q["Candidate"][0], q["Requisition"][0]) for q in feedback} >= {
        (MAYA, "8d5a4c4e8c135f5885269b6d67b48285")}
    sent = h.server.state.requests[0]
    assert "Authorization" not in sent.headers  # ISU: WS-Security inside the envelope
    h.clock.advance(3600)
    again = h.sync()
    window = _envelopes(h, "Get_Candidates")[-1]
    assert window["Updated_From"] == ["2024-05-31T23:55:00.000Z"]  # watermark - lookback
    assert again.status == run.status == "succeeded"


def test_a_wrong_isu_password_fails_clearly_without_leaking_it(workday, session_factory):
    h = workday()
    with session_factory.begin() as s:
        s.get(Connection, h.connection_id).credentials = {**ISU, "password": "wrong-secret"}

    run = h.sync()

    assert run.status == "failed"
    assert "SOAP fault SOAP-ENV:Client.authenticationError" in run.error
    assert "user name" in run.error and "wrong-secret" not in run.error
    assert len(h.server.state.api_requests("Get_Job_Requisitions")) == 1  # not retried


def test_page_zero_is_a_validation_fault_not_retried(workday):
    h = workday()
    adapter = WorkdayAdapter(ConnectionConfig(id=1, name="wd", ats="workday", credentials=ISU,
                                              base_url=_isu_fields(h.server.base_url)["base_url"]))
    envelope = adapter.build_envelope({"operation": "Get_Candidates", "Page": "0", "Count": "3"})
    with adapter.make_client(sleep=h.clock.sleep) as client, pytest.raises(FatalSyncError) as err:
        client.post_soap(adapter.base_url, envelope, operation="Get_Candidates")
    assert err.value.status == 400 and "Page Number cannot be zero" in err.value.message
    assert len(h.server.state.api_requests("Get_Candidates")) == 1


def test_the_envelope_escapes_values_instead_of_splicing_them():
    adapter = WorkdayAdapter(ConnectionConfig(
        id=1, name="wd", ats="workday", base_url="https://x/ccx/service/t/Recruiting/v42.0",
        credentials={"username": "isu@t", "password": "p<&>'\""}))
    envelope = adapter.build_envelope({"operation": "Get_Candidates", "Page": "1", "Count": "5",
                                       "Updated_From": "2024-01-01T00:00:00Z",
                                       "Updated_Through": "</wd:Updated_Through><x/>"})
    root = ET.fromstring(envelope)  # still well-formed
    ns = {"wd": "urn:com.workday/bsvc"}
    assert root.find(".//wd:Updated_Through", ns).text == "</wd:Updated_Through><x/>"
    assert root.find(".//{*}Password").text == "p<&>'\""


@pytest.mark.parametrize("value, expected", [
    ("2024-03-04-08:00", datetime(2024, 3, 4, 8, tzinfo=timezone.utc)),
    ("2024-03-04", datetime(2024, 3, 4, tzinfo=timezone.utc)),
    ("2024-03-04Z", datetime(2024, 3, 4, tzinfo=timezone.utc)),
    ("2024-03-04T10:15:30.123-08:00", datetime(2024, 3, 4, 18, 15, 30, 123000, timezone.utc)),
    ("2024-01-16T07:20:00.000-07:00", datetime(2024, 1, 16, 14, 20, tzinfo=timezone.utc)),
    ("", None),
])
def test_workday_dates_and_times(value, expected):
    assert parse_wd_datetime(value) == expected


def test_missing_credentials_name_both_ways_to_connect():
    with pytest.raises(FatalSyncError, match="ISU: username \\+ password, or OAuth"):
        WorkdayAdapter(ConnectionConfig(id=1, name="wd", ats="workday", base_url="https://x",
                                        credentials={"username": "isu@t"}))


# ---------------------------------------------------------------------- stage history


def test_the_step_history_report_gives_the_furthest_stage(workday):
    h = workday(settings={"step_history_report": fake_wd.REPORT_PATH})

    run = h.sync()

    assert run.status == "succeeded", run.error
    from rediscover.indexer.build import furthest_stage

    with h.session_factory() as s:
        declined = s.scalar(select(Application).where(
            Application.remote_id == "JOB_APPLICATION-6-1001"))
        assert furthest_stage(declined) == ("Onsite Interview", "onsite")
    [report] = h.server.state.api_requests(fake_wd.REPORT)
    assert report.query["format"] == ["json"] and report.headers["Authorization"].startswith("Basic")


def test_without_the_report_a_declined_interview_counts_as_a_hiring_manager_interview(workday):
    h = workday()
    h.sync()
    from rediscover.indexer.build import furthest_stage

    with h.session_factory() as s:
        declined = s.scalar(select(Application).where(
            Application.remote_id == "JOB_APPLICATION-6-1001"))
        assert furthest_stage(declined) == ("Interview", "hiring_manager_screen")


# ---------------------------------------------------------------------- feedback refused


def _search(h: SyncHarness, **filters) -> set[str]:
    backend = SQLiteBackend(h.session_factory.kw["bind"])
    index_pending(h.session_factory, backend)
    with h.session_factory() as s:
        team_id = s.get(Connection, h.connection_id).team_id
    request = SearchRequest.from_dict({"limit": 50, "include_active": True, **filters})
    page = search(backend, request, Viewer(team_id))
    return {row.name for row in page.results}


@pytest.mark.parametrize("permitted", [True, False], ids=["permitted", "refused"])
def test_refused_feedback_syncs_the_rest_and_the_scorecard_filter_then_misses(workday, permitted):
    h = workday(feedback_permitted=permitted)

    run = h.sync()

    # Synced either way (Grace is confidential, Daniel hired, the prospect has no application).
    assert _search(h) == {"Maya Lindqvist", "Priya Raman", "Tomás Herrera"}
    rated = _search(h, scorecard_ratio=0.5)
    if permitted:
        assert run.status == "succeeded", run.error
        assert rated == {"Maya Lindqvist", "Tomás Herrera"}  # Hire + No Hire; Hire
        return
    assert run.status == "partial"
    assert "synced without data the ATS refused" in run.error
    assert "authorizationError" in run.error and "Get_Interview_Feedbacks" in run.error
    with h.session_factory() as s:
        [failure] = s.scalars(select(SyncFailure).where(SyncFailure.run_id == run.id)).all()
        assert failure.status == 403 and "goes on without this data" in failure.message
        assert s.scalars(select(Scorecard)).all() == []
    assert len(h.server.state.api_requests("Get_Interview_Feedbacks")) == 1  # asked once
    assert rated == set()  # no cards: the ratio filter matches nobody
