"""SAP SuccessFactors Recruiting (OData v2) adapter: entity sets to read and rows to records.

Docs: https://help.sap.com/docs/SAP_SUCCESSFACTORS_PLATFORM/d599f15995d348a1b45ba5603e2aba9b
(OData v2 API reference) and the RCM entities on api.sap.com (RCMCandidate, RCMJobApplication,
RCMJobRequisition); facts as summarised in ``shared/ats/successfactors.md``.

What differs from Greenhouse, and why:

- Pages come in the body (``d.__next`` with an opaque ``$skiptoken``), server "snapshot"
  paging with ``customPageSize`` (max 1,000).
- Incremental reads filter the root entity on ``lastModifiedDateTime`` (Edm.DateTimeOffset).
  ``JobApplicationStatus`` has no timestamp and ``JobApplicationInterview`` none in the
  standard metadata, so both are listed in full every run.
- There is no rejection-reason entity: the disqualified status an application ends in is its
  reason (free text in ``statusComments``). Status history comes expanded with each
  application (``$expand=jobApplicationStatusAuditTrail/jobAppStatus``), so one application
  row gives the application, its reason, its source and its stage events.
- Location: the candidate's own ``city``/``country`` (the application's ``currentLocation``
  is kept on the application); the tenant-added location field of the most recent outside
  work entry goes to ``work_location``, which the indexer uses only when neither says
  anything, and then marks the location derived.
- Resumes are ``Attachment`` entities: listed without their content, then each one read with
  its base64 ``fileContent`` (``expand_attachment``) through the client's retry loop, so a
  garbled body is retried, and one still unreadable is recorded and read again next sync.
  A full listing reads every file again (SF has no cheaper way to tell a file changed than
  its ``lastModifiedDateTime``, which the incremental window already uses).
- No targeted re-reads (``target_params``): they serve the Greenhouse webhook receiver, and
  SuccessFactors has no documented RCM webhook (brief §9); incremental windows catch up.
"""
from __future__ import annotations

import base64
import binascii
import re
import time
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any

from rediscover.core.enums import ApplicationStatus, Recommendation, ScorecardStatus
from rediscover.mappings.stages import SUCCESSFACTORS_DISQUALIFIED, stage_key
from rediscover.sync.adapters.base import Adapter, Resource, format_datetime, parse_datetime
from rediscover.sync.errors import FatalSyncError, SkippedRecordError
from rediscover.sync.http import ApiClient, Clock, SamlBearerAuth, basic_auth, make_client
from rediscover.sync.pagination import ODataPaginator
from rediscover.sync.records import (
    ApplicationRecord,
    AttachmentRecord,
    CandidateRecord,
    EmailValue,
    JobRecord,
    OfferRecord,
    PhoneValue,
    Record,
    RejectionDetailRecord,
    RejectionReasonRecord,
    ScorecardRecord,
    SourceRecord,
    StageEventRecord,
    StageRecord,
)
from rediscover.sync.retry import RetryPolicy, Sleep

if TYPE_CHECKING:
    import httpx

DEFAULT_BASE_URL = "https://api4.successfactors.com/odata/v2"
# /Date(<ms>)/ or /Date(<ms>+0060)/: the ms are UTC; the suffix is an offset in minutes that
# only says which zone the value was entered in.
ODATA_DATE = re.compile(r"^/Date\((-?\d+)(?:[+-]\d{1,4})?\)/$")
# 9999-12-31 stands for "no end" (open-ended background entries, Foundation Objects).
END_OF_TIME = datetime(9999, 12, 31, tzinfo=timezone.utc)
EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
# System status of a JobApplication (KBA 2541688): text in responses, a code in filters.
SYSTEM_STATUS: dict[str, ApplicationStatus] = {
    "open": ApplicationStatus.OPEN, "0": ApplicationStatus.OPEN,
    "disqualified": ApplicationStatus.CLOSED, "1": ApplicationStatus.CLOSED,
    "closed": ApplicationStatus.CLOSED, "2": ApplicationStatus.CLOSED,
    "withdraw": ApplicationStatus.CLOSED, "3": ApplicationStatus.CLOSED,
    # Saved, not applied and draft applications never reached the pipeline.
    "saved": ApplicationStatus.PROSPECT, "4": ApplicationStatus.PROSPECT,
    "non applied": ApplicationStatus.PROSPECT, "5": ApplicationStatus.PROSPECT,
    "draft application": ApplicationStatus.PROSPECT, "6": ApplicationStatus.PROSPECT,
}
# System statuses set when an application moves to a disqualified pipeline status (1811+).
DISQUALIFYING = frozenset({"disqualified", "1", "withdraw", "3"})
# Interview ratings are 1..5 in the standard rating scale; 3 is the undecided middle.
RATING: dict[int, Recommendation] = {
    1: Recommendation.STRONG_NO, 2: Recommendation.NO, 3: Recommendation.NO_DECISION,
    4: Recommendation.YES, 5: Recommendation.STRONG_YES,
}
COMPLETED_INTERVIEW = "completed"
DOCUMENT_TYPE = {"resume": "resume", "cover_letter": "cover_letter", "coverletter": "cover_letter",
                 "offer_letter": "offer_letter", "signed_offer_letter": "offer_letter"}
# A tenant-added location on CandidateBackground_OutsideWorkExperience (no standard field).
DEFAULT_WORK_LOCATION_FIELD = "custLocation"
ATTACHMENT_FIELDS = ("attachmentId,fileName,fileExtension,mimeType,fileSize,documentEntityId,"
                     "documentEntityType,documentType,createdDate,lastModifiedDateTime")

HINTS = {
    401: "SuccessFactors refused the credentials even after a token refresh: check company_id, "
         "client_id, user_id and the private key registered for the OAuth client (or the "
         "Basic user and password)",
    403: "the API user's role-based permissions may not read {resource}: grant it in Role-Based "
         "Permissions (Recruiting candidates, applications and requisitions; interview "
         "scheduling for scorecards; attachments for resumes)",
    404: "check the connection's base URL: the data centre's API server ending in /odata/v2 "
         "(e.g. https://api4.successfactors.com/odata/v2), not the web host",
}


class SuccessFactorsAdapter(Adapter):
    """SAP SuccessFactors Recruiting over OData v2: SAML-bearer OAuth or Basic auth."""

    ats = "successfactors"
    default_base_url = DEFAULT_BASE_URL
    paginator = ODataPaginator()
    required_credentials = ("company_id",)
    page_size_param = "customPageSize"
    DEFAULT_PER_PAGE = 1000
    MAX_PER_PAGE = 1000  # the server caps a page at 1,000 records

    def __init__(self, config: Any) -> None:
        super().__init__(config)
        creds = config.credentials
        if not (creds.get("username") and creds.get("password")) and not all(
                creds.get(k) for k in ("client_id", "user_id", "private_key")):
            raise FatalSyncError(
                f"{self.ats}: connection {config.name!r} needs either OAuth (client_id, user_id, "
                f"private_key) or Basic (username, password) credentials with company_id",
                ats=self.ats)
        extra = config.settings.get("disqualified_statuses") or ()
        self.disqualified = SUCCESSFACTORS_DISQUALIFIED | {stage_key(str(n)) for n in extra}
        self.work_location_field = str(config.settings.get("work_location_field")
                                       or DEFAULT_WORK_LOCATION_FIELD)

    @property
    def api_root(self) -> str:
        """The API server's root (``…/odata/v2`` stripped): where ``/oauth/*`` lives."""
        return re.sub(r"/odata/v2$", "", self.base_url)

    def make_client(
        self,
        *,
        transport: httpx.BaseTransport | None = None,
        clock: Clock = time.time,
        sleep: Sleep = time.sleep,
        retry: RetryPolicy | None = None,
    ) -> ApiClient:
        """An ``ApiClient`` with SAML-bearer OAuth (or Basic ``user@company`` when given)."""
        return make_client(
            ats=self.ats, base_url=self.base_url, auth=self._auth(clock), timeout=self.timeout,
            retry=retry or self.retry_policy, hints=HINTS, transport=transport, clock=clock,
            sleep=sleep,
        )

    def _auth(self, clock: Clock) -> httpx.Auth:
        creds = self.config.credentials
        if creds.get("client_id") and creds.get("private_key"):
            token_url = self.config.token_url or f"{self.api_root}/oauth/token"
            return SamlBearerAuth(
                token_url, f"{token_url.rsplit('/', 1)[0]}/idp", client_id=str(creds["client_id"]),
                company_id=str(creds["company_id"]), user_id=str(creds["user_id"]),
                private_key=str(creds["private_key"]), ats=self.ats, clock=clock)
        # Basic is still accepted by SF but SAP steers integrations to OAuth.
        return basic_auth(f"{creds['username']}@{creds['company_id']}", str(creds["password"]))

    def window_params(self, start: datetime, end: datetime) -> dict[str, str]:
        """``$filter`` on the root entity's ``lastModifiedDateTime`` (Edm.DateTimeOffset)."""
        return {"$filter": f"lastModifiedDateTime ge datetimeoffset'{format_datetime(start)}' "
                           f"and lastModifiedDateTime le datetimeoffset'{format_datetime(end)}'"}

    def first_params(self, resource: Resource, start: datetime, end: datetime) -> dict[str, str]:
        """JSON, snapshot paging at our page size, the resource's options and the window."""
        params = {"$format": "json", "paging": "snapshot", **resource.params,
                  self.page_size_param: str(self.per_page)}
        if resource.incremental:
            window = self.window_params(start, end)["$filter"]
            own = params.get("$filter")
            params["$filter"] = f"{own} and {window}" if own else window
        return params

    def expand_attachment(self, client: ApiClient, raw: dict[str, Any]) -> dict[str, Any]:
        """Read the attachment's ``fileContent`` (base64) inside the client's retry loop."""
        if not self.download_attachments:
            return raw
        aid = str(raw["attachmentId"])
        try:
            entity = client.get_json(f"Attachment({aid}L)", expect=dict, params={
                "$format": "json", "$select": "fileContent,mimeType"}).data.get("d")
        except FatalSyncError as exc:
            if exc.status != 404:
                raise
            raise SkippedRecordError(  # deleted between the listing and this read
                f"{self.ats}: attachment {aid} is gone ({exc.message})", resource="attachments",
                remote_id=aid, reread=True) from None
        return {**raw, "_file": entity if isinstance(entity, dict) else {}}

    # ------------------------------------------------------------------ to_record hooks

    def to_job(self, raw: dict[str, Any]) -> JobRecord:
        """``JobRequisition`` (with ``jobReqLocale``) → ``JobRecord``; the title is localised."""
        locales = _results(raw.get("jobReqLocale"))
        title = next((x.get("jobTitle") for x in locales if x.get("jobTitle")), "")
        deleted = str(raw.get("deleted") or "").lower() == "true"
        return JobRecord(
            remote_id=str(raw["jobReqId"]), title=title or "",
            requisition_id=raw.get("jobCode") or str(raw["jobReqId"]),
            status="deleted" if deleted else _lower(raw.get("internalStatus")),
            opened_at=parse_odata_date(raw.get("createdDateTime")),
            closed_at=parse_odata_date(raw.get("closedDateTime")),
            updated_at=parse_odata_date(raw.get("lastModifiedDateTime")),
        )

    def to_status(self, raw: dict[str, Any]) -> StageRecord | RejectionReasonRecord:
        """``JobApplicationStatus`` → a stage, or a reason when it is a disqualified status.

        Statuses belong to status sets shared by requisitions, so stages are not tied to one
        job; their order is the status id's (SF does not expose the configured order).
        """
        sid, name = str(raw["appStatusId"]), str(raw.get("appStatusName") or "")
        if stage_key(name) in self.disqualified:
            return RejectionReasonRecord(remote_id=sid, name=name)
        return StageRecord(remote_id=sid, job_remote_id=None, name=name,
                           sort_order=_int(sid), active=True)

    def to_candidate(self, raw: dict[str, Any]) -> CandidateRecord:
        """``Candidate`` (with ``tags`` and ``outsideWorkExperience``) → ``CandidateRecord``."""
        work = _newest_work(_results(raw.get("outsideWorkExperience")))
        present = work if work and str(work.get("presentEmployer")).lower() == "true" else None
        return CandidateRecord(
            remote_id=str(raw["candidateId"]),
            first_name=raw.get("firstName") or "", last_name=raw.get("lastName") or "",
            company=raw.get("currentCompany") or (present or {}).get("employer"),
            title=raw.get("currentTitle"), location=_join(raw.get("city"), raw.get("country")),
            work_location=_clean((work or {}).get(self.work_location_field)),
            is_private=raw.get("visibilityOption") is False
            or str(raw.get("shareProfile")).lower() == "false",
            anonymized=str(raw.get("anonymized") or "0") not in ("0", "false"),
            created_at=parse_odata_date(raw.get("creationDateTime")),
            updated_at=parse_odata_date(raw.get("lastModifiedDateTime")),
            last_activity_at=parse_odata_date(raw.get("lastModifiedDateTime")),
            emails=_emails(raw), phones=_phones(raw),
            tags=tuple(t["label"].strip() for t in _results(raw.get("tags"))
                       if (t.get("label") or "").strip()),
        )

    def to_application(self, raw: dict[str, Any]) -> tuple[Record, ...]:
        """``JobApplication`` (with its status and audit trail) → its records, parents first.

        A disqualified or withdrawn application's last status is its rejection reason, not a
        stage it reached; its furthest stage is the last status before that one. A ``Closed``
        one (its requisition closed) stays in its pipeline status and has no reason.
        """
        rid = str(raw["applicationId"])
        system = _lower(raw.get("status")) or ""
        status = self._status(raw, system)
        trail = sorted(_results(raw.get("jobApplicationStatusAuditTrail")),
                       key=lambda r: (parse_odata_date(r.get("createdDateTime")) or EPOCH,
                                      _int(r.get("revNumber"))))
        current = raw.get("jobAppStatus") or {}
        reason = self._reason(status, system, current)
        if reason and trail and _status_id(trail[-1]) == reason.remote_id:
            trail = trail[:-1]
        events = self._stage_events(rid, trail)
        source = _source(raw)
        stage = events[-1] if reason and events else None
        modified = parse_odata_date(raw.get("lastModifiedDateTime"))
        application = ApplicationRecord(
            remote_id=rid, candidate_remote_id=str(raw["candidateId"]),
            job_remote_id=_str(raw.get("jobReqId")), status=status, remote_status=raw.get("status"),
            current_stage_remote_id=stage.stage_remote_id if stage else (
                _str(current.get("appStatusId")) if status is not ApplicationStatus.PROSPECT
                else None),
            current_stage_name=stage.stage_name if stage else current.get("appStatusName"),
            rejection_reason_remote_id=reason.remote_id if reason else None,
            source_remote_ids=(source.remote_id,) if source else (),
            location=(_clean(raw.get("currentLocation"))
                      or _join(raw.get("city"), raw.get("country"))),
            applied_at=parse_odata_date(raw.get("applicationDate")),
            rejected_at=self._rejected_at(raw, reason, modified),
            last_activity_at=modified, updated_at=modified,
        )
        parents = tuple(r for r in (source, reason) if r)
        return (*parents, application, *self._outcome(raw, reason), *events)

    def to_scorecard(self, raw: dict[str, Any]) -> ScorecardRecord:
        """``JobApplicationInterview`` (with its overall assessment) → one ``ScorecardRecord``."""
        assessment = next(iter(_results(raw.get("interviewOverallAssessment"))), None)
        rating = _rating(assessment)
        done = _lower(raw.get("status")) == COMPLETED_INTERVIEW and rating is not None
        interviewer = raw.get("interviewer") or {}
        when = parse_odata_date(raw.get("startDate"))
        return ScorecardRecord(
            remote_id=str(raw["applicationInterviewId"]),
            application_remote_id=str(raw["applicationId"]),
            interviewer_remote_id=_str(interviewer.get("userId")),
            recommendation=rating if done else None,
            status=ScorecardStatus.SUBMITTED if done else ScorecardStatus.DRAFT,
            interviewed_at=when,
            submitted_at=parse_odata_date(raw.get("endDate")) if done else None,
        )

    def to_attachment(self, raw: dict[str, Any]) -> AttachmentRecord:
        """``Attachment`` metadata and, when read, its decoded ``fileContent``."""
        aid = str(raw["attachmentId"])
        kind = _lower(raw.get("documentType")) or ""
        file = raw.get("_file")
        content = None
        if file and file.get("fileContent") is not None:
            try:
                content = base64.b64decode(file["fileContent"], validate=True)
            except (binascii.Error, ValueError):
                raise SkippedRecordError(
                    f"{self.ats}: attachment {aid}: fileContent is not base64",
                    resource="attachments", remote_id=aid, reread=True) from None
        return AttachmentRecord(
            remote_id=aid, candidate_remote_id=str(raw["documentEntityId"]),
            filename=raw.get("fileName") or "", type=DOCUMENT_TYPE.get(kind, kind or None),
            content=content, content_type=(file or {}).get("mimeType") or raw.get("mimeType"),
            created_at=parse_odata_date(raw.get("createdDate")),
            updated_at=parse_odata_date(raw.get("lastModifiedDateTime")),
        )

    # ------------------------------------------------------------------ helpers

    def _status(self, raw: dict[str, Any], system: str) -> ApplicationStatus:
        if raw.get("hiredOn") or raw.get("candTypeWhenHired"):
            return ApplicationStatus.HIRED
        status = SYSTEM_STATUS.get(system)
        if status is None:
            raise SkippedRecordError(
                f"{self.ats}: application {raw.get('applicationId')}: unknown system status "
                f"{raw.get('status')!r}", resource="applications",
                remote_id=_str(raw.get("applicationId")))
        if not raw.get("jobReqId"):
            return ApplicationStatus.PROSPECT
        return status

    def _reason(self, status: ApplicationStatus, system: str,
                current: dict[str, Any]) -> RejectionReasonRecord | None:
        """The disqualified status a closed application sits in, as its rejection reason."""
        name = str(current.get("appStatusName") or "")
        if status is not ApplicationStatus.CLOSED or not current.get("appStatusId") or (
                system not in DISQUALIFYING and stage_key(name) not in self.disqualified):
            return None
        # No reason type: SF says who ended it per application (system status), not per
        # status, and the same record comes from two places that must agree.
        return RejectionReasonRecord(remote_id=str(current["appStatusId"]), name=name)

    @staticmethod
    def _outcome(raw: dict[str, Any], reason: RejectionReasonRecord | None) -> list[Record]:
        """The hire date (kept as an accepted offer) or the rejection note."""
        rid, out = str(raw["applicationId"]), []
        hired_on = parse_odata_date(raw.get("hiredOn"))
        if hired_on:
            out.append(OfferRecord(remote_id=f"hired-{rid}", application_remote_id=rid,
                                   accepted=True, resolved_at=hired_on))
        if reason:
            out.append(RejectionDetailRecord(
                application_remote_id=rid, rejection_reason_remote_id=reason.remote_id,
                note=_clean(raw.get("statusComments"))))
        return out

    def _stage_events(self, app_id: str, trail: list[dict[str, Any]]) -> list[StageEventRecord]:
        events = []
        for i, row in enumerate(trail):
            status = row.get("jobAppStatus") or {}
            leaves = trail[i + 1].get("createdDateTime") if i + 1 < len(trail) else None
            events.append(StageEventRecord(
                remote_id=str(row["revNumber"]), application_remote_id=app_id,
                stage_remote_id=_str(status.get("appStatusId")),
                stage_name=status.get("appStatusName"),
                entered_at=parse_odata_date(row.get("createdDateTime")),
                exited_at=parse_odata_date(leaves)))
        return events

    @staticmethod
    def _rejected_at(raw: dict[str, Any], reason: RejectionReasonRecord | None,
                     modified: datetime | None) -> datetime | None:
        if reason is None:
            return None
        trail = _results(raw.get("jobApplicationStatusAuditTrail"))
        ends = [parse_odata_date(r.get("createdDateTime")) for r in trail
                if _status_id(r) == reason.remote_id]
        return max((e for e in ends if e), default=modified)

    # ------------------------------------------------------------------ what to pull, in order

    resources = (
        Resource("jobs", "JobRequisition", JobRecord, to_job,
                 params={"$expand": "jobReqLocale"}, key="jobReqId"),
        Resource("statuses", "JobApplicationStatus", StageRecord, to_status, incremental=False,
                 also=(RejectionReasonRecord,), key="appStatusId"),
        Resource("candidates", "Candidate", CandidateRecord, to_candidate,
                 params={"$expand": "tags,outsideWorkExperience"}, key="candidateId"),
        Resource("applications", "JobApplication", ApplicationRecord, to_application,
                 params={"$expand": "jobAppStatus,jobApplicationStatusAuditTrail/jobAppStatus"},
                 key="applicationId"),
        # No lastModifiedDateTime on interviews in the standard metadata: listed in full,
        # which also removes the ones deleted in SF.
        Resource("scorecards", "JobApplicationInterview", ScorecardRecord, to_scorecard,
                 params={"$expand": "interviewOverallAssessment,interviewer"},
                 incremental=False, key="applicationInterviewId"),
        Resource("attachments", "Attachment", AttachmentRecord, to_attachment,
                 params={"$filter": "documentEntityType eq 'RCM_CANDIDATE'",
                         "$select": ATTACHMENT_FIELDS}, expand=expand_attachment,
                 key="attachmentId"),
    )


# ---------------------------------------------------------------------- values


def parse_odata_date(value: Any) -> datetime | None:
    """An OData v2 JSON date (``/Date(ms)/``, ``/Date(ms+0060)/``) as aware UTC.

    Negative ms are before 1970; 9999-12-31 means "no end" and gives None, as does null.
    ISO 8601 strings (some tenants' custom fields, JSON-light) are accepted too.
    """
    if value is None or value == "":
        return None
    match = ODATA_DATE.match(str(value).strip())
    if match is None:
        return parse_datetime(str(value))
    moment = EPOCH + timedelta(milliseconds=int(match.group(1)))
    return None if moment >= END_OF_TIME else moment


def _results(value: Any) -> list[dict[str, Any]]:
    """An expanded to-many navigation's rows (``{"results": [...]}``; deferred → none)."""
    if isinstance(value, dict):
        value = value.get("results")
    return [r for r in value or () if isinstance(r, dict)] if isinstance(value, list) else []


def _newest_work(entries: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The most recent outside work entry: a present employer first, then by dates."""
    def key(entry: dict[str, Any]) -> tuple:
        present = str(entry.get("presentEmployer")).lower() == "true"
        end = parse_odata_date(entry.get("endDate")) if entry.get("endDate") else None
        start = parse_odata_date(entry.get("startDate")) or EPOCH
        # A null or 9999-12-31 end date is an ongoing job.
        return (present or end is None, end or datetime.max.replace(tzinfo=timezone.utc), start)
    return max(entries, key=key) if entries else None


def _emails(raw: dict[str, Any]) -> tuple[EmailValue, ...]:
    seen, out = set(), []
    for field, kind in (("primaryEmail", "primary"), ("contactEmail", "contact")):
        value = (raw.get(field) or "").strip()
        if value and value.lower() not in seen:
            seen.add(value.lower())
            out.append(EmailValue(value=raw[field], type=kind))
    return tuple(out)


def _phones(raw: dict[str, Any]) -> tuple[PhoneValue, ...]:
    return tuple(PhoneValue(value=raw[f], type=kind)
                 for f, kind in (("cellPhone", "mobile"), ("homePhone", "home"))
                 if (raw.get(f) or "").strip())


def _source(raw: dict[str, Any]) -> SourceRecord | None:
    code = _str(raw.get("source"))
    if not code:
        return None
    return SourceRecord(remote_id=code, name=raw.get("sourceLabel") or code)


def _rating(assessment: dict[str, Any] | None) -> Recommendation | None:
    if not assessment:
        return None
    value = assessment.get("overallRating")
    if value in (None, ""):
        value = assessment.get("averageRating")
    try:
        return RATING.get(round(float(value)))
    except (TypeError, ValueError):
        return None


def _status_id(row: dict[str, Any]) -> str | None:
    return _str((row.get("jobAppStatus") or {}).get("appStatusId"))


def _join(*parts: Any) -> str | None:
    values = [p for p in (_clean(x) for x in parts) if p]
    return ", ".join(values) or None


def _clean(value: Any) -> str | None:
    text = str(value).strip() if value is not None else ""
    return text or None


def _lower(value: Any) -> str | None:
    return str(value).strip().lower() if value not in (None, "") else None


def _str(value: Any) -> str | None:
    return None if value in (None, "") else str(value)


def _int(value: Any) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0
