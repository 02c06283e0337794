"""The ATS adapters the sync contract suite runs against, each with its fake server.

To put a new adapter through the suite, describe it here as an ``AtsCase``: how to start
its fake server, the connection fields pointing at it, and how to poke its data.
"""
from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from typing import Any

import xml.etree.ElementTree as ET

from rediscover.fakeats import greenhouse as fake_gh
from rediscover.fakeats import workday as fake_wd
from rediscover.fakeats.dataset import generate
from rediscover.fakeats.workday_render import render_workday
from rediscover.fakeats import lever as fake_lever
from rediscover.fakeats import smartrecruiters as fake_sr
from rediscover.fakeats import successfactors as fake_sf
from rediscover.fakeats.successfactors_render import render_successfactors
from rediscover.fakeats import icims as fake_icims
from rediscover.fakeats.server import FaultPlan, RecordedRequest


@dataclass(frozen=True)
class AtsCase:
    """An adapter and its fake server, as the contract suite drives them."""

    ats: str
    # (dataset, *, faults=None, clock=None, rate_limit=..., window=...) -> WSGI app
    make_app: Callable[..., Any]
    # app -> state with ``requests``, ``api_requests(path)``, ``rate_limited``, ``windows``
    state_of: Callable[[Any], Any]
    fixture_dataset: Callable[[], dict[str, Any]]
    generated_dataset: Callable[[int], dict[str, Any]]
    connection_fields: Callable[[str], dict[str, Any]]  # base URL -> Connection columns
    list_path: Callable[[str], str]  # resource name -> request path
    candidate_ids: Callable[[dict[str, Any]], set[str]]  # dataset -> remote candidate ids
    touch_candidate: Callable[[Any, str], None]  # (state, remote id): change it on the server
    delete_candidate: Callable[[Any, str], None]  # (state, remote id): hard-delete it
    window_of: Callable[[RecordedRequest], tuple[datetime, datetime] | None]
    is_cursor_request: Callable[[RecordedRequest], bool]
    token_path: str | None  # where tokens are issued (None: no token flow)
    page_size_setting: str = "per_page"
    verb: str = "GET"  # how list requests are sent (as error messages name them)
    advertises_budget: bool = True  # X-RateLimit-* headers to pace by
    cursors_expire: bool = True  # a checkpointed next-page link can be refused (422)
    # a resource whose 403 stops the run, and one read after it
    refusable: tuple[str, str] = ("scorecards", "attachments")
    # does this outgoing request list ``path`` (a ``list_path`` value)?
    request_lists: Callable[[Any, str], bool] = lambda request, path: request.url.path == path
    # The adapter's name for a resource the suite names generically (counts, failures).
    resource_names: dict[str, str] = field(default_factory=dict)
    cursor_in_body: bool = False  # an unreadable page hides where the next one is
    secret_credential: str = "client_secret"  # never in a message
    auth_hint: str = "client id/secret"  # what a final 401 tells the admin to check
    window_seconds: float = 30  # the vendor's rate-limit window
    upper_bound: bool = True  # incremental windows have an end (SmartRecruiters: after only)
    reference_resource: str = "jobs"  # a resource read before candidates
    # A last page as long as the page size is not known to be the last (iCIMS search paging
    # stops on a short page): one more, empty, request follows it.
    full_page_asks_again: bool = False
    # Connection settings -> fake-server options, for a vendor whose page size is fixed by
    # the server (iCIMS: the search cap) rather than asked for in the request.
    server_options: Callable[[dict[str, Any]], dict[str, Any]] = lambda settings: {}

    def resource_name(self, generic: str) -> str:
        """The adapter's resource name for ``candidates``, ``scorecards``, ..."""
        return self.resource_names.get(generic, generic)

    def faults(self) -> FaultPlan:
        """A fresh fault plan for this fake."""
        return FaultPlan()


def _gh_window(request: RecordedRequest) -> tuple[datetime, datetime] | None:
    value = request.param("updated_at")
    if not value:
        return None
    parts = value.split("|")
    bounds = dict(zip(parts[0::2], parts[1::2]))
    return (datetime.fromisoformat(bounds["gte"].replace("Z", "+00:00")),
            datetime.fromisoformat(bounds["lte"].replace("Z", "+00:00")))


def _gh_touch(state: fake_gh.FakeGreenhouse, remote_id: str) -> None:
    state.update("candidates", int(remote_id), title="Principal Engineer")


GREENHOUSE = AtsCase(
    ats="greenhouse",
    make_app=fake_gh.create_app,
    state_of=fake_gh.get_state,
    fixture_dataset=fake_gh.load_fixture_dataset,
    generated_dataset=fake_gh.generate_dataset,
    connection_fields=lambda base: {
        "base_url": f"{base}/v3", "token_url": f"{base}/token",
        "credentials": {"client_id": fake_gh.FIXTURE_CLIENT_ID,
                        "client_secret": fake_gh.FIXTURE_CLIENT_SECRET,
                        "user_id": fake_gh.FIXTURE_USER_ID},
    },
    list_path=lambda resource: f"/v3/{resource}",
    candidate_ids=lambda data: {str(c["id"]) for c in data["candidates"]},
    touch_candidate=_gh_touch,
    delete_candidate=lambda state, rid: state.delete_candidate(int(rid)),
    window_of=_gh_window,
    is_cursor_request=lambda r: "cursor" in r.query,
    token_path="/token",
)

# Workday: one SOAP endpoint; the fake records each request under its operation, which is
# what ``list_path`` names. Applications, attachments and scorecards come inside candidate
# pages (feedback is asked per application while its page is read), so the "later" paths
# name the feedback operation.
WD_OPERATIONS = {"jobs": "Get_Job_Requisitions", "candidates": "Get_Candidates",
                 "applications": "Get_Interview_Feedbacks", "scorecards": "Get_Interview_Feedbacks",
                 "attachments": "Get_Interview_Feedbacks"}


def _wd_window(request: RecordedRequest) -> tuple[datetime, datetime] | None:
    low, high = request.param("Updated_From"), request.param("Updated_Through")
    if not low:
        return None
    return (datetime.fromisoformat(low.replace("Z", "+00:00")),
            datetime.fromisoformat(high.replace("Z", "+00:00")))


def _wd_operation(request: Any, path: str) -> bool:
    if request.method != "POST" or "/Recruiting/" not in request.url.path:
        return False
    body = ET.fromstring(request.content).find(f"{{{fake_wd.SOAP_ENV}}}Body")
    return body is not None and len(body) and body[0].tag == f"{{{fake_wd.WD}}}{path}_Request"


def _wd_generated(n: int) -> dict[str, Any]:
    # Histories end before the suite's clock starts (sync_support.START), as the fixtures do.
    data = render_workday(generate(n, seed=7, now=datetime(2024, 5, 20, tzinfo=timezone.utc)))
    data["candidates"] = data["candidates"][:n]  # duplicate records make a few more
    return data


WORKDAY = AtsCase(
    ats="workday",
    make_app=fake_wd.create_app,
    state_of=fake_wd.get_state,
    fixture_dataset=fake_wd.load_fixture_dataset,
    generated_dataset=_wd_generated,
    connection_fields=lambda base: {
        "base_url": f"{base}/ccx/service/{fake_wd.TENANT}/Recruiting/{fake_wd.VERSION}",
        "token_url": f"{base}/ccx/oauth2/{fake_wd.TENANT}/token",
        "credentials": {"client_id": fake_wd.FIXTURE_CLIENT_ID,
                        "client_secret": fake_wd.FIXTURE_CLIENT_SECRET,
                        "refresh_token": fake_wd.FIXTURE_REFRESH_TOKEN},
    },
    # "" (the API prefix that random faults aim at) is every operation: all start with "Get_".
    list_path=lambda resource: WD_OPERATIONS[resource] if resource else "Get_",
    candidate_ids=fake_wd.candidate_wids,
    touch_candidate=lambda state, rid: state.touch_candidate(rid),
    delete_candidate=lambda state, rid: state.delete_candidate(rid),
    window_of=_wd_window,
    is_cursor_request=lambda r: r.param("Page") not in (None, "1"),
    token_path="token",
    verb="POST",
    advertises_budget=False,
    cursors_expire=False,
    refusable=("candidates", "scorecards"),
    request_lists=_wd_operation,
)


def _lever_window(request: RecordedRequest) -> tuple[datetime, datetime] | None:
    start, end = request.param("updated_at_start"), request.param("updated_at_end")
    if start is None or end is None:
        return None
    return (datetime.fromtimestamp(int(start) / 1000, tz=timezone.utc),
            datetime.fromtimestamp(int(end) / 1000, tz=timezone.utc))


# Fixture opportunities the suite aims faults at: the first listed, and one listed last.
LEVER_FIRST = "887520c1-1f3a-5836-b13f-29d8f9110a6e"
LEVER_LAST = "e5a1fa6d-799d-5b4c-b4bf-278a5175fc1f"
LEVER_PATHS = {
    "candidates": "/v1/opportunities",
    "jobs": "/v1/postings",
    "applications": f"/v1/opportunities/{LEVER_FIRST}/feedback",
    "scorecards": f"/v1/opportunities/{LEVER_LAST}/feedback",
    "attachments": f"/v1/opportunities/{LEVER_LAST}/resumes",
}

LEVER = AtsCase(
    ats="lever",
    make_app=fake_lever.create_app,
    state_of=fake_lever.get_state,
    fixture_dataset=fake_lever.load_fixture_dataset,
    generated_dataset=lambda n: fake_lever.generate_dataset(n, seed=7),
    connection_fields=lambda base: {"base_url": f"{base}/v1",
                                    "credentials": {"api_key": fake_lever.FIXTURE_API_KEY}},
    list_path=lambda resource: LEVER_PATHS.get(resource, f"/v1/{resource}"),
    candidate_ids=lambda data: {o["id"] for o in data["opportunities"]},
    touch_candidate=lambda state, rid: state.update_opportunity(rid, headline="Principal Engineer"),
    delete_candidate=lambda state, rid: state.delete_opportunity(rid),
    window_of=_lever_window,
    is_cursor_request=lambda r: "offset" in r.query,
    token_path=None,
    resource_names={"candidates": "opportunities", "scorecards": "feedback"},
    advertises_budget=False,
    cursor_in_body=True,
    secret_credential="api_key",
    auth_hint="API key",
    reference_resource="users",
)

def _sr_window(request: RecordedRequest) -> tuple[datetime, None] | None:
    value = request.param("updatedAfter")
    return (datetime.fromisoformat(value.replace("Z", "+00:00")), None) if value else None


def _sr_touch(state: fake_sr.FakeSmartRecruiters, remote_id: str) -> None:
    state.update_candidate(remote_id, title="Principal Engineer")


# Fixture candidates the suite aims faults at: the first listed, and one listed last.
SR_FIRST = "81b44880-3f11-5142-87a4-ec1fd9de0dca"
SR_LAST = "cbf8db70-6e73-521e-acec-c26e37a5d8dc"
SR_LAST_JOB = "e77c99dc-9fdd-5e55-9b5c-6a8d55e33b31"
SR_PATHS = {
    "applications": f"/candidates/{SR_FIRST}",
    "scorecards": f"/candidates/{SR_LAST}/jobs/{SR_LAST_JOB}/status/history",
    "attachments": f"/candidates/{SR_LAST}/attachments",
}

SMARTRECRUITERS = AtsCase(
    ats="smartrecruiters",
    make_app=fake_sr.create_app,
    state_of=fake_sr.get_state,
    fixture_dataset=fake_sr.load_fixture_dataset,
    generated_dataset=lambda n: fake_sr.generate_dataset(n, seed=7),
    connection_fields=lambda base: {"base_url": base,
                                    "credentials": {"api_key": fake_sr.FIXTURE_API_KEY}},
    list_path=lambda resource: SR_PATHS.get(resource, f"/{resource}"),
    candidate_ids=lambda data: {c["id"] for c in data["candidates"]},
    touch_candidate=_sr_touch,
    delete_candidate=lambda state, rid: state.delete_candidate(rid),
    window_of=_sr_window,
    is_cursor_request=lambda r: "pageId" in r.query,
    token_path=None,
    # SmartRecruiters has no scorecards: the suite's per-application detail stands in.
    resource_names={"scorecards": "history"},
    cursor_in_body=True,
    secret_credential="api_key",
    auth_hint="X-SmartToken",
    window_seconds=1,
    upper_bound=False,
    reference_resource="jobs",
)


def _sf_window(request: RecordedRequest) -> tuple[datetime, datetime] | None:
    found = re.findall(r"lastModifiedDateTime (ge|le) datetimeoffset'([^']+)'",
                       request.param("$filter") or "")
    bounds = {op: datetime.fromisoformat(value.replace("Z", "+00:00")) for op, value in found}
    return (bounds["ge"], bounds["le"]) if bounds else None


def _sf_generated(n: int) -> dict[str, Any]:
    """Exactly ``n`` generated people, their histories ending before the suite's clock."""
    ds = generate(n, seed=7, now=datetime(2024, 5, 20, tzinfo=timezone.utc))
    keep = {p.id for p in ds.people[:n]}
    apps = [a for a in ds.applications if a.person_id in keep]
    app_ids = {a.id for a in apps}
    return render_successfactors(replace(
        ds, people=ds.people[:n], applications=apps,
        scorecards=[c for c in ds.scorecards if c.application_id in app_ids],
        resumes=[r for r in ds.resumes if r.person_id in keep],
        offers=[o for o in ds.offers if o.application_id in app_ids]))


SF_ENTITY_SETS = {"candidates": "Candidate", "applications": "JobApplication",
                  "jobs": "JobRequisition", "scorecards": "JobApplicationInterview",
                  "attachments": "Attachment", "statuses": "JobApplicationStatus"}

SUCCESSFACTORS = AtsCase(
    ats="successfactors",
    make_app=fake_sf.create_app,
    state_of=fake_sf.get_state,
    fixture_dataset=fake_sf.load_fixture_dataset,
    generated_dataset=_sf_generated,
    connection_fields=lambda base: {
        "base_url": f"{base}/odata/v2",
        "credentials": {"company_id": fake_sf.FIXTURE_COMPANY_ID,
                        "client_id": fake_sf.FIXTURE_CLIENT_ID,
                        "user_id": fake_sf.FIXTURE_USER_ID,
                        "private_key": fake_sf.FIXTURE_PRIVATE_KEY},
    },
    # "" (the prefix random faults aim at) is every OData path, single Attachment reads too.
    list_path=lambda resource: "/odata/v2/" + SF_ENTITY_SETS.get(resource, resource),
    candidate_ids=lambda data: {str(c["candidateId"]) for c in data["Candidate"]},
    touch_candidate=lambda state, rid: state.update("Candidate", rid,
                                                    currentTitle="Principal Engineer"),
    delete_candidate=lambda state, rid: state.delete_candidate(rid),
    window_of=_sf_window,
    is_cursor_request=lambda r: "$skiptoken" in r.query,
    token_path="/oauth/token",
    advertises_budget=False,  # SF publishes no rate-limit headers: 429 + Retry-After only
    cursor_in_body=True,
    secret_credential="private_key",
    auth_hint="company_id",
    window_seconds=60,
)

# ---------------------------------------------------------------------- iCIMS
# Searches (POST) list ids; each person, job and workflow is then read on its own. The fake
# records a search's window and paging filter as query values. Faults aimed at "applications"
# hit the workflow search, read after people; "scorecards" (iCIMS has none) the first person's
# resume. The search cap is the server's: the suite's page size becomes the fake's cap.
ICIMS_API = f"/customers/{fake_icims.CUSTOMER_ID}"
ICIMS_PATHS = {
    "": f"{ICIMS_API}/",  # what random faults aim at: searches, profiles and resumes alike
    "candidates": f"{ICIMS_API}/search/people",
    "jobs": f"{ICIMS_API}/search/jobs",
    "applications": f"{ICIMS_API}/search/applicantworkflows",
    "scorecards": f"{ICIMS_API}/people/917/fields/resume/binary",
    "attachments": f"{ICIMS_API}/people/1101/fields/resume/binary",
}


def _icims_window(request: RecordedRequest) -> tuple[datetime, datetime] | None:
    low, high = request.param("updated_from"), request.param("updated_to")
    if not low:
        return None
    return (datetime.strptime(low, fake_icims.DATETIME_FORMAT).replace(tzinfo=timezone.utc),
            datetime.strptime(high, fake_icims.DATETIME_FORMAT).replace(tzinfo=timezone.utc))


def _icims_lists(request: Any, path: str) -> bool:
    return request.method == "POST" and request.url.path == path


ICIMS = AtsCase(
    ats="icims",
    make_app=fake_icims.create_app,
    state_of=fake_icims.get_state,
    # Every profile readable: the secured and vanished ones are tests/sync/test_icims.py's.
    fixture_dataset=lambda: fake_icims.load_fixture_dataset(unreadable=False),
    generated_dataset=lambda n: fake_icims.generate_dataset(n, seed=7),
    connection_fields=lambda base: {
        "base_url": f"{base}{ICIMS_API}", "token_url": f"{base}/oauth/token",
        "credentials": {"client_id": fake_icims.FIXTURE_CLIENT_ID,
                        "client_secret": fake_icims.FIXTURE_CLIENT_SECRET}},
    list_path=lambda resource: ICIMS_PATHS.get(resource, f"{ICIMS_API}/search/{resource}"),
    candidate_ids=lambda data: {str(i) for i in data["people"]},
    touch_candidate=lambda state, rid: state.touch_person(rid, title="Principal Engineer"),
    delete_candidate=lambda state, rid: state.delete_person(rid),
    window_of=_icims_window,
    is_cursor_request=lambda r: r.param("after") is not None,
    token_path="/oauth/token",
    page_size_setting="per_page",
    verb="POST",
    advertises_budget=False,
    cursors_expire=False,
    refusable=("candidates", "applications"),
    request_lists=_icims_lists,
    resource_names={"candidates": "people", "applications": "applicantworkflows"},
    cursor_in_body=True,
    full_page_asks_again=True,
    server_options=lambda settings: {"cap": settings["per_page"]} if "per_page" in settings
    else {},
)

CASES: tuple[AtsCase, ...] = (GREENHOUSE, WORKDAY, LEVER, SMARTRECRUITERS, SUCCESSFACTORS,
                              ICIMS)
