"""Lever Data API v1 adapter: which endpoints to read and how their rows map to records.

One Lever opportunity is one candidacy of a contact and holds at most one application, so
an opportunity row becomes a candidate record (keyed by the opportunity id, as Lever's own
``/candidates`` endpoint does), its application, its stage history and, fetched per
opportunity, its feedback forms (scorecards), resumes and files. Records of one contact
are joined into one person by the merge (normalised email).
"""
from __future__ import annotations

import re
import time
from datetime import datetime, timezone
from typing import Any

import httpx

from rediscover.core.enums import ApplicationStatus, Recommendation, ScorecardStatus, TeamRole
from rediscover.sync.adapters.base import HISTORY_START, Adapter, Resource, remote_id
from rediscover.sync.errors import FatalSyncError
from rediscover.sync.http import ApiClient, Clock, make_client
from rediscover.sync.pagination import BodyCursorPaginator
from rediscover.sync.records import (
    ApplicationRecord,
    AttachmentRecord,
    CandidateRecord,
    EmailValue,
    JobRecord,
    JobTeamMemberRecord,
    OfferRecord,
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

DEFAULT_BASE_URL = "https://api.lever.co/v1"
# Lever's token bucket allows 10 requests/s steady (bursts to 20) and advertises nothing in
# headers; keep 5 % under the steady rate so a long sync never drains the bucket.
MIN_INTERVAL_SECONDS = 0.105
# The overall rating of a feedback form, by its leading digit ("3 - Hire", "3 - Yes"):
# Lever's four points map one to one onto our four decisive recommendations.
RATING = re.compile(r"^\s*([1-4])\s*-")
RECOMMENDATION: dict[str, Recommendation] = {
    "4": Recommendation.STRONG_YES,
    "3": Recommendation.YES,
    "2": Recommendation.NO,
    "1": Recommendation.STRONG_NO,
}
HIRED_REASON_TYPE = "hired"
NO_LOCATION = "unspecified"
RESUME_TYPE = "resume"
FILE_TYPE = "other"
# Lever's "files" hold everything that is not a resume; only a cover letter is worth
# searching (as Greenhouse's ``cover_letter`` attachments are), and only its name says so.
COVER_LETTER = re.compile(r"cover[\s_-]*letter", re.IGNORECASE)

HINTS = {
    401: "Lever refused the API key: check it (HTTP Basic, key as username) and that it is "
         "still active",
    403: "the API key may not read {resource}: a Lever key's endpoints and confidential-data "
         "access are chosen when it is created; make a new key with them",
    404: "check the connection's base URL (Lever's is https://api.lever.co/v1)",
}


class LeverAdapter(Adapter):
    """Lever Data API v1: HTTP Basic API key, ``next``/``offset`` pages, ``updated_at`` windows.

    Docs: https://hire.lever.co/developer/documentation (Pagination, Rate Limits, Confidential
    Data, Opportunities, Postings, Stages, Archive Reasons, Feedback, Resumes, Files).
    """

    ats = "lever"
    default_base_url = DEFAULT_BASE_URL
    required_credentials = ("api_key",)
    paginator = BodyCursorPaginator(items_key="data", next_key="next", cursor_param="offset",
                                    more_key="hasNext")
    page_size_param = "limit"
    DEFAULT_PER_PAGE = 100
    MAX_PER_PAGE = 100

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._hired_reasons: set[str] | None = None
        self._stage_position = 0  # stages are listed whole every run, in pipeline order

    def make_client(
        self,
        *,
        transport: httpx.BaseTransport | None = None,
        clock: Clock = time.time,
        sleep: Sleep = time.sleep,
        retry: RetryPolicy | None = None,
    ) -> ApiClient:
        """An ``ApiClient`` sending the API key as the HTTP Basic username (empty password)."""
        auth = httpx.BasicAuth(str(self.config.credentials["api_key"]), "")
        return make_client(
            ats=self.ats, base_url=self.base_url, auth=auth, timeout=self.timeout,
            retry=retry or self.retry_policy, min_interval_seconds=MIN_INTERVAL_SECONDS,
            hints=HINTS, transport=transport, clock=clock, sleep=sleep,
        )

    def window_params(self, start: datetime, end: datetime) -> dict[str, str]:
        """``updated_at_start``/``_end`` in epoch ms; none for a full listing.

        ``updatedAt`` is null on old opportunities never updated since Lever added it, so a
        full listing sends no time filter at all rather than risk leaving them out.
        """
        if start <= HISTORY_START:
            return {}
        return {"updated_at_start": str(to_ms(start)), "updated_at_end": str(to_ms(end))}

    def first_params(self, resource: Resource, start: datetime, end: datetime) -> dict[str, str]:
        """Filters and page size; the time window only on incremental resources."""
        window = self.window_params(start, end) if resource.incremental else {}
        return {**resource.params, self.page_size_param: str(self.per_page), **window}

    # ------------------------------------------------------------------ reference data

    def to_user(self, raw: dict[str, Any]) -> UserRecord:
        """``/users`` row → ``UserRecord`` (super admins are site admins)."""
        return UserRecord(remote_id=str(raw["id"]), name=raw.get("name") or "",
                          email=raw.get("email"),
                          site_admin=str(raw.get("accessRole") or "").lower() == "super admin",
                          deactivated=raw.get("deactivatedAt") is not None)

    def to_posting(self, raw: dict[str, Any]) -> tuple[Record, ...]:
        """``/postings`` row → the job and its team (owner, hiring manager, followers)."""
        rid = str(raw["id"])
        job = JobRecord(
            remote_id=rid, title=raw.get("text") or "", requisition_id=raw.get("reqCode"),
            status=raw.get("state"),
            confidential=raw.get("confidentiality") == "confidential",
            opened_at=from_ms(raw.get("createdAt")), updated_at=from_ms(raw.get("updatedAt")),
        )
        team = {(raw.get("hiringManager"), TeamRole.HIRING_MANAGER),
                (raw.get("owner"), TeamRole.RECRUITER)}
        team |= {(user, TeamRole.PERMISSION) for user in raw.get("followers") or ()}
        members = sorted((str(u), role) for u, role in team if u)
        return (job, *(JobTeamMemberRecord(job_remote_id=rid, user_remote_id=u, role=role)
                       for u, role in members))

    def to_stage(self, raw: dict[str, Any]) -> StageRecord:
        """``/stages`` row → an account-wide stage; the list order is the pipeline order."""
        self._stage_position += 1
        return StageRecord(remote_id=str(raw["id"]), job_remote_id=None,
                           name=raw.get("text") or "", sort_order=self._stage_position)

    def to_archive_reason(self, raw: dict[str, Any]) -> RejectionReasonRecord:
        """``/archive_reasons`` row → a rejection reason typed ``hired``/``non-hired``."""
        return RejectionReasonRecord(remote_id=str(raw["id"]), name=raw.get("text") or "",
                                     type_key=raw.get("type"), type_name=raw.get("status"))

    # ------------------------------------------------------------------ opportunities

    def expand_opportunity(self, client: ApiClient, raw: dict[str, Any]) -> dict[str, Any]:
        """Fetch what an opportunity only links to: feedback, resumes and files."""
        oid = str(raw["id"])
        if self._hired_reasons is None:
            self._hired_reasons = self._fetch_hired_reasons(client)
        return {**raw, "_hired_reasons": self._hired_reasons,
                "_feedback": _all_items(self.paginator.iter_pages(
                    client, f"opportunities/{oid}/feedback", {"limit": str(self.per_page)})),
                "_resumes": _unpaged(client, f"opportunities/{oid}/resumes"),
                "_files": _unpaged(client, f"opportunities/{oid}/files")}

    def to_opportunity(self, raw: dict[str, Any]) -> tuple[Record, ...]:
        """One opportunity → candidate, sources, application, stage history, cards, files."""
        candidate = self.to_candidate(raw)
        application = self.to_application(raw)
        sources = tuple(SourceRecord(remote_id=s, name=s) for s in application.source_remote_ids)
        hired = ()
        if application.status is ApplicationStatus.HIRED:
            hired = (OfferRecord(remote_id=f"{application.remote_id}:hired",
                                 application_remote_id=application.remote_id, accepted=True,
                                 resolved_at=application.rejected_at or
                                 from_ms((raw.get("archived") or {}).get("archivedAt"))),)
        return (candidate, *sources, application, *self._stage_events(raw, application),
                *hired, *self._scorecards(raw, application.remote_id),
                *self._attachments(raw, application.remote_id))

    def to_candidate(self, raw: dict[str, Any]) -> CandidateRecord:
        """The opportunity's contact details as one candidate record."""
        first, _, last = " ".join(str(raw.get("name") or "").split()).partition(" ")
        app = _application(raw)
        return CandidateRecord(
            remote_id=str(raw["id"]), first_name=first, last_name=last,
            company=app.get("company"), title=raw.get("headline") or None,
            location=_clean(raw.get("location")),
            anonymized=bool(raw.get("isAnonymized")),
            url=(raw.get("urls") or {}).get("show"),
            created_at=from_ms(raw.get("createdAt")), updated_at=from_ms(raw.get("updatedAt")),
            last_activity_at=from_ms(raw.get("lastInteractionAt")),
            emails=tuple(EmailValue(value=e) for e in raw.get("emails") or () if e),
            phones=tuple(PhoneValue(value=p["value"], type=p.get("type"))
                         for p in raw.get("phones") or () if p.get("value")),
            tags=tuple(str(t).strip() for t in raw.get("tags") or () if str(t).strip()),
        )

    def to_application(self, raw: dict[str, Any]) -> ApplicationRecord:
        """The opportunity's (at most one) application, with its outcome."""
        oid, app = str(raw["id"]), _application(raw)
        archived = raw.get("archived") or {}
        status, reason = self._status(raw, app)
        location = raw.get("opportunityLocation")
        return ApplicationRecord(
            remote_id=str(app.get("id") or oid), candidate_remote_id=oid,
            job_remote_id=remote_id(app.get("posting")) if status is not
            ApplicationStatus.PROSPECT else None,
            status=status, remote_status="archived" if archived else "active",
            current_stage_remote_id=remote_id(raw.get("stage")),
            rejection_reason_remote_id=reason,
            source_remote_ids=tuple(dict.fromkeys(
                str(s).strip() for s in raw.get("sources") or () if str(s).strip())),
            location=None if location in (None, "", NO_LOCATION) else location,
            url=(raw.get("urls") or {}).get("show"),
            applied_at=from_ms(app.get("createdAt") or raw.get("createdAt")),
            rejected_at=from_ms(archived.get("archivedAt")) if status is
            ApplicationStatus.CLOSED else None,
            last_activity_at=from_ms(raw.get("lastInteractionAt")),
            updated_at=from_ms(raw.get("updatedAt")),
        )

    def to_scorecard(self, form: dict[str, Any], application_id: str) -> ScorecardRecord:
        """A feedback form → ``ScorecardRecord`` (the overall rating mapped by its digit)."""
        rating = _overall_rating(form)
        completed = form.get("completedAt")
        if rating is not None:
            recommendation = RECOMMENDATION[rating]
        else:  # Lever has no "no decision": a completed form without a rating is one
            recommendation = Recommendation.NO_DECISION if completed else None
        return ScorecardRecord(
            remote_id=str(form["id"]), application_remote_id=application_id,
            interviewer_remote_id=remote_id(form.get("user")), recommendation=recommendation,
            status=ScorecardStatus.SUBMITTED if completed else ScorecardStatus.DRAFT,
            interviewed_at=from_ms(form.get("createdAt")), submitted_at=from_ms(completed),
            updated_at=from_ms(form.get("updatedAt")),
        )

    # ------------------------------------------------------------------ helpers

    def _status(self, raw: dict[str, Any], app: dict[str, Any]
                ) -> tuple[ApplicationStatus, str | None]:
        if not app or not app.get("posting"):
            return ApplicationStatus.PROSPECT, None  # a lead, or added without a job
        reason = remote_id((raw.get("archived") or {}).get("reason"))
        if not raw.get("archived"):
            return ApplicationStatus.OPEN, None
        if reason in (raw.get("_hired_reasons") or ()):
            return ApplicationStatus.HIRED, None
        return ApplicationStatus.CLOSED, reason

    def _stage_events(self, raw: dict[str, Any], app: ApplicationRecord
                      ) -> tuple[StageEventRecord, ...]:
        changes = sorted(raw.get("stageChanges") or (), key=lambda c: c.get("updatedAt") or 0)
        end = (raw.get("archived") or {}).get("archivedAt")
        exits = [c.get("updatedAt") for c in changes[1:]] + [end]
        return tuple(
            StageEventRecord(remote_id=f"{raw['id']}:{i}", application_remote_id=app.remote_id,
                             stage_remote_id=remote_id(change.get("toStageId")),
                             entered_at=from_ms(change.get("updatedAt")),
                             exited_at=from_ms(exit_at))
            for i, (change, exit_at) in enumerate(zip(changes, exits)))

    def _scorecards(self, raw: dict[str, Any], application_id: str
                    ) -> tuple[ScorecardRecord, ...]:
        # A deleted form is still listed, with ``deletedAt`` set.
        return tuple(self.to_scorecard(form, application_id)
                     for form in raw.get("_feedback") or () if not form.get("deletedAt"))

    def _attachments(self, raw: dict[str, Any], application_id: str
                     ) -> tuple[AttachmentRecord, ...]:
        oid = str(raw["id"])
        out = []
        for resume in raw.get("_resumes") or ():
            file = resume.get("file")
            if not file:  # parsed from an online profile: nothing to download
                continue
            out.append(AttachmentRecord(
                remote_id=str(resume["id"]), candidate_remote_id=oid,
                application_remote_id=application_id, filename=file.get("name") or "",
                type=RESUME_TYPE,
                download_url=f"opportunities/{oid}/resumes/{resume['id']}/download",
                created_at=from_ms(resume.get("createdAt")),
                updated_at=from_ms(file.get("uploadedAt") or resume.get("createdAt"))))
        for file in raw.get("_files") or ():
            out.append(AttachmentRecord(
                remote_id=str(file["id"]), candidate_remote_id=oid,
                application_remote_id=application_id, filename=file.get("name") or "",
                type="cover_letter" if COVER_LETTER.search(file.get("name") or "") else FILE_TYPE,
                download_url=f"opportunities/{oid}/files/{file['id']}/download",
                created_at=from_ms(file.get("uploadedAt")),
                updated_at=from_ms(file.get("uploadedAt"))))
        return tuple(out)

    def _fetch_hired_reasons(self, client: ApiClient) -> set[str]:
        pages = self.paginator.iter_pages(client, "archive_reasons", {"type": HIRED_REASON_TYPE})
        return {str(r["id"]) for r in _all_items(pages)
                if str(r.get("type") or HIRED_REASON_TYPE) == HIRED_REASON_TYPE}

    # ------------------------------------------------------------------ what to pull, in order

    resources = (
        Resource("users", "users", UserRecord, to_user, params={"includeDeactivated": "true"},
                 incremental=False),
        # Postings are few and their team decides who sees a confidential one: list them
        # all every run so a removed follower loses access at the next sync.
        Resource("postings", "postings", JobRecord, to_posting,
                 params={"confidentiality": "all"}, incremental=False,
                 also=(JobTeamMemberRecord,),
                 team_roles=frozenset({TeamRole.HIRING_MANAGER, TeamRole.RECRUITER,
                                       TeamRole.PERMISSION})),
        Resource("stages", "stages", StageRecord, to_stage, incremental=False),
        Resource("archive_reasons", "archive_reasons", RejectionReasonRecord, to_archive_reason,
                 incremental=False),
        Resource("opportunities", "opportunities", CandidateRecord, to_opportunity,
                 params={"expand": "applications", "confidentiality": "all"},
                 also=(ApplicationRecord, ScorecardRecord, AttachmentRecord),
                 expand=expand_opportunity),
    )


def to_ms(moment: datetime) -> int:
    """An aware datetime as Lever's epoch milliseconds."""
    return int(moment.astimezone(timezone.utc).timestamp() * 1000)


def from_ms(value: Any) -> datetime | None:
    """Lever's epoch milliseconds (int, or digits as a string) as an aware UTC datetime."""
    if value is None or value == "":
        return None
    return datetime.fromtimestamp(int(value) / 1000, tz=timezone.utc)


def _application(raw: dict[str, Any]) -> dict[str, Any]:
    apps = [a for a in raw.get("applications") or () if isinstance(a, dict)]
    if len(raw.get("applications") or ()) != len(apps):
        raise FatalSyncError("lever: opportunities were listed without expand=applications",
                             ats="lever")
    return apps[0] if apps else {}


def _overall_rating(form: dict[str, Any]) -> str | None:
    """The leading digit of the form's overall rating, or None when unanswered."""
    for field in form.get("fields") or ():
        value = field.get("value")
        overall = field.get("type") == "score-system" or field.get("overall") is True
        if isinstance(value, str) and (overall or field.get("type") == "score"):
            match = RATING.match(value)
            if match:
                return match.group(1)
    return None


def _clean(value: Any) -> str | None:
    text = " ".join(str(value or "").split())
    return text or None


def _all_items(pages: Any) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    for page in pages:
        if page.error is not None:
            raise page.error
        items.extend(page.items)
    return items


def _unpaged(client: ApiClient, path: str) -> list[dict[str, Any]]:
    """A per-opportunity list Lever does not paginate: ``{"data": [...]}`` or a bare array."""
    try:
        body = client.get_json(path).data
    except FatalSyncError as exc:
        if exc.status == 404:  # Lever may answer ResourceNotFound for "none"
            return []
        raise
    items = body.get("data") if isinstance(body, dict) else body
    return [i for i in items or () if isinstance(i, dict)]


__all__ = ["LeverAdapter", "from_ms", "to_ms"]
