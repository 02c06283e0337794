"""SmartRecruiters Customer API adapter: which endpoints to read and how rows map to records.

A candidate row from ``/candidates`` is only a summary: for each one the adapter reads the
details (assignments = applications, with status, source and rejection reason), each
application's status history (→ stages and the furthest milestone) and the attachments list.
SmartRecruiters has no stage list: a stage is a (status, sub-status) pair met in a history.
"""
from __future__ import annotations

import time
from datetime import datetime
from typing import Any

import httpx

from rediscover.core.enums import ApplicationStatus
from rediscover.core.milestones import RANK, milestone_from_name
from rediscover.sync.adapters.base import (
    HISTORY_START,
    Adapter,
    Resource,
    format_datetime,
    parse_datetime,
    remote_id,
)
from rediscover.sync.errors import FatalSyncError
from rediscover.sync.http import ApiClient, ClientCredentialsAuth, Clock, make_client
from rediscover.sync.pagination import BodyCursorPaginator
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

DEFAULT_BASE_URL = "https://api.smartrecruiters.com"
DEFAULT_TOKEN_URL = "https://api.smartrecruiters.com/identity/oauth/token"
WINDOW_SECONDS = 1.0  # "up to 10 requests/second": X-RateLimit-* count per second

# Candidate API statuses in a job, in process order. The last four end a process (they
# are outcomes, not stages); LEAD is a sourced lead, like a Greenhouse prospect.
STAGE_STATUSES = ("LEAD", "NEW", "IN_REVIEW", "INTERVIEW", "OFFERED")
OUTCOMES: dict[str, ApplicationStatus] = {
    "HIRED": ApplicationStatus.HIRED,
    "REJECTED": ApplicationStatus.CLOSED,
    "WITHDRAWN": ApplicationStatus.CLOSED,
    "TRANSFERRED": ApplicationStatus.CLOSED,
}
ATTACHMENT_TYPES = {"RESUME": "resume", "COVER_LETTER": "cover_letter"}
SKIPPED_ATTACHMENT_TYPES = frozenset({"AVATAR"})
CONFIDENTIAL_POSTING = "PRIVATE"

HINTS = {
    401: "SmartRecruiters refused the credentials: check the X-SmartToken API key (or the "
         "OAuth client id/secret) and that it is still active",
    403: "the credential may not read {resource}: check its scopes and its System role",
    404: "check the connection's base URL (https://api.smartrecruiters.com)",
}


class SmartRecruitersAdapter(Adapter):
    """SmartRecruiters Customer API: X-SmartToken or OAuth, ``pageId`` cursors, ``updatedAfter``.

    Docs: https://developers.smartrecruiters.com/ (Candidates, Jobs, Pagination, Rate
    Limiting, OAuth 2.0 client credentials).
    """

    ats = "smartrecruiters"
    default_base_url = DEFAULT_BASE_URL
    paginator = BodyCursorPaginator(items_key="content", next_key="nextPageId",
                                    cursor_param="pageId")
    page_size_param = "limit"
    DEFAULT_PER_PAGE = 100
    MAX_PER_PAGE = 100

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        creds = self.config.credentials
        if not creds.get("api_key") and not (creds.get("client_id") and
                                             creds.get("client_secret")):
            raise FatalSyncError(
                f"{self.ats}: connection {self.config.name!r} needs credentials api_key "
                f"(X-SmartToken) or client_id and client_secret (OAuth); set them and sync again",
                ats=self.ats)

    def make_client(
        self,
        *,
        transport: httpx.BaseTransport | None = None,
        clock: Clock = time.time,
        sleep: Sleep = time.sleep,
        retry: RetryPolicy | None = None,
    ) -> ApiClient:
        """An ``ApiClient`` sending ``X-SmartToken``, or a client-credentials bearer token."""
        creds = self.config.credentials
        headers: dict[str, str] = {}
        auth: httpx.Auth | None = None
        if creds.get("api_key"):
            headers["X-SmartToken"] = str(creds["api_key"])
        else:
            client_id, secret = str(creds["client_id"]), str(creds["client_secret"])
            auth = ClientCredentialsAuth(
                self.config.token_url or DEFAULT_TOKEN_URL, client_id, secret, ats=self.ats,
                form={"client_id": client_id, "client_secret": secret}, clock=clock)
        return make_client(
            ats=self.ats, base_url=self.base_url, auth=auth, headers=headers,
            timeout=self.timeout, retry=retry or self.retry_policy,
            window_seconds=WINDOW_SECONDS, hints=HINTS, transport=transport, clock=clock,
            sleep=sleep,
        )

    def window_params(self, start: datetime, end: datetime) -> dict[str, str]:
        """``updatedAfter`` (SmartRecruiters takes no upper bound); none for a full listing."""
        return {} if start <= HISTORY_START else {"updatedAfter": format_datetime(start)}

    def first_params(self, resource: Resource, start: datetime, end: datetime) -> dict[str, str]:
        """Filters and page size; the time window only on incremental resources."""
        window = self.window_params(start, end) if resource.incremental else {}
        return {**resource.params, self.page_size_param: str(self.per_page), **window}

    # ------------------------------------------------------------------ jobs

    def to_job(self, raw: dict[str, Any]) -> JobRecord:
        """``/jobs`` row → ``JobRecord`` (a ``PRIVATE`` posting is a confidential search)."""
        return JobRecord(
            remote_id=str(raw["id"]), title=raw.get("title") or "",
            requisition_id=raw.get("refNumber"), status=raw.get("status"),
            confidential=raw.get("postingStatus") == CONFIDENTIAL_POSTING,
            opened_at=parse_datetime(raw.get("createdOn")),
            updated_at=parse_datetime(raw.get("updatedOn")),
        )

    # ------------------------------------------------------------------ candidates

    def expand_candidate(self, client: ApiClient, raw: dict[str, Any]) -> dict[str, Any]:
        """Fetch the details, each application's status history, and the attachments."""
        cid = str(raw["id"])
        details = client.get_json(f"candidates/{cid}", expect=dict).data
        histories, files = {}, {}
        for assignment in _assignments(details):
            job_id = str(assignment["job"]["id"])
            body = client.get_json(f"candidates/{cid}/jobs/{job_id}/status/history",
                                   expect=dict).data
            histories[job_id] = body.get("content") or []
        # Candidate files belong to no application; application files are seen only by
        # who may see the application (a confidential search's resumes stay in it).
        for assignment in _assignments(details):
            job_id = str(assignment["job"]["id"])
            files[job_id] = _content(client, f"candidates/{cid}/jobs/{job_id}/attachments")
        return {**raw, **details, "_histories": histories, "_app_attachments": files,
                "_attachments": _content(client, f"candidates/{cid}/attachments")}

    def to_candidate_rows(self, raw: dict[str, Any]) -> tuple[Record, ...]:
        """One candidate → its record, then per application: reference data, the
        application, its stage history and hire; then its files."""
        candidate = self.to_candidate(raw)
        out: list[Record] = [candidate]
        for assignment in _assignments(raw):
            out.extend(self._application_records(raw, assignment))
        out.extend(self._attachments(raw))
        return tuple(out)

    def to_candidate(self, raw: dict[str, Any]) -> CandidateRecord:
        """The candidate's own fields (title and company from the current experience)."""
        current = next((e for e in raw.get("experience") or () if e.get("current")), {})
        email = raw.get("email")
        phone = raw.get("phoneNumber")
        return CandidateRecord(
            remote_id=str(raw["id"]), first_name=(raw.get("firstName") or "").strip(),
            last_name=(raw.get("lastName") or "").strip(),
            company=current.get("company"), title=current.get("title"),
            location=_location(raw.get("location")),
            created_at=parse_datetime(raw.get("createdOn")),
            updated_at=parse_datetime(raw.get("updatedOn")),
            emails=(EmailValue(value=email),) if email else (),
            phones=(PhoneValue(value=phone),) if phone else (),
            tags=tuple(str(t).strip() for t in raw.get("tags") or () if str(t).strip()),
        )

    def _application_records(self, raw: dict[str, Any], assignment: dict[str, Any]
                              ) -> list[Record]:
        cid, job_id = str(raw["id"]), str(assignment["job"]["id"])
        app_id = f"{cid}:{job_id}"
        history = sorted(raw.get("_histories", {}).get(job_id) or (),
                         key=lambda h: parse_datetime(h.get("changedOn")) or HISTORY_START)
        status = str(assignment.get("status") or "").upper()
        stays = [h for h in history if str(h.get("status")).upper() in STAGE_STATUSES]
        stages = {stage_id(h): self.to_stage(h) for h in stays}
        if not stays and status in STAGE_STATUSES:  # no history: the current status is all
            stages[stage_id(assignment)] = self.to_stage(assignment)
        reason = assignment.get("reasonOfRejection") or {}
        source = (assignment.get("source") or "").strip()
        out: list[Record] = [*stages.values()]
        if reason.get("id"):
            out.append(RejectionReasonRecord(remote_id=str(reason["id"]),
                                             name=reason.get("label") or ""))
        if source:
            out.append(SourceRecord(remote_id=source, name=source))
        ended = next((h for h in reversed(history) if str(h.get("status")).upper() in OUTCOMES),
                     None)
        outcome = OUTCOMES.get(status)
        app_status = outcome or (ApplicationStatus.PROSPECT if status == "LEAD"
                                 else ApplicationStatus.OPEN)
        changed = [parse_datetime(h.get("changedOn")) for h in history]
        out.append(ApplicationRecord(
            remote_id=app_id, candidate_remote_id=cid, job_remote_id=job_id, status=app_status,
            remote_status=status or None,
            current_stage_remote_id=stage_id(stays[-1]) if stays else
            (stage_id(assignment) if status in STAGE_STATUSES else None),
            rejection_reason_remote_id=remote_id(reason.get("id")),
            source_remote_ids=(source,) if source else (),
            applied_at=changed[0] if changed else parse_datetime(raw.get("createdOn")),
            rejected_at=parse_datetime(ended.get("changedOn")) if ended and
            outcome is ApplicationStatus.CLOSED else None,
            last_activity_at=max((c for c in changed if c), default=None),
            updated_at=max((c for c in changed if c), default=None),
        ))
        out.extend(_stage_events(app_id, history))
        if outcome is ApplicationStatus.HIRED:
            hired_at = parse_datetime(ended.get("changedOn")) if ended else None
            out.append(OfferRecord(remote_id=f"{app_id}:hired", application_remote_id=app_id,
                                   accepted=True, resolved_at=hired_at))
        return out

    def to_stage(self, entry: dict[str, Any]) -> StageRecord:
        """A (status, sub-status) pair as a stage of the account-wide pipeline.

        SmartRecruiters orders statuses but not the per-company sub-statuses within one;
        within a status they are ordered by the milestone their names suggest, so the
        never-go-down rule only acts across statuses.
        """
        status = str(entry.get("status") or "").upper()
        name = _stage_name(entry)
        guess = milestone_from_name(name)
        order = (STAGE_STATUSES.index(status) + 1) * 10 + (RANK[guess] if guess else 0)
        return StageRecord(remote_id=stage_id(entry), job_remote_id=None, name=name,
                           sort_order=order)

    def _attachments(self, raw: dict[str, Any]) -> tuple[AttachmentRecord, ...]:
        cid = str(raw["id"])
        listed = [(None, f) for f in raw.get("_attachments") or ()]
        listed += [(f"{cid}:{job_id}", f)
                   for job_id, files in (raw.get("_app_attachments") or {}).items()
                   for f in files]
        return tuple(
            AttachmentRecord(
                remote_id=str(f["id"]), candidate_remote_id=cid, application_remote_id=app_id,
                filename=f.get("name") or "",
                type=ATTACHMENT_TYPES.get(str(f.get("type")).upper(), "other"),
                download_url=((f.get("actions") or {}).get("download") or {}).get("url")
                or f"candidates/{cid}/attachments/{f['id']}",
                # The list carries no dates: the candidate's update stands in for a change.
                updated_at=parse_datetime(raw.get("updatedOn")))
            for app_id, f in listed
            if str(f.get("type")).upper() not in SKIPPED_ATTACHMENT_TYPES)

    # ------------------------------------------------------------------ what to pull, in order

    resources = (
        Resource("jobs", "jobs", JobRecord, to_job, incremental=False),
        Resource("candidates", "candidates", CandidateRecord, to_candidate_rows,
                 also=(ApplicationRecord, AttachmentRecord), expand=expand_candidate),
    )


def stage_id(entry: dict[str, Any]) -> str:
    """A stage's id: ``STATUS`` or ``STATUS/sub-status``."""
    status = str(entry.get("status") or "").upper()
    sub = (entry.get("subStatus") or "").strip()
    return f"{status}/{sub}" if sub else status


def _stage_name(entry: dict[str, Any]) -> str:
    sub = (entry.get("subStatus") or "").strip()
    return sub or str(entry.get("status") or "").replace("_", " ").title()


def _stage_events(app_id: str, history: list[dict[str, Any]]) -> list[StageEventRecord]:
    """Stays in stages: each entry until the next one (an outcome ends the last stay)."""
    events = []
    for i, entry in enumerate(history):
        if str(entry.get("status")).upper() not in STAGE_STATUSES:
            continue
        after = history[i + 1] if i + 1 < len(history) else None
        events.append(StageEventRecord(
            remote_id=f"{app_id}:{i}", application_remote_id=app_id,
            stage_remote_id=stage_id(entry), entered_at=parse_datetime(entry.get("changedOn")),
            exited_at=parse_datetime(after.get("changedOn")) if after else None))
    return events


def _assignments(raw: dict[str, Any]) -> list[dict[str, Any]]:
    found = [raw.get("primaryAssignment"), *(raw.get("secondaryAssignments") or ())]
    return [a for a in found if isinstance(a, dict) and (a.get("job") or {}).get("id")]


def _content(client: ApiClient, path: str) -> list[dict[str, Any]]:
    """The ``content`` of a small list SmartRecruiters answers in one body."""
    try:
        body = client.get_json(path, expect=dict).data
    except FatalSyncError as exc:
        if exc.status == 404:  # no such list for this candidate: nothing attached
            return []
        raise
    return [i for i in body.get("content") or () if isinstance(i, dict)]


def _location(value: Any) -> str | None:
    if not isinstance(value, dict):
        return None
    parts = [" ".join(str(value.get(k) or "").split()) for k in ("city", "region", "country")]
    return ", ".join(p for p in parts if p) or None


__all__ = ["SmartRecruitersAdapter", "stage_id"]
