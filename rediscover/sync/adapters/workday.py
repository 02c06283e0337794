"""Workday Recruiting (SOAP Web Services) adapter: envelopes to send and how answers map to records.

Docs: Workday Web Services, service ``Recruiting`` (``Get_Candidates``, ``Get_Job_Requisitions``,
``Get_Interview_Feedbacks``); see ``shared/ats/workday.md``. Every ``*_Reference`` is keyed on
its ``WID`` (descriptors are display text only); ids are strings.

One ``Get_Candidates`` row carries the candidate with its job applications, their current
stage and step, disposition, source and resume (base64), so ``to_candidate`` yields several
records, parents first. ``Get_Interview_Feedbacks`` is asked once per application seen in this
run and needs its own domain permission: when the tenant refuses it, the run records why and
goes on without scorecards.
"""
from __future__ import annotations

import base64
import binascii
import time
import xml.etree.ElementTree as ET
from collections.abc import Iterator, Mapping
from dataclasses import replace
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit
from xml.sax.saxutils import escape

from rediscover.core.enums import ApplicationStatus, Recommendation, TeamRole
from rediscover.core.milestones import RANK, milestone_from_name
from rediscover.mappings.stages import WORKDAY as WORKDAY_STAGES
from rediscover.mappings.stages import stage_key
from rediscover.sync.adapters.base import Adapter, Resource, format_datetime
from rediscover.sync.errors import FatalSyncError, MalformedBodyError
from rediscover.sync.http import (
    ApiClient,
    ClientCredentialsAuth,
    Clock,
    basic_auth,
    make_client,
)
from rediscover.sync.pagination import Page, PageNumberSoapPaginator
from rediscover.sync.records import (
    ApplicationRecord,
    AttachmentRecord,
    CandidateRecord,
    EmailValue,
    JobRecord,
    JobTeamMemberRecord,
    PhoneValue,
    Record,
    RejectionReasonRecord,
    ScorecardRecord,
    SourceRecord,
    StageEventRecord,
    StageRecord,
    UserRecord,
)
from rediscover.sync.retry import RetryPolicy, Sleep

if TYPE_CHECKING:
    import httpx

WD = "urn:com.workday/bsvc"
SOAP_ENV = "http://schemas.xmlsoap.org/soap/envelope/"
WSSE = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd"
DEFAULT_VERSION = "v42.0"
DEFAULT_BASE_URL = "https://wd2-impl-services1.workday.com/ccx/service/TENANT/Recruiting/v42.0"

# Workday's fixed recruiting stages in process order (Recruiting_Stage_ID); steps sort by them.
STAGE_ORDER: dict[str, int] = {
    "REVIEW": 1, "SCREEN": 2, "ASSESSMENT": 3, "INTERVIEW": 4, "REFERENCE_CHECK": 5,
    "OFFER": 6, "EMPLOYMENT_AGREEMENT": 7, "BACKGROUND_CHECK": 8, "READY_FOR_HIRE": 9,
}
HIRED_STAGE = "READY_FOR_HIRE"
ROLE_TEAM: dict[str, TeamRole] = {  # Organization_Role_ID -> why the user is on the team
    "hiring_manager": TeamRole.HIRING_MANAGER,
    "recruiter": TeamRole.RECRUITER,
    "primary_recruiter": TeamRole.RECRUITER,
    "recruiting_coordinator": TeamRole.COORDINATOR,
    "sourcer": TeamRole.SOURCER,
    # Interview team members see the requisition too (Get_Job_Requisition_Interview_Teams has
    # them; tenants that expose them as role assignments are read here).
    "interviewer": TeamRole.PERMISSION,
}
# Feedback ratings are tenant-configured references (WID only); these are the usual labels.
# A connection's ``rating_map`` setting ({WID or label: recommendation}) takes precedence.
RATING_LABELS: dict[str, Recommendation] = {
    "strong hire": Recommendation.STRONG_YES, "hire": Recommendation.YES,
    "no hire": Recommendation.NO, "strong no hire": Recommendation.STRONG_NO,
    "definitely not": Recommendation.STRONG_NO, "no decision": Recommendation.NO_DECISION,
}
CANDIDATES, REQUISITIONS, FEEDBACK = "Get_Candidates", "Get_Job_Requisitions", \
    "Get_Interview_Feedbacks"
STEP_HISTORY = "step_history"
# Field aliases of the customer's step-history RaaS report (every tenant names its own; the
# connection's ``step_history_fields`` setting overrides any of them).
STEP_HISTORY_FIELDS: dict[str, str] = {
    "application": "Job_Application_ID", "history": "Step_History", "step": "Step",
    "stage": "Stage", "completed": "Completed_On", "from": "Updated_From",
    "through": "Updated_Through",
}

HINTS = {
    401: "the tenant refused the credentials: check the ISU user name (user@tenant) and password, "
         "or the OAuth client id/secret and refresh token",
    403: "the Integration System User's security group lacks the domain for {resource}: grant it "
         "in Workday, then sync with --full",
    404: "check the connection's base URL (https://HOST/ccx/service/TENANT/Recruiting/vNN.N)",
}


def _q(tag: str) -> str:
    return f"{{{WD}}}{tag}"


class WorkdayAdapter(Adapter):
    """Workday Recruiting over SOAP: ISU WS-Security or OAuth refresh token, page numbers."""

    ats = "workday"
    default_base_url = DEFAULT_BASE_URL
    DEFAULT_PER_PAGE = 100
    MAX_PER_PAGE = 999  # widely used maximum Count (unconfirmed officially)
    DEFAULT_TIMEOUT_SECONDS = 150.0  # SOAP pages of resumes are slow; integrators use 150 s

    def __init__(self, config: Any) -> None:
        super().__init__(config)
        creds = config.credentials
        self.oauth = bool(creds.get("refresh_token"))
        wanted = ("client_id", "client_secret", "refresh_token") if self.oauth \
            else ("username", "password")
        missing = [k for k in wanted if not creds.get(k)]
        if missing:
            raise FatalSyncError(
                f"workday: connection {config.name!r} is missing credentials {', '.join(missing)}"
                f" (ISU: username + password, or OAuth: client_id + client_secret + "
                f"refresh_token)", ats=self.ats)
        self.rating_map = {str(k).strip().casefold(): Recommendation(v)
                           for k, v in (config.settings.get("rating_map") or {}).items()}
        self.fetch_feedback = bool(config.settings.get("interview_feedback", True))
        self.report_url = self._report_url(config.settings.get("step_history_report"))
        self.report_fields = {**STEP_HISTORY_FIELDS,
                              **(config.settings.get("step_history_fields") or {})}
        if self.report_url:  # furthest stage reached needs the customer's history report
            self.resources = (*type(self).resources, Resource(
                STEP_HISTORY, STEP_HISTORY, StageEventRecord, WorkdayAdapter.to_step_history))
        self.feedback_refused: FatalSyncError | None = None  # set by the first refusal

    @property
    def token_url(self) -> str:
        """``https://HOST/ccx/oauth2/TENANT/token``, derived from the SOAP endpoint."""
        if self.config.token_url:
            return self.config.token_url
        parts = urlsplit(self.base_url)
        segments = parts.path.split("/")
        tenant = segments[3] if len(segments) > 3 else ""
        return f"{parts.scheme}://{parts.netloc}/ccx/oauth2/{tenant}/token"

    def report_auth(self) -> httpx.Auth | None:
        """RaaS takes HTTP Basic with the same ISU (OAuth connections use their bearer)."""
        if self.oauth:
            return None
        creds = self.config.credentials
        return basic_auth(str(creds["username"]), str(creds["password"]))

    def _report_url(self, value: Any) -> str | None:
        """The RaaS report's URL; a path is taken on the SOAP endpoint's host."""
        if not value:
            return None
        text = str(value).strip()
        if text.startswith("/"):
            parts = urlsplit(self.base_url)
            return f"{parts.scheme}://{parts.netloc}{text}"
        return text

    @property
    def paginator(self) -> WorkdayPaginator:  # type: ignore[override]
        """Page numbers for list operations; one feedback request per application seen."""
        return WorkdayPaginator(self)

    def make_client(
        self,
        *,
        transport: httpx.BaseTransport | None = None,
        clock: Clock = time.time,
        sleep: Sleep = time.sleep,
        retry: RetryPolicy | None = None,
    ) -> ApiClient:
        """An ``ApiClient``; OAuth connections get a refresh-token bearer (refreshed once on 401)."""
        auth = None  # ISU: WS-Security inside each envelope
        if self.oauth:
            creds = self.config.credentials
            auth = ClientCredentialsAuth(
                self.token_url, str(creds["client_id"]), str(creds["client_secret"]),
                ats=self.ats, clock=clock,
                form={"grant_type": "refresh_token", "refresh_token": str(creds["refresh_token"])})
        return make_client(ats=self.ats, base_url=self.base_url, auth=auth, timeout=self.timeout,
                           retry=retry or self.retry_policy, hints=HINTS, transport=transport,
                           clock=clock, sleep=sleep)

    def window_params(self, start: datetime, end: datetime) -> dict[str, str]:
        """The transaction-log window; later pages stay pinned to the window's end."""
        return {"Updated_From": format_datetime(start), "Updated_Through": format_datetime(end),
                "As_Of_Entry_DateTime": format_datetime(end)}

    def first_params(self, resource: Resource, start: datetime, end: datetime) -> dict[str, str]:
        """Operation, page size and window of a window's first page."""
        return {"operation": resource.path, "Count": str(self.per_page),
                **self.window_params(start, end)}

    # ------------------------------------------------------------------ envelopes

    def build_envelope(self, params: Mapping[str, str]) -> bytes:
        """A SOAP 1.1 request for ``params["operation"]`` (values XML-escaped, never spliced)."""
        operation = params["operation"]
        criteria = _feedback_criteria(params) if operation == FEEDBACK else _window(params)
        body = (f'<wd:{operation}_Request wd:version="{DEFAULT_VERSION}">{criteria}'
                f"<wd:Response_Filter>{_as_of(params)}<wd:Page>{int(params['Page'])}</wd:Page>"
                f"<wd:Count>{int(params.get('Count') or self.per_page)}</wd:Count>"
                f"</wd:Response_Filter>{_response_group(operation)}</wd:{operation}_Request>")
        return (f'<?xml version="1.0" encoding="UTF-8"?><env:Envelope xmlns:env="{SOAP_ENV}" '
                f'xmlns:wd="{WD}">{self._security_header()}<env:Body>{body}</env:Body>'
                f"</env:Envelope>").encode("utf-8")

    def _security_header(self) -> str:
        if self.oauth:
            return ""  # the bearer token rides in the Authorization header
        creds = self.config.credentials
        return (f'<env:Header><wsse:Security xmlns:wsse="{WSSE}" env:mustUnderstand="1">'
                f"<wsse:UsernameToken><wsse:Username>{escape(str(creds['username']))}"
                f"</wsse:Username><wsse:Password>{escape(str(creds['password']))}</wsse:Password>"
                f"</wsse:UsernameToken></wsse:Security></env:Header>")

    @staticmethod
    def read_page(body: ET.Element) -> tuple[list[ET.Element], int, int]:
        """(items, Page_Results, Total_Pages) of one ``*_Response``."""
        results = body.find(_q("Response_Results"))
        data = body.find(_q("Response_Data"))
        items = list(data) if data is not None else []
        if results is None:
            return items, len(items), 1
        return (items, int(results.findtext(_q("Page_Results")) or len(items)),
                int(results.findtext(_q("Total_Pages")) or 1))

    # ------------------------------------------------------------------ to_record hooks

    def to_requisition(self, raw: ET.Element) -> tuple[Record, ...]:
        """``Job_Requisition`` → the job, its team's users and team members (WIDs)."""
        job_wid = _wid(raw.find(_q("Job_Requisition_Reference")))
        data = _child(raw, "Job_Requisition_Data")
        detail = _child(data, "Job_Requisition_Detail_Data")
        hiring = _child(data, "Hiring_Requirement_Data")
        status = _typed_id(data.find(_q("Job_Requisition_Status_Reference")),
                           "Job_Requisition_Status_ID")
        records: list[Record] = [JobRecord(
            remote_id=job_wid, title=detail.findtext(_q("Job_Posting_Title")) or "",
            requisition_id=_typed_id(raw.find(_q("Job_Requisition_Reference")),
                                     "Job_Requisition_ID"),
            status=(status or "").lower() or None,
            confidential=_flag(detail, "Confidential_Job_Requisition"),
            opened_at=parse_wd_datetime(hiring.findtext(_q("Recruiting_Start_Date"))),
        )]
        for role in data.findall(_q("Role_Assignment_Data")):
            team_role = ROLE_TEAM.get((_typed_id(role.find(_q("Role_Reference")),
                                                 "Organization_Role_ID") or "").lower())
            for assignee in role.findall(_q("Role_Assignee_Reference")):
                if team_role is None or not _wid(assignee):
                    continue
                records.append(UserRecord(remote_id=_wid(assignee),
                                          name=assignee.get(_q("Descriptor")) or ""))
                records.append(JobTeamMemberRecord(job_remote_id=job_wid,
                                                   user_remote_id=_wid(assignee), role=team_role))
        return tuple(records)

    def to_candidate(self, raw: tuple[ET.Element, list[ET.Element]]) -> tuple[Record, ...]:
        """``(Candidate, feedback)`` → reference rows, the candidate, its applications, resumes
        and scorecards (parents first)."""
        raw, feedback = raw
        cid = _wid(raw.find(_q("Candidate_Reference")))
        data = _child(raw, "Candidate_Data")
        apps = data.findall(_q("Job_Application_Data"))
        records: list[Record] = []
        for app in apps:
            records += self._references(_child(app, "Job_Applied_To_Data"), data)
        records.append(self._candidate(cid, data, apps))
        for app in apps:
            records += self._application(cid, data, app)
        for item in feedback:
            records += self.to_feedback(item)
        return tuple(records)

    def _candidate(self, cid: str, data: ET.Element, apps: list[ET.Element]) -> CandidateRecord:
        name = data.find(f"{_q('Name_Data')}/{_q('Legal_Name')}/{_q('Name_Detail_Data')}")
        name = name if name is not None else _child(data, "Name_Data")  # v31.2: names directly
        contact = _child(data, "Contact_Data")
        prospect, status = _child(data, "Prospect_Data"), _child(data, "Status_Data")
        job = _current_job(apps)
        email = contact.findtext(_q("Email_Address"))
        phone = contact.findtext(_q("Phone_Number"))
        activity = [_app_activity(a) for a in apps]
        return CandidateRecord(
            remote_id=cid, first_name=(name.findtext(_q("First_Name")) or "").strip(),
            last_name=(name.findtext(_q("Last_Name")) or "").strip(),
            company=job.findtext(_q("Company_Name")) if job is not None else None,
            title=job.findtext(_q("Title")) if job is not None else None,
            location=_location(contact.find(_q("Location_Data")), job),
            # Confidential candidates and do-not-hire flags keep a person out of search.
            is_private=_flag(prospect, "Confidential") or _flag(status, "Do_Not_Hire"),
            last_activity_at=max((a for a in activity if a), default=None),
            emails=(EmailValue(value=email),) if email and email.strip() else (),
            phones=(PhoneValue(value=phone),) if phone else (),
            tags=tuple(t.get(_q("Descriptor")).strip()
                       for t in data.findall(_q("Candidate_Tag_Reference"))
                       if (t.get(_q("Descriptor")) or "").strip()),
        )

    def _references(self, applied: ET.Element, data: ET.Element) -> list[Record]:
        """Source, disposition and stage/step rows an application refers to."""
        records: list[Record] = []
        source = applied.find(_q("Source_Reference"))
        if _wid(source):
            records.append(SourceRecord(remote_id=_wid(source),
                                        name=source.get(_q("Descriptor")) or ""))
        reason = applied.find(_q("Disposition_Reference"))
        if _wid(reason):
            withdrawn = _flag(_child(data, "Status_Data"), "Withdrawn")
            records.append(RejectionReasonRecord(
                remote_id=_wid(reason), name=reason.get(_q("Descriptor")) or "",
                type_key="THEY_REJECTED_US" if withdrawn else None))
        stage = _current_stage(applied)
        if stage is not None:
            records.append(stage)
        return records

    def _application(self, cid: str, data: ET.Element, app: ET.Element) -> list[Record]:
        applied = _child(app, "Job_Applied_To_Data")
        req = applied.find(_q("Job_Requisition_Reference"))
        aid = application_id(app.find(_q("Job_Application_Reference"))) or f"{cid}:{_wid(req)}"
        status = _status(data, applied)
        stage = _current_stage(applied)
        stamp = parse_wd_datetime(applied.findtext(_q("Status_Timestamp")))
        records: list[Record] = [ApplicationRecord(
            remote_id=aid, candidate_remote_id=cid, job_remote_id=_wid(req) or None,
            status=status, remote_status=_typed_id(applied.find(_q("Stage_Reference")),
                                                   "Recruiting_Stage_ID"),
            current_stage_remote_id=stage.remote_id if stage else None,
            current_stage_name=stage.name if stage else None,
            rejection_reason_remote_id=_wid(applied.find(_q("Disposition_Reference"))) or None,
            source_remote_ids=tuple(s for s in [_wid(applied.find(_q("Source_Reference")))] if s),
            applied_at=parse_wd_datetime(applied.findtext(_q("Job_Application_Date"))),
            rejected_at=stamp if status is ApplicationStatus.CLOSED else None,
            last_activity_at=_app_activity(app), updated_at=stamp,
        )]
        for i, resume in enumerate(app.findall(_q("Resume_Attachment_Data"))):
            records.append(_resume(cid, aid, i, resume))
        return records

    def to_feedback(self, raw: ET.Element) -> tuple[Record, ...]:
        """``Interview_Feedback`` → one scorecard per interviewer (and the interviewer)."""
        records: list[Record] = []
        for data in raw.findall(_q("Interview_Feedback_Data")):
            event = _wid(data.find(_q("Interview_Event_Reference")))
            app = application_id(data.find(_q("Job_Application_Reference")))
            for detail in data.findall(_q("Interview_Feedback_Details_Data")):
                who = detail.find(_q("Interviewer_Reference"))
                rating = detail.find(f"{_q('Interview_Feedback_Details')}/"
                                     f"{_q('Interview_Feedback_Rating_Reference')}")
                if _wid(who):
                    records.append(UserRecord(remote_id=_wid(who),
                                              name=who.get(_q("Descriptor")) or ""))
                records.append(ScorecardRecord(
                    remote_id=f"{event}:{_wid(who)}", application_remote_id=app,
                    interviewer_remote_id=_wid(who) or None,
                    recommendation=self._recommendation(rating)))
        return tuple(records)

    def to_step_history(self, raw: dict[str, Any]) -> tuple[Record, ...]:
        """A RaaS report entry → the steps it passed and one stage event per step.

        Entries without a stage are decision steps ("Declined"): they say when, not how far.
        """
        fields = self.report_fields
        aid = str(raw[fields["application"]])
        history = raw.get(fields["history"]) or []
        history = [history] if isinstance(history, dict) else history  # one row: an object
        records: list[Record] = []
        entered = None
        for i, row in enumerate(history):
            done = parse_wd_datetime(row.get(fields["completed"]))
            step, stage = str(row.get(fields["step"]) or ""), str(row.get(fields["stage"]) or "")
            if step and stage:
                stage_id = stage.strip().upper().replace(" ", "_")
                key = f"step:{stage_key(step)}"
                records.append(StageRecord(remote_id=key, job_remote_id=None, name=step.strip(),
                                           sort_order=stage_sort_order(step, stage_id, step=True)))
                records.append(StageEventRecord(remote_id=f"{aid}:{i}", application_remote_id=aid,
                                                stage_remote_id=key, entered_at=entered,
                                                exited_at=done))
            entered = done or entered
        return tuple(records)

    def _recommendation(self, rating: ET.Element | None) -> Recommendation | None:
        if rating is None:
            return None
        label = (rating.get(_q("Descriptor")) or "").strip().casefold()
        return self.rating_map.get(_wid(rating).casefold()) or self.rating_map.get(label) \
            or RATING_LABELS.get(label)

    resources = (
        # Requisitions are listed in full every run: their hiring teams have no change feed,
        # and someone removed from a confidential requisition must lose access.
        Resource("jobs", REQUISITIONS, JobRecord, to_requisition, incremental=False,
                 team_roles=frozenset(ROLE_TEAM.values())),
        Resource("candidates", CANDIDATES, CandidateRecord, to_candidate),
    )


class WorkdayPaginator:
    """Page-number SOAP paging; each candidate page also brings its applications' feedback.

    Feedback is asked per application while its candidate page is read (Workday has no bulk
    feedback listing), so a page and its scorecards are written, checkpointed and resumed
    together. The first refusal (no permission) is put on that page for the run to record;
    the rest of the run goes on without asking again.
    """

    def __init__(self, adapter: WorkdayAdapter) -> None:
        self.adapter = adapter
        self.pages = PageNumberSoapPaginator(adapter.build_envelope, adapter.read_page,
                                             endpoint=adapter.base_url)

    def iter_pages(self, client: ApiClient, path: str, params: Mapping[str, str], *,
                   resume_url: str | None = None) -> Iterator[Page]:
        """Every page of ``path``; candidate pages carry ``(candidate, feedback)`` items."""
        if path == STEP_HISTORY:
            yield self._report(client, params)
            return
        for page in self.pages.iter_pages(client, path, params, resume_url=resume_url):
            if path != CANDIDATES or not page.items:
                yield page
                continue
            refused_before = self.adapter.feedback_refused
            items = [(c, self._feedback(client, c, params)) for c in page.items]
            refused = self.adapter.feedback_refused if refused_before is None else None
            yield replace(page, items=items, refused=refused)

    def _report(self, client: ApiClient, params: Mapping[str, str]) -> Page:
        """The step-history RaaS report, one response for the whole window (RaaS has no pages)."""
        fields, url = self.adapter.report_fields, str(self.adapter.report_url)
        prompts = {"format": "json", fields["from"]: params["Updated_From"][:10],
                   fields["through"]: params["Updated_Through"][:10]}
        try:
            data = client.get_json(url, params=prompts, expect=dict,
                                   auth=self.adapter.report_auth()).data
        except MalformedBodyError as exc:
            return Page(url=url, error=exc)
        entries = data.get("Report_Entry") or []
        return Page(url=url, items=[entries] if isinstance(entries, dict) else list(entries))

    def _feedback(self, client: ApiClient, candidate: ET.Element,
                  params: Mapping[str, str]) -> list[ET.Element]:
        if self.adapter.feedback_refused is not None or not self.adapter.fetch_feedback:
            return []
        cid = _wid(candidate.find(_q("Candidate_Reference")))
        found: list[ET.Element] = []
        for app in _child(candidate, "Candidate_Data").findall(_q("Job_Application_Data")):
            req = _wid(app.find(f"{_q('Job_Applied_To_Data')}/{_q('Job_Requisition_Reference')}"))
            if not (cid and req):
                continue
            query = {"operation": FEEDBACK, "Count": params.get("Count", "100"),
                     "Candidate": cid, "Requisition": req}
            try:
                found += self._all_pages(client, query)
            except FatalSyncError as exc:
                if exc.status != 403:
                    raise
                self.adapter.feedback_refused = exc  # no permission: stop asking this run
                return []
        return found

    def _all_pages(self, client: ApiClient, query: dict[str, str]) -> list[ET.Element]:
        items, number, total = [], 1, 1
        while number <= total:
            body = client.post_soap(self.adapter.base_url,
                                    self.adapter.build_envelope({**query, "Page": str(number)}),
                                    operation=FEEDBACK).body
            page, results, total = self.adapter.read_page(body)
            items += page
            if not results:
                break
            number += 1
        return items


# ---------------------------------------------------------------------- XML helpers


def application_id(ref: ET.Element | None) -> str:
    """A job application's key: its ``Job_Application_ID`` (what RaaS reports carry), else WID."""
    return _typed_id(ref, "Job_Application_ID") or _wid(ref)


def _child(parent: ET.Element | None, tag: str) -> ET.Element:
    found = parent.find(_q(tag)) if parent is not None else None
    return found if found is not None else ET.Element(_q(tag))  # absent = empty


def _wid(ref: ET.Element | None) -> str:
    return _typed_id(ref, "WID") or ""


def _typed_id(ref: ET.Element | None, kind: str) -> str | None:
    if ref is None:
        return None
    for node in ref.findall(_q("ID")):
        if node.get(_q("type")) == kind and (node.text or "").strip():
            return node.text.strip()
    return None


def _flag(parent: ET.Element, tag: str) -> bool:
    return (parent.findtext(_q(tag)) or "").strip().lower() in ("1", "true")


def parse_wd_datetime(value: str | None) -> datetime | None:
    """An ``xsd:dateTime`` or ``xsd:date`` (``2024-03-04-08:00``, offset optional) in UTC."""
    if not value or not value.strip():
        return None
    text = value.strip().replace("Z", "+00:00")
    if "T" not in text:  # xsd:date, maybe with an offset: midnight local time
        day, offset = text[:10], text[10:]
        text = f"{day}T00:00:00{offset}"
    parsed = datetime.fromisoformat(text)
    return (parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)).astimezone(
        timezone.utc)


def _window(params: Mapping[str, str]) -> str:
    if not params.get("Updated_From"):
        return ""
    return ("<wd:Request_Criteria><wd:Transaction_Log_Criteria_Data>"
            "<wd:Transaction_Date_Range_Data>"
            f"<wd:Updated_From>{escape(params['Updated_From'])}</wd:Updated_From>"
            f"<wd:Updated_Through>{escape(params['Updated_Through'])}</wd:Updated_Through>"
            "</wd:Transaction_Date_Range_Data></wd:Transaction_Log_Criteria_Data>"
            "</wd:Request_Criteria>")


def _feedback_criteria(params: Mapping[str, str]) -> str:
    return ("<wd:Request_Criteria><wd:Candidate_Interview_Criteria_Data>"
            f'<wd:Candidate_Reference><wd:ID wd:type="WID">{escape(params["Candidate"])}'
            "</wd:ID></wd:Candidate_Reference>"
            f'<wd:Job_Requisition_Reference><wd:ID wd:type="WID">{escape(params["Requisition"])}'
            "</wd:ID></wd:Job_Requisition_Reference>"
            "</wd:Candidate_Interview_Criteria_Data></wd:Request_Criteria>")


def _as_of(params: Mapping[str, str]) -> str:
    value = params.get("As_Of_Entry_DateTime")
    return f"<wd:As_Of_Entry_DateTime>{escape(value)}</wd:As_Of_Entry_DateTime>" if value else ""


def _response_group(operation: str) -> str:
    if operation != CANDIDATES:
        return ""
    return ("<wd:Response_Group><wd:Include_Reference>1</wd:Include_Reference>"
            "<wd:Exclude_All_Attachments>0</wd:Exclude_All_Attachments></wd:Response_Group>")


# ---------------------------------------------------------------------- mapping helpers


def _status(data: ET.Element, applied: ET.Element) -> ApplicationStatus:
    """Closed by a disposition or a withdrawn candidate; hired at Ready for Hire with a
    pre-hire or worker record (the hire itself happens in Staffing); open otherwise."""
    if _wid(applied.find(_q("Disposition_Reference"))) or _flag(_child(data, "Status_Data"),
                                                                "Withdrawn"):
        return ApplicationStatus.CLOSED
    stage = _typed_id(applied.find(_q("Stage_Reference")), "Recruiting_Stage_ID")
    hired = data.find(_q("Worker_Reference")) is not None or \
        data.find(_q("Pre-Hire_Reference")) is not None
    return ApplicationStatus.HIRED if stage == HIRED_STAGE and hired else ApplicationStatus.OPEN


def _current_stage(applied: ET.Element) -> StageRecord | None:
    """The tenant's workflow step, or Workday's fixed stage once a disposition closed it.

    A decision step ("Declined", "Withdrawn") says nothing of how far the application got;
    the fixed stage it was decided in does. Steps sort by their stage, then by what their
    name suggests, so defaults never go down along Workday's order.
    """
    stage = applied.find(_q("Stage_Reference"))
    step = applied.find(_q("Workflow_Step_Reference"))
    stage_id = _typed_id(stage, "Recruiting_Stage_ID") or ""
    decided = bool(_wid(applied.find(_q("Disposition_Reference"))))
    ref, key = (stage, f"stage:{stage_id}") if decided or not _wid(step) \
        else (step, f"step:{_wid(step)}")
    if ref is None or not (stage_id or _wid(ref)):
        return None
    name = ref.get(_q("Descriptor")) or stage_id.replace("_", " ").title()
    return StageRecord(remote_id=key if key != "stage:" else f"stage:{_wid(ref)}",
                       job_remote_id=None, name=name,
                       sort_order=stage_sort_order(name, stage_id, step=ref is step))


def stage_sort_order(name: str, stage_id: str, *, step: bool) -> int:
    """Where a step or fixed stage sits in the one shared Workday plan.

    By the milestone its name suggests (else its fixed stage's default), so defaults never
    go down; then steps after the fixed stage of the same milestone, so a named step wins
    over "Interview" as the furthest stage shown; then Workday's own stage order.
    """
    fixed = WORKDAY_STAGES.get(stage_key(stage_id.replace("_", " ")), "")
    rank = RANK.get(milestone_from_name(name) or fixed, 0) if step else RANK.get(fixed, 0)
    return rank * 100 + (10 + STAGE_ORDER.get(stage_id, 0) if step else 0)


def _app_activity(app: ET.Element) -> datetime | None:
    applied = _child(app, "Job_Applied_To_Data")
    stamps = [parse_wd_datetime(applied.findtext(_q(t)))
              for t in ("Status_Timestamp", "Job_Application_Date")]
    return max((s for s in stamps if s), default=None)


def _current_job(apps: list[ET.Element]) -> ET.Element | None:
    """The work entry marked current (else the latest started) over the applications' resumes."""
    jobs = [e for a in apps for e in a.findall(f"{_q('Resume_Data')}/{_q('Experience_Data')}")]
    if not jobs:
        return None
    return max(jobs, key=lambda e: (_flag(e, "Currently_Work_Here"),
                                    int(e.findtext(_q("Start_Year")) or 0),
                                    int(e.findtext(_q("Start_Month")) or 0)))


def _location(where: ET.Element | None, job: ET.Element | None) -> str | None:
    """City, region, country from the contact data; else the current job's free-text place."""
    if where is not None:
        region = _child(where, "Country_Region_Reference").get(_q("Descriptor"))
        parts = [where.findtext(_q("City")), region or where.findtext(_q("Region_Subdivision_1")),
                 _child(where, "Country_Reference").get(_q("Descriptor"))]
        # As typed: cleaning messy places is the indexer's job (location normalisation).
        text = ", ".join(p for p in parts if p and p.strip())
        if text:
            return text
    place = job.findtext(_q("Location")) if job is not None else None
    return place if place and place.strip() else None  # derived from the current job


def _resume(cid: str, aid: str, index: int, resume: ET.Element) -> AttachmentRecord:
    try:
        content = base64.b64decode(resume.findtext(_q("File_Content")) or "", validate=False)
    except (binascii.Error, ValueError):
        content = b""
    rid = (resume.findtext(_q("ID")) or "").strip() or f"{aid}:resume:{index}"
    return AttachmentRecord(
        remote_id=rid, candidate_remote_id=cid, application_remote_id=aid,
        filename=resume.findtext(_q("Filename")) or "", type="resume", content=content,
        content_type=_typed_id(resume.find(_q("Mime_Type_Reference")), "Content_Type_ID"))
