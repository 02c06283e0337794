"""iCIMS Talent Cloud REST adapter: search for ids, then fetch each profile.

iCIMS lists nothing: the Search API (``POST search/{people|jobs|applicantworkflows}``)
answers ids only, at most 1,000 per call in ascending order, paged by AND-ing "id greater
than the last id" (``IdSearchPaginator``); each id is then fetched on its own
(``people/{id}``, ``jobs/{id}``, ``applicantworkflows/{id}``) and a person's resume comes
from ``people/{id}/fields/resume/binary``. Incremental windows filter on
``<type>.updateddate`` (minute precision, UTC ``yyyy-mm-dd hh:mm AM``).

A recruiting workflow (the API's ``applicantworkflows``) is one application. iCIMS gives its
current status only (no history API): each status seen becomes a stage visit, so the
furthest stage of an application grows as syncs see it move; a status in a rejected or
withdrawn bin is the rejection reason, a hired one the hire. iCIMS has no private flag and
no tags: a profile the integration user may not see answers 404, and is recorded as skipped.
"""
from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from datetime import datetime, timedelta, timezone
from typing import Any

import httpx

from rediscover.core.enums import ApplicationStatus
from rediscover.core.milestones import RANK, milestone_from_name
from rediscover.mappings.stages import ICIMS as ICIMS_STATUS_MILESTONES
from rediscover.mappings.stages import stage_key
from rediscover.sync.adapters.base import Adapter, Resource, remote_id
from rediscover.sync.errors import FatalSyncError, SkippedRecordError
from rediscover.sync.http import ApiClient, ClientCredentialsAuth, Clock, basic_auth, make_client
from rediscover.sync.pagination import IdSearchPaginator
from rediscover.sync.records import (
    ApplicationRecord,
    AttachmentRecord,
    CandidateRecord,
    EmailValue,
    JobRecord,
    OfferRecord,
    PhoneValue,
    Record,
    RejectionReasonRecord,
    SourceRecord,
    StageEventRecord,
    StageRecord,
)
from rediscover.sync.retry import RetryPolicy, Sleep

log = logging.getLogger(__name__)

DEFAULT_TOKEN_URL = "https://login.icims.com/oauth/token"
AUDIENCE = "https://api.icims.com/v1/"
DATETIME_FORMAT = "%Y-%m-%d %I:%M %p"  # "2024-05-01 02:15 PM", UTC
SEARCH_CAP = 1000  # ids per search call
# Search results come from a cache up to 15 minutes old (``staleness``): windows overlap by
# more than that, or a change made just before a sync could fall between two windows.
LOOKBACK_MINUTES = 20.0
# Search path -> the profile type its filters name.
SEARCH_TYPES = {"search/people": "person", "search/jobs": "job",
                "search/applicantworkflows": "applicantworkflow"}
# Status bins (or the status label's "Bin:" part) that end an application.
HIRED_BINS = frozenset({"hired"})
CLOSED_BINS = {"rejected": "we_rejected_them", "candidate withdrew": "they_rejected_us",
               "withdrawn": "they_rejected_us", "offer declined": "they_rejected_us"}
PROSPECT_BINS = frozenset({"sourced", "prospect"})
NO_RESUME_TYPE = "application/json"  # what the resume endpoint answers without a resume

HINTS = {
    401: "iCIMS refused the credentials: check the OAuth client id/secret (or the integration "
         "account's username/password) and that the integration licence is active",
    403: "the integration user may not read {resource}: check that it is in the Integration "
         "User group (the Search API needs it) and its security rules",
    404: "check the connection's base URL (https://api.icims.com/customers/CUSTOMER_ID)",
}


class ICIMSAdapter(Adapter):
    """iCIMS REST: OAuth client credentials (or Basic), search ids, then per-profile GETs."""

    ats = "icims"
    default_base_url = ""  # per customer: https://api.icims.com/customers/{customerId}
    page_size_param = "cap"  # the search's per-call cap: only the stop rule reads it
    DEFAULT_PER_PAGE = SEARCH_CAP
    MAX_PER_PAGE = SEARCH_CAP
    DEFAULT_LOOKBACK_MINUTES = LOOKBACK_MINUTES

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        creds = self.config.credentials
        if not (creds.get("client_id") and creds.get("client_secret")) and \
                not (creds.get("username") and creds.get("password")):
            raise FatalSyncError(
                f"{self.ats}: connection {self.config.name!r} needs credentials client_id and "
                f"client_secret (OAuth) or username and password (Basic); set them and sync "
                f"again", ats=self.ats)
        if not self.config.base_url:
            raise FatalSyncError(
                f"{self.ats}: connection {self.config.name!r} needs its base URL "
                f"(https://api.icims.com/customers/CUSTOMER_ID)", ats=self.ats)
        self.paginator = IdSearchPaginator(self.search_body, items_key="searchResults",
                                           cap_param=self.page_size_param)
        # Jobs this sync could read or not (a workflow on an unreadable job is not kept).
        self._jobs_readable: dict[str, bool] = {}

    def make_client(
        self,
        *,
        transport: httpx.BaseTransport | None = None,
        clock: Clock = time.time,
        sleep: Sleep = time.sleep,
        retry: RetryPolicy | None = None,
    ) -> ApiClient:
        """An ``ApiClient`` with a client-credentials bearer token, or HTTP Basic."""
        creds = self.config.credentials
        if creds.get("client_id") and creds.get("client_secret"):
            client_id, secret = str(creds["client_id"]), str(creds["client_secret"])
            auth: httpx.Auth = ClientCredentialsAuth(
                self.config.token_url or DEFAULT_TOKEN_URL, client_id, secret, ats=self.ats,
                form={"client_id": client_id, "client_secret": secret, "audience": AUDIENCE},
                clock=clock)
        else:
            auth = basic_auth(str(creds["username"]), str(creds["password"]))
        return make_client(
            ats=self.ats, base_url=self.base_url, auth=auth, timeout=self.timeout,
            retry=retry or self.retry_policy, hints=HINTS, transport=transport, clock=clock,
            sleep=sleep)

    # ------------------------------------------------------------------ searches

    def window_params(self, start: datetime, end: datetime) -> dict[str, str]:
        """``updateddate`` from ``start`` (down to its minute) to ``end`` (up to its minute)."""
        return {"updated_from": format_icims(start), "updated_to": format_icims(end, up=True)}

    def target_params(self, resource: Resource, candidate_ids: list[str],
                      application_ids: list[str]) -> list[dict[str, str]] | None:
        """People by id, and workflows by their person's id (jobs are left alone)."""
        if resource.name == "jobs":
            return None
        key = "ids" if resource.name == "people" else "person_ids"
        ids = sorted(candidate_ids, key=lambda i: (len(i), i))
        return [{key: ",".join(ids[i:i + SEARCH_CAP])} for i in range(0, len(ids), SEARCH_CAP)]

    def search_body(self, path: str, params: Mapping[str, str]) -> dict[str, Any]:
        """The Search API body for one page: the window, any id lists, the paging filter."""
        kind = SEARCH_TYPES[path]
        filters: list[dict[str, Any]] = []
        if params.get("updated_from"):
            filters.append({"name": f"{kind}.updateddate", "value": [params["updated_from"]],
                            "secondaryValue": [params["updated_to"]]})
        if params.get("ids"):
            filters.append({"name": f"{kind}.id", "value": params["ids"].split(","),
                            "operator": "="})
        if params.get("person_ids"):
            filters.append({"name": f"{kind}.person.id", "value": params["person_ids"].split(","),
                            "operator": "="})
        if params.get("after"):
            filters.append({"name": f"{kind}.id", "value": [params["after"]], "operator": ">"})
        return {"filters": filters, "operator": "&"}

    # ------------------------------------------------------------------ profiles

    def expand_job(self, client: ApiClient, raw: dict[str, Any]) -> dict[str, Any]:
        """Fetch the job profile a search row names."""
        try:
            profile = self._profile(client, "jobs", raw)
        except SkippedRecordError:
            self._jobs_readable[str(raw["id"])] = False
            raise
        self._jobs_readable[str(raw["id"])] = True
        return profile

    def expand_person(self, client: ApiClient, raw: dict[str, Any]) -> dict[str, Any]:
        """Fetch the person profile and their resume (inline: no resume answers JSON)."""
        profile = self._profile(client, "people", raw)
        path = f"people/{raw['id']}/fields/resume/binary"
        try:
            resume = client.download(path, max_bytes=self.attachment_max_bytes)
        except SkippedRecordError as exc:  # over the size limit: the person still counts
            log.warning("resume not synced", extra={"remote_id": str(raw["id"]),
                                                    "reason": exc.message})
            return profile
        except FatalSyncError as exc:
            if exc.status != 404:
                raise
            return profile  # gone since the profile was read: no resume to take
        if resume.content_type != NO_RESUME_TYPE:
            profile["_resume"] = resume
        return profile

    def expand_workflow(self, client: ApiClient, raw: dict[str, Any]) -> dict[str, Any]:
        """Fetch the recruiting workflow a search row names.

        A workflow on a job the integration user may not read (secured: iCIMS's way of making
        a search confidential) is skipped as gone, not kept: nobody here could be told who may
        see it, and a window left open for it would re-read it on every sync. A job this sync
        did not read is asked for once (a cheap GET) to tell.
        """
        profile = self._profile(client, "applicantworkflows", raw)
        job = remote_id((profile.get("baseprofile") or {}).get("id"))
        if job is not None and not self._job_readable(client, job):
            raise SkippedRecordError(
                f"{self.ats}: applicantworkflows/{raw['id']} is on job {job}, which answers 404 "
                f"(secured from the integration user, or deleted); not synced",
                resource="applicantworkflows", remote_id=str(raw["id"]), gone=True)
        return profile

    def _job_readable(self, client: ApiClient, job: str) -> bool:
        if job not in self._jobs_readable:
            try:
                self._profile(client, "jobs", {"id": job})
                self._jobs_readable[job] = True
            except SkippedRecordError:
                self._jobs_readable[job] = False
        return self._jobs_readable[job]

    def _profile(self, client: ApiClient, kind: str, raw: dict[str, Any]) -> dict[str, Any]:
        pid = str(raw["id"])
        try:
            body = client.get_json(f"{kind}/{pid}", expect=dict).data
        except FatalSyncError as exc:
            if exc.status != 404:
                raise
            # iCIMS error 2 (gone since the search) or 3 (secured from this user): either
            # way nothing of it may be kept (a full sync sweeps a stored copy); recorded so
            # an admin can widen the integration user's access.
            raise SkippedRecordError(
                f"{self.ats}: {kind}/{pid} answered 404 (deleted since the search, or secured "
                f"from the integration user); not synced", resource=kind, remote_id=pid,
                gone=True) from None
        return {**body, "id": raw["id"]}

    def to_job(self, raw: dict[str, Any]) -> JobRecord:
        """A job profile → ``JobRecord`` (iCIMS marks no job confidential: a secured one is
        simply not readable)."""
        return JobRecord(
            remote_id=str(raw["id"]), title=(raw.get("jobtitle") or "").strip(),
            requisition_id=remote_id(raw.get("jobid")), status=list_value(raw.get("folder")),
            opened_at=parse_icims(raw.get("createddate")),
            updated_at=parse_icims(raw.get("updateddate")))

    def to_person(self, raw: dict[str, Any]) -> tuple[Record, ...]:
        """A person profile → the candidate, then their resume."""
        pid = str(raw["id"])
        current = current_work(raw.get("workexperience"))
        email = (raw.get("email") or "").strip()
        candidate = CandidateRecord(
            remote_id=pid, first_name=(raw.get("firstname") or "").strip(),
            last_name=(raw.get("lastname") or "").strip(),
            company=_clean(current.get("workemployer")), title=_clean(current.get("worktitle")),
            location=address_text(raw.get("addresses")),
            created_at=parse_icims(raw.get("createddate")),
            updated_at=parse_icims(raw.get("updateddate")),
            emails=(EmailValue(value=email),) if email else (),
            phones=tuple(PhoneValue(value=p["phonenumber"].strip(),
                                    type=list_value(p.get("phonetype")))
                         for p in raw.get("phones") or ()
                         if isinstance(p, dict) and (p.get("phonenumber") or "").strip()))
        resume = raw.get("_resume")
        if resume is None:
            return (candidate,)
        return (candidate, AttachmentRecord(
            remote_id=f"{pid}:resume", candidate_remote_id=pid,
            filename=resume.filename or f"resume{_extension(resume.content_type)}",
            type="resume", content=resume.data, content_type=resume.content_type,
            # The profile's update stands in for the file's (the binary carries no date).
            updated_at=candidate.updated_at))

    def to_workflow(self, raw: dict[str, Any]) -> tuple[Record, ...]:
        """A recruiting workflow → its stage, reason and source, the application, the stage
        visit of its current status and, when hired, the hire."""
        wid = str(raw["id"])
        person = remote_id((raw.get("associatedprofile") or {}).get("id"))
        if person is None:
            raise SkippedRecordError(f"{self.ats}: workflow {wid} names no person",
                                     resource="applicantworkflows", remote_id=wid)
        status = raw.get("status") if isinstance(raw.get("status"), dict) else {}
        label = (status.get("value") or "").strip()
        status_id = remote_id(status.get("id"))
        bin_name = (list_value(raw.get("bin")) or _prefix(label)).casefold()
        updated = parse_icims(raw.get("updateddate"))
        out: list[Record] = []
        app_status, reason_id, stage_id = ApplicationStatus.OPEN, None, None
        if bin_name in HIRED_BINS or _prefix(label) in HIRED_BINS:
            app_status = ApplicationStatus.HIRED
        elif bin_name in CLOSED_BINS or _prefix(label) in CLOSED_BINS:
            app_status, reason_id = ApplicationStatus.CLOSED, status_id
            if status_id:
                out.append(RejectionReasonRecord(
                    remote_id=status_id, name=_after_bin(label),
                    type_key=CLOSED_BINS.get(_prefix(label)) or CLOSED_BINS[bin_name],
                    type_name=list_value(raw.get("bin")) or label.partition(":")[0].strip()))
        else:
            if bin_name in PROSPECT_BINS or _prefix(label) in PROSPECT_BINS:
                app_status = ApplicationStatus.PROSPECT
            if status_id:
                stage_id = status_id
                out.append(self.to_stage(status_id, label))
        source = raw.get("source") if isinstance(raw.get("source"), dict) else {}
        source_id = remote_id(source.get("id"))
        if source_id:
            out.append(SourceRecord(remote_id=source_id, name=(source.get("value") or "").strip()))
        job = remote_id((raw.get("baseprofile") or {}).get("id"))
        out.append(ApplicationRecord(
            remote_id=wid, candidate_remote_id=person, job_remote_id=job, status=app_status,
            remote_status=label or None, current_stage_remote_id=stage_id,
            rejection_reason_remote_id=reason_id,
            source_remote_ids=(source_id,) if source_id else (),
            applied_at=parse_icims(raw.get("createddate")),
            rejected_at=updated if app_status is ApplicationStatus.CLOSED else None,
            last_activity_at=updated, updated_at=updated))
        if stage_id:
            # One visit per status seen: no history API, so visits add up sync after sync
            # (they are not swept: ``also`` leaves them out).
            out.append(StageEventRecord(remote_id=f"{wid}:{stage_id}", application_remote_id=wid,
                                        stage_remote_id=stage_id))
        if app_status is ApplicationStatus.HIRED:
            out.append(OfferRecord(remote_id=f"{wid}:hired", application_remote_id=wid,
                                   accepted=True, resolved_at=updated))
        return tuple(out)

    def to_stage(self, status_id: str, label: str) -> StageRecord:
        """An in-process status as an account-wide stage, ordered by the milestone its label
        suggests (iCIMS lists no order of statuses)."""
        guess = ICIMS_STATUS_MILESTONES.get(stage_key(label)) or milestone_from_name(
            _after_bin(label)) or milestone_from_name(label)
        return StageRecord(remote_id=status_id, job_remote_id=None, name=label,
                           sort_order=RANK[guess] if guess else 0)

    # ------------------------------------------------------------------ what to pull, in order

    resources = (
        Resource("jobs", "search/jobs", JobRecord, to_job, expand=expand_job),
        Resource("people", "search/people", CandidateRecord, to_person,
                 also=(AttachmentRecord,), expand=expand_person),
        Resource("applicantworkflows", "search/applicantworkflows", ApplicationRecord,
                 to_workflow, expand=expand_workflow),
    )


# ---------------------------------------------------------------------- values


def parse_icims(value: Any) -> datetime | None:
    """An iCIMS datetime (UTC ``2024-05-01 02:15 PM``) or date (``2024-05-01``), aware."""
    text = " ".join(str(value or "").split())
    if not text:
        return None
    for fmt in (DATETIME_FORMAT, "%Y-%m-%d"):
        try:
            return datetime.strptime(text, fmt).replace(tzinfo=timezone.utc)
        except ValueError:
            continue
    raise ValueError(f"not an iCIMS date: {text[:40]!r}")


def format_icims(moment: datetime, *, up: bool = False) -> str:
    """An aware datetime as iCIMS writes one, cut to the minute (``up``: rounded up)."""
    utc = moment.astimezone(timezone.utc)
    floor = utc.replace(second=0, microsecond=0)
    if up and floor != utc:
        floor += timedelta(minutes=1)
    return floor.strftime(DATETIME_FORMAT)


def list_value(value: Any) -> str | None:
    """The label of a list field (``{"id", "value"}``), trimmed."""
    if isinstance(value, dict):
        return _clean(value.get("value") or value.get("formattedvalue"))
    return _clean(value) if isinstance(value, str) else None


def address_text(addresses: Any) -> str | None:
    """The primary (else first) address as "city, state, country" (parts typed in the wrong
    field kept in order: a state written into ``addresscounty`` still shows)."""
    groups = [a for a in addresses or () if isinstance(a, dict)]
    if not groups:
        return None
    address = next((a for a in groups if a.get("primary")), groups[0])
    parts = [_clean(address.get("addresscity")), _clean(address.get("addresscounty")),
             list_value(address.get("addressstate")), list_value(address.get("addresscountry"))]
    seen: list[str] = []
    for part in parts:
        if part and part.casefold() not in (s.casefold() for s in seen):
            seen.append(part)
    return ", ".join(seen) or None


def current_work(entries: Any) -> dict[str, Any]:
    """The current work entry: open-ended first, then the newest start."""
    groups = [e for e in entries or () if isinstance(e, dict)]
    if not groups:
        return {}
    return max(groups, key=lambda e: (not e.get("workenddate"),
                                      str(e.get("workstartdate") or "")))


def _prefix(label: str) -> str:
    """The "Bin" of a "Bin: Status" label (the whole label when it has no colon)."""
    return label.partition(":")[0].strip().casefold()


def _after_bin(label: str) -> str:
    head, sep, tail = label.partition(":")
    return tail.strip() if sep and tail.strip() else label


def _clean(value: Any) -> str | None:
    text = " ".join(str(value or "").split())
    return text or None


EXTENSIONS = {"application/pdf": ".pdf", "application/msword": ".doc", "text/rtf": ".rtf",
              "application/vnd.openxmlformats-officedocument.wordprocessingml.document": ".docx",
              "text/plain": ".txt"}


def _extension(content_type: str | None) -> str:
    return EXTENSIONS.get(content_type or "", "")


__all__ = ["ICIMSAdapter", "format_icims", "parse_icims"]
