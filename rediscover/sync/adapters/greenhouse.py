"""Greenhouse Harvest v3 adapter: which endpoints to read and how their rows map to records."""
from __future__ import annotations

import time
from datetime import datetime
from typing import TYPE_CHECKING, Any

from rediscover.core.enums import ApplicationStatus, Recommendation, ScorecardStatus, TeamRole
from rediscover.sync.adapters.base import (
    Adapter,
    Resource,
    format_datetime,
    parse_datetime,
    remote_id,
)
from rediscover.sync.errors import SkippedRecordError
from rediscover.sync.http import ApiClient, ClientCredentialsAuth, Clock, make_client
from rediscover.sync.records import (
    ApplicationRecord,
    AttachmentRecord,
    CandidateRecord,
    EmailValue,
    JobRecord,
    JobTeamMemberRecord,
    OfferRecord,
    PhoneValue,
    RejectionDetailRecord,
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

DEFAULT_BASE_URL = "https://harvest.greenhouse.io/v3"
DEFAULT_TOKEN_URL = "https://auth.greenhouse.io/token"
DEFAULT_APP_URL = "https://app.greenhouse.io"

# v3 spells "in process" as ``in_process``; v1 and the webhooks say ``active``.
# ``converted`` = a prospect application that was turned into a real application, which
# lives on as its own record; the converted shell is kept as a prospect so search ignores
# it instead of counting a phantom closed application.
APPLICATION_STATUS: dict[str, ApplicationStatus] = {
    "in_process": ApplicationStatus.OPEN,
    "active": ApplicationStatus.OPEN,
    "rejected": ApplicationStatus.CLOSED,
    "hired": ApplicationStatus.HIRED,
    "converted": ApplicationStatus.PROSPECT,
}
# v3 ``candidate_rating`` says ``strong_no`` where v1 said ``definitely_not``; accept both.
RECOMMENDATION: dict[str, Recommendation] = {
    "strong_yes": Recommendation.STRONG_YES,
    "yes": Recommendation.YES,
    "no": Recommendation.NO,
    "strong_no": Recommendation.STRONG_NO,
    "definitely_not": Recommendation.STRONG_NO,
    "no_decision": Recommendation.NO_DECISION,
    "mixed": Recommendation.NO_DECISION,
}
SCORECARD_STATUS: dict[str, ScorecardStatus] = {
    "complete": ScorecardStatus.SUBMITTED,
    "submitted": ScorecardStatus.SUBMITTED,
    "draft": ScorecardStatus.DRAFT,
}
OWNER_ROLE: dict[str, TeamRole] = {
    "recruiter": TeamRole.RECRUITER,
    "coordinator": TeamRole.COORDINATOR,
    "sourcer": TeamRole.SOURCER,
}
ANONYMIZED_FIRST_NAME = "Anonymized"
NOTE_FIELD_TYPES = ("long_text", "short_text", "rich_text")

HINTS = {
    403: "check that the OAuth client has the harvest:{resource}:list scope and that the acting "
         "user (credentials user_id) may read it; Harvest may require a Site Admin",
    404: "check the connection's base URL (Harvest v3 is https://harvest.greenhouse.io/v3)",
}


# A targeted re-read (a webhook said these candidates changed): which v3 id-list filter
# selects each resource's rows of those candidates. Reference data is left to the syncs.
TARGET_FILTERS = {
    "candidates": "ids", "applications": "candidate_ids", "attachments": "candidate_ids",
    "rejection_details": "application_ids", "application_stages": "application_ids",
    "scorecards": "application_ids", "offers": "application_ids",
}
MAX_IDS_PER_FILTER = 50  # v3 caps every *_ids filter at 50 ids

class GreenhouseAdapter(Adapter):
    """Greenhouse Harvest v3: OAuth client credentials, cursor pages, ``updated_at`` windows.

    Docs: https://harvestdocs.greenhouse.io/docs/overview-and-philosophy (pagination:
    /docs/pagination, auth: /docs/authentication, list endpoints: /docs/list-endpoints);
    shapes as in Airbyte ``source-greenhouse`` 1.x ``manifest.yaml``. v3 pages by id
    descending, so every incremental request sends a two-sided ``updated_at`` window.
    """

    ats = "greenhouse"
    default_base_url = DEFAULT_BASE_URL
    required_credentials = ("client_id", "client_secret", "user_id")
    DEFAULT_PER_PAGE = 500
    MAX_PER_PAGE = 500
    WINDOW_SECONDS = 30.0

    @property
    def token_url(self) -> str:
        """Where client credentials are exchanged for a bearer token."""
        return self.config.token_url or DEFAULT_TOKEN_URL

    @property
    def app_url(self) -> str:
        """Root of the Greenhouse web app, for links back to records."""
        return str(self.config.settings.get("app_url") or DEFAULT_APP_URL).rstrip("/")

    def make_client(
        self,
        *,
        transport: httpx.BaseTransport | None = None,
        clock: Clock = time.time,
        sleep: Sleep = time.sleep,
        retry: RetryPolicy | None = None,
    ) -> ApiClient:
        """An ``ApiClient`` authenticating with OAuth client credentials (``sub`` = user id)."""
        creds = self.config.credentials
        auth = ClientCredentialsAuth(
            self.token_url, str(creds["client_id"]), str(creds["client_secret"]),
            ats=self.ats, form={"sub": str(creds["user_id"])}, clock=clock,
        )
        return make_client(
            ats=self.ats, base_url=self.base_url, auth=auth, timeout=self.timeout,
            retry=retry or self.retry_policy, window_seconds=self.WINDOW_SECONDS, hints=HINTS,
            transport=transport, clock=clock, sleep=sleep,
        )

    def window_params(self, start: datetime, end: datetime) -> dict[str, str]:
        """``updated_at=gte|<start>|lte|<end>`` (httpx encodes the pipes as %7C)."""
        return {"updated_at": f"gte|{format_datetime(start)}|lte|{format_datetime(end)}"}

    # ------------------------------------------------------------------ to_record hooks

    def to_user(self, raw: dict[str, Any]) -> UserRecord:
        """``/v3/users`` row → ``UserRecord``."""
        name = raw.get("name") or " ".join(
            p for p in (raw.get("first_name"), raw.get("last_name")) if p)
        return UserRecord(
            remote_id=str(raw["id"]), name=name or "", email=raw.get("primary_email"),
            site_admin=bool(raw.get("site_admin")), deactivated=bool(raw.get("deactivated")),
        )

    def to_job(self, raw: dict[str, Any]) -> JobRecord:
        """``/v3/jobs`` row → ``JobRecord``."""
        return JobRecord(
            remote_id=str(raw["id"]), title=raw.get("name") or "",
            requisition_id=raw.get("requisition_id"), status=raw.get("status"),
            confidential=bool(raw.get("confidential")),
            opened_at=parse_datetime(raw.get("opened_at")),
            closed_at=parse_datetime(raw.get("closed_at")),
            updated_at=parse_datetime(raw.get("updated_at")),
        )

    def to_stage(self, raw: dict[str, Any]) -> StageRecord:
        """``/v3/job_interview_stages`` row → ``StageRecord``."""
        order = raw.get("sort_order", raw.get("priority"))
        return StageRecord(
            remote_id=str(raw["id"]), job_remote_id=remote_id(raw.get("job_id")),
            name=raw.get("name") or "", sort_order=int(order or 0),
            active=raw.get("active", True) is not False,
        )

    def to_hiring_manager(self, raw: dict[str, Any]) -> JobTeamMemberRecord:
        """``/v3/job_hiring_managers`` row → a hiring-manager team member."""
        return JobTeamMemberRecord(job_remote_id=str(raw["job_id"]),
                                   user_remote_id=str(raw["user_id"]),
                                   role=TeamRole.HIRING_MANAGER)

    def to_owner(self, raw: dict[str, Any]) -> JobTeamMemberRecord:
        """``/v3/job_owners`` row → a recruiter / coordinator / sourcer team member."""
        role = OWNER_ROLE.get(str(raw.get("type") or "").lower())
        if role is None:
            raise self._skip("job_owners", raw, f"job owner type {raw.get('type')!r} is not "
                                                f"one of {', '.join(OWNER_ROLE)}")
        return JobTeamMemberRecord(job_remote_id=str(raw["job_id"]),
                                   user_remote_id=str(raw["user_id"]), role=role)

    def to_permission(self, raw: dict[str, Any]) -> JobTeamMemberRecord:
        """``/v3/user_job_permissions`` row → a per-job-permission team member."""
        return JobTeamMemberRecord(job_remote_id=str(raw["job_id"]),
                                   user_remote_id=str(raw["user_id"]), role=TeamRole.PERMISSION)

    def to_rejection_reason(self, raw: dict[str, Any]) -> RejectionReasonRecord:
        """``/v3/rejection_reasons`` row → ``RejectionReasonRecord``."""
        kind = raw.get("type") or {}
        return RejectionReasonRecord(remote_id=str(raw["id"]), name=raw.get("name") or "",
                                     type_key=kind.get("key"), type_name=kind.get("name"))

    def to_source(self, raw: dict[str, Any]) -> SourceRecord:
        """``/v3/sources`` row → ``SourceRecord``."""
        kind = raw.get("type") or {}
        return SourceRecord(remote_id=str(raw["id"]), name=raw.get("name") or "",
                            type_name=kind.get("name"))

    def to_candidate(self, raw: dict[str, Any]) -> CandidateRecord:
        """``/v3/candidates`` row → ``CandidateRecord`` (anonymised ones marked)."""
        rid = str(raw["id"])
        first, last = raw.get("first_name") or "", raw.get("last_name") or ""
        return CandidateRecord(
            remote_id=rid, first_name=first, last_name=last,
            company=raw.get("company"), title=raw.get("title"),
            location=_first_value(raw.get("addresses")),
            is_private=bool(raw.get("private", raw.get("is_private", False))),
            can_email=raw.get("can_email", True) is not False,
            anonymized=first == ANONYMIZED_FIRST_NAME and last == rid,
            url=f"{self.app_url}/people/{rid}",
            created_at=parse_datetime(raw.get("created_at")),
            updated_at=parse_datetime(raw.get("updated_at")),
            last_activity_at=parse_datetime(raw.get("last_activity_at")),
            emails=tuple(EmailValue(value=e["value"], type=e.get("type"))
                         for e in raw.get("email_addresses") or () if e.get("value")),
            phones=tuple(PhoneValue(value=p["value"], type=p.get("type"))
                         for p in raw.get("phone_numbers") or () if p.get("value")),
            tags=tuple(_tag_name(t) for t in raw.get("tags") or () if _tag_name(t)),
        )

    def to_application(self, raw: dict[str, Any]) -> ApplicationRecord:
        """``/v3/applications`` row → ``ApplicationRecord`` (status mapped)."""
        rid, cid = str(raw["id"]), str(raw["candidate_id"])
        return ApplicationRecord(
            remote_id=rid, candidate_remote_id=cid, job_remote_id=remote_id(raw.get("job_id")),
            status=self._application_status(raw), remote_status=raw.get("status"),
            current_stage_remote_id=remote_id(raw.get("job_interview_stage_id")
                                              or raw.get("stage_id")),
            current_stage_name=raw.get("stage_name"),
            rejection_reason_remote_id=remote_id(raw.get("rejection_reason_id")),
            source_remote_ids=(str(raw["source_id"]),) if raw.get("source_id") else (),
            location=raw.get("location_address"),
            url=f"{self.app_url}/people/{cid}/applications/{rid}",
            applied_at=parse_datetime(raw.get("applied_at") or raw.get("created_at")),
            rejected_at=parse_datetime(raw.get("rejected_at")),
            last_activity_at=parse_datetime(raw.get("last_activity_at")),
            updated_at=parse_datetime(raw.get("updated_at")),
        )

    def to_rejection_detail(self, raw: dict[str, Any]) -> RejectionDetailRecord:
        """``/v3/rejection_details`` row → the team's rejection note."""
        fields = raw.get("question_custom_fields") or {}
        notes = [str(f["value"]).strip() for f in fields.values()
                 if isinstance(f, dict) and f.get("type") in NOTE_FIELD_TYPES and f.get("value")]
        return RejectionDetailRecord(
            application_remote_id=str(raw["application_id"]),
            rejection_reason_remote_id=remote_id(raw.get("rejection_reason_id")),
            rejected_at=parse_datetime(raw.get("rejected_at")),
            note="\n".join(notes) or None,
        )

    def to_stage_event(self, raw: dict[str, Any]) -> StageEventRecord:
        """``/v3/application_stages`` row → ``StageEventRecord``."""
        return StageEventRecord(
            remote_id=str(raw["id"]), application_remote_id=str(raw["application_id"]),
            stage_remote_id=remote_id(raw.get("job_interview_stage_id")),
            entered_at=parse_datetime(raw.get("entered_at")),
            exited_at=parse_datetime(raw.get("exited_at")),
        )

    def to_scorecard(self, raw: dict[str, Any]) -> ScorecardRecord:
        """``/v3/scorecards`` row → ``ScorecardRecord`` (rating and status mapped)."""
        rating, status = raw.get("candidate_rating"), str(raw.get("status") or "").lower()
        if rating is not None and rating not in RECOMMENDATION:
            raise self._skip("scorecards", raw, f"unknown candidate_rating {rating!r}")
        if status not in SCORECARD_STATUS:
            raise self._skip("scorecards", raw, f"unknown scorecard status {status!r}")
        return ScorecardRecord(
            remote_id=str(raw["id"]), application_remote_id=str(raw["application_id"]),
            interviewer_remote_id=remote_id(raw.get("interviewer_id") or raw.get("submitter_id")),
            recommendation=RECOMMENDATION[rating] if rating is not None else None,
            status=SCORECARD_STATUS[status],
            interviewed_at=parse_datetime(raw.get("interviewed_at")),
            submitted_at=parse_datetime(raw.get("submitted_at")),
            updated_at=parse_datetime(raw.get("updated_at")),
        )

    def to_attachment(self, raw: dict[str, Any]) -> AttachmentRecord:
        """``/v3/attachments`` row → ``AttachmentRecord`` with its download link."""
        return AttachmentRecord(
            remote_id=str(raw["id"]), candidate_remote_id=str(raw["candidate_id"]),
            application_remote_id=remote_id(raw.get("application_id")),
            filename=raw.get("filename") or "", type=raw.get("type"),
            download_url=raw.get("url"),
            created_at=parse_datetime(raw.get("created_at")),
            updated_at=parse_datetime(raw.get("updated_at")),
        )

    def to_offer(self, raw: dict[str, Any]) -> OfferRecord:
        """``/v3/offers`` row → ``OfferRecord`` (accepted or not)."""
        return OfferRecord(
            remote_id=str(raw["id"]), application_remote_id=str(raw["application_id"]),
            accepted=str(raw.get("status") or "").lower() == "accepted",
            resolved_at=parse_datetime(raw.get("resolved_at")),
        )

    # ------------------------------------------------------------------ helpers

    def _application_status(self, raw: dict[str, Any]) -> ApplicationStatus:
        if raw.get("prospect"):
            return ApplicationStatus.PROSPECT
        status = APPLICATION_STATUS.get(str(raw.get("status") or "").lower())
        if status is None:
            raise self._skip("applications", raw,
                             f"unknown application status {raw.get('status')!r}")
        return status

    def target_params(self, resource: Resource, candidate_ids: list[str],
                      application_ids: list[str]) -> list[dict[str, str]] | None:
        """v3 id-list filters for a targeted re-read (at most ``MAX_IDS_PER_FILTER`` each)."""
        name = TARGET_FILTERS.get(resource.name)
        if name is None:
            return None
        ids = application_ids if name == "application_ids" else candidate_ids
        if not ids:
            return None
        return [{name: ",".join(ids[i:i + MAX_IDS_PER_FILTER])}
                for i in range(0, len(ids), MAX_IDS_PER_FILTER)]

    def _skip(self, resource: str, raw: dict[str, Any], why: str) -> SkippedRecordError:
        return SkippedRecordError(f"{self.ats}: {resource} {raw.get('id')}: {why}",
                                  resource=resource, remote_id=remote_id(raw.get("id")))

    # ------------------------------------------------------------------ what to pull, in order
    # Parents before children (users and jobs before teams, candidates before applications,
    # applications before their history, cards and files), so references resolve.

    resources = (
        Resource("users", "users", UserRecord, to_user,
                 params={"show_service_accounts": "true"}),
        Resource("jobs", "jobs", JobRecord, to_job),
        Resource("job_interview_stages", "job_interview_stages", StageRecord, to_stage),
        # Team listings are read in full every run: v3 has no deletion feed, and a member
        # removed from a confidential job must lose access at the next sync.
        Resource("job_hiring_managers", "job_hiring_managers", JobTeamMemberRecord,
                 to_hiring_manager, incremental=False,
                 team_roles=frozenset({TeamRole.HIRING_MANAGER})),
        Resource("job_owners", "job_owners", JobTeamMemberRecord, to_owner, incremental=False,
                 team_roles=frozenset(OWNER_ROLE.values())),
        Resource("user_job_permissions", "user_job_permissions", JobTeamMemberRecord,
                 to_permission, incremental=False, team_roles=frozenset({TeamRole.PERMISSION})),
        Resource("rejection_reasons", "rejection_reasons", RejectionReasonRecord,
                 to_rejection_reason, params={"include_defaults": "true"}),
        Resource("sources", "sources", SourceRecord, to_source),
        Resource("candidates", "candidates", CandidateRecord, to_candidate),
        Resource("applications", "applications", ApplicationRecord, to_application),
        Resource("rejection_details", "rejection_details", RejectionDetailRecord,
                 to_rejection_detail),
        Resource("application_stages", "application_stages", StageEventRecord, to_stage_event),
        Resource("scorecards", "scorecards", ScorecardRecord, to_scorecard),
        Resource("attachments", "attachments", AttachmentRecord, to_attachment),
        Resource("offers", "offers", OfferRecord, to_offer),
    )


def _first_value(items: Any) -> str | None:
    for item in items or ():
        value = item.get("value") if isinstance(item, dict) else item
        if value:
            return str(value)
    return None


def _tag_name(tag: Any) -> str:
    name = tag.get("name") if isinstance(tag, dict) else tag
    return str(name or "").strip()
