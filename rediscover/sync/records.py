"""The vendor-neutral records adapters yield and the runner writes.

Conventions every adapter follows: remote ids are strings; references to other records
are remote ids (``*_remote_id``), resolved by the runner; datetimes are aware UTC;
statuses and recommendations are already mapped to ``core.enums``. Download URLs ride
along for the runner to fetch but are never stored (they are signed and expire).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from rediscover.core.enums import ApplicationStatus, Recommendation, ScorecardStatus, TeamRole


@dataclass(frozen=True, kw_only=True)
class UserRecord:
    """A user of the ATS (recruiter, hiring manager, interviewer)."""

    remote_id: str
    name: str = ""
    email: str | None = None
    site_admin: bool = False
    deactivated: bool = False


@dataclass(frozen=True, kw_only=True)
class JobRecord:
    """A job / requisition."""

    remote_id: str
    title: str = ""
    requisition_id: str | None = None
    status: str | None = None
    confidential: bool = False
    opened_at: datetime | None = None
    closed_at: datetime | None = None
    updated_at: datetime | None = None


@dataclass(frozen=True, kw_only=True)
class JobTeamMemberRecord:
    """An ATS user on a job's team, and why (hiring manager, owner type, permission)."""

    job_remote_id: str
    user_remote_id: str
    role: TeamRole


@dataclass(frozen=True, kw_only=True)
class StageRecord:
    """An interview stage of a job's plan (``job_remote_id`` None for shared plans)."""

    remote_id: str
    job_remote_id: str | None
    name: str
    sort_order: int = 0
    active: bool = True


@dataclass(frozen=True, kw_only=True)
class RejectionReasonRecord:
    """A rejection reason with its type (e.g. WE_REJECTED_THEM)."""

    remote_id: str
    name: str
    type_key: str | None = None
    type_name: str | None = None


@dataclass(frozen=True, kw_only=True)
class SourceRecord:
    """Where applications come from."""

    remote_id: str
    name: str
    type_name: str | None = None


@dataclass(frozen=True, kw_only=True)
class EmailValue:
    """One email address as the ATS has it."""

    value: str
    type: str | None = None

    @property
    def normalized(self) -> str:
        """The address trimmed and lowercased."""
        return normalize_email(self.value)


@dataclass(frozen=True, kw_only=True)
class PhoneValue:
    """One phone number as the ATS has it (normalising is the merge's job)."""

    value: str
    type: str | None = None


@dataclass(frozen=True, kw_only=True)
class CandidateRecord:
    """One candidate record; ``tags`` are display names (normalised by the runner)."""

    remote_id: str
    first_name: str = ""
    last_name: str = ""
    company: str | None = None
    title: str | None = None
    location: str | None = None
    # Where the newest work entry is, for ATSs that may have no location of the person's own
    # (SuccessFactors): the indexer falls back to it and marks the result derived.
    work_location: str | None = None
    is_private: bool = False
    can_email: bool = True
    anonymized: bool = False
    url: str | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None
    last_activity_at: datetime | None = None
    emails: tuple[EmailValue, ...] = ()
    phones: tuple[PhoneValue, ...] = ()
    tags: tuple[str, ...] = ()


@dataclass(frozen=True, kw_only=True)
class ApplicationRecord:
    """One application (or prospect application) of a candidate."""

    remote_id: str
    candidate_remote_id: str
    job_remote_id: str | None
    status: ApplicationStatus
    remote_status: str | None = None
    current_stage_remote_id: str | None = None
    current_stage_name: str | None = None
    rejection_reason_remote_id: str | None = None
    source_remote_ids: tuple[str, ...] = ()
    location: str | None = None
    url: str | None = None
    applied_at: datetime | None = None
    rejected_at: datetime | None = None
    last_activity_at: datetime | None = None
    updated_at: datetime | None = None


@dataclass(frozen=True, kw_only=True)
class RejectionDetailRecord:
    """Why and how an application was rejected, beyond the reason id (the team's note)."""

    application_remote_id: str
    rejection_reason_remote_id: str | None = None
    rejected_at: datetime | None = None
    note: str | None = None


@dataclass(frozen=True, kw_only=True)
class StageEventRecord:
    """One stay of an application in a stage."""

    remote_id: str
    application_remote_id: str
    stage_remote_id: str | None
    stage_name: str | None = None
    entered_at: datetime | None = None
    exited_at: datetime | None = None


@dataclass(frozen=True, kw_only=True)
class ScorecardRecord:
    """An interviewer's scorecard; ``recommendation`` None when none was given (drafts)."""

    remote_id: str
    application_remote_id: str
    interviewer_remote_id: str | None = None
    recommendation: Recommendation | None = None
    status: ScorecardStatus = ScorecardStatus.SUBMITTED
    stage_remote_id: str | None = None
    interviewed_at: datetime | None = None
    submitted_at: datetime | None = None
    updated_at: datetime | None = None


@dataclass(frozen=True, kw_only=True)
class AttachmentRecord:
    """A file on a candidate (and maybe one application), with where to download it."""

    remote_id: str
    candidate_remote_id: str
    application_remote_id: str | None = None
    filename: str = ""
    type: str | None = None
    download_url: str | None = field(default=None, repr=False)  # signed; never stored
    content: bytes | None = field(default=None, repr=False)  # inline file (SOAP base64)
    content_type: str | None = None  # of inline content
    created_at: datetime | None = None
    updated_at: datetime | None = None


@dataclass(frozen=True, kw_only=True)
class OfferRecord:
    """An offer on an application; only an accepted one matters here (hired date)."""

    remote_id: str
    application_remote_id: str
    accepted: bool = False
    resolved_at: datetime | None = None


Record = (
    UserRecord
    | JobRecord
    | JobTeamMemberRecord
    | StageRecord
    | RejectionReasonRecord
    | SourceRecord
    | CandidateRecord
    | ApplicationRecord
    | RejectionDetailRecord
    | StageEventRecord
    | ScorecardRecord
    | AttachmentRecord
    | OfferRecord
)


def normalize_email(value: str) -> str:
    """An email as merge and filters compare it: trimmed and lowercased."""
    return value.strip().lower()


def normalize_tag(value: str) -> str:
    """A tag as search compares it: casefolded, runs of whitespace collapsed."""
    return " ".join(value.casefold().split())
