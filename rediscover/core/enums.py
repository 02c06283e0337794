"""Shared enumerations of the domain model (stored as their string values)."""
from __future__ import annotations

import enum


class StrEnum(str, enum.Enum):
    """A string enum whose value is what the database stores."""

    def __str__(self) -> str:
        return self.value


class ATS(StrEnum):
    GREENHOUSE = "greenhouse"
    LEVER = "lever"
    WORKDAY = "workday"
    ICIMS = "icims"
    SMARTRECRUITERS = "smartrecruiters"
    SUCCESSFACTORS = "successfactors"


class ApplicationStatus(StrEnum):
    """Our status of an application, whatever the ATS calls it.

    ``open`` = in process, ``closed`` = rejected or withdrawn, ``hired``; ``prospect`` marks
    prospect applications (no job, or a prospect pool), which search ignores entirely.
    """

    OPEN = "open"
    CLOSED = "closed"
    HIRED = "hired"
    PROSPECT = "prospect"


class Recommendation(StrEnum):
    """A scorecard's overall recommendation on one shared scale."""

    STRONG_YES = "strong_yes"
    YES = "yes"
    NO = "no"
    STRONG_NO = "strong_no"
    NO_DECISION = "no_decision"

    @property
    def is_positive(self) -> bool:
        return self in (Recommendation.YES, Recommendation.STRONG_YES)

    @property
    def is_negative(self) -> bool:
        return self in (Recommendation.NO, Recommendation.STRONG_NO)


class ScorecardStatus(StrEnum):
    SUBMITTED = "submitted"
    DRAFT = "draft"
    PENDING = "pending"


class UserRole(StrEnum):
    ADMIN = "admin"
    RECRUITER = "recruiter"


class TeamRole(StrEnum):
    """Why an ATS user is on a job's team (DESIGN: hiring managers, owners, per-job permission)."""

    HIRING_MANAGER = "hiring_manager"
    RECRUITER = "recruiter"
    COORDINATOR = "coordinator"
    SOURCER = "sourcer"
    PERMISSION = "permission"


class SyncRunStatus(StrEnum):
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    PARTIAL = "partial"  # finished, but some records or pages were recorded as failed
    FAILED = "failed"


class ExtractionStatus(StrEnum):
    OK = "ok"
    EMPTY = "empty"  # parsed fine, no text (e.g. an image-only PDF)
    UNSUPPORTED = "unsupported"
    ENCRYPTED = "encrypted"
    CORRUPT = "corrupt"
    TOO_LARGE = "too_large"
    TIMEOUT = "timeout"
    FAILED = "failed"


class EvaluationKind(StrEnum):
    ASSESSMENT = "assessment"
    VIDEO_INTERVIEW = "video_interview"
    REFERENCE_CHECK = "reference_check"


class EvaluationStatus(StrEnum):
    """Where an evaluation stands; ``completed`` and ``needs_review`` both mean the candidate
    finished it (a result exists, a reviewer may still have to look)."""

    NEEDS_SENDING = "needs_sending"
    SENT = "sent"
    STARTED = "started"
    COMPLETED = "completed"
    NEEDS_REVIEW = "needs_review"
    EXPIRED = "expired"
    CANCELLED = "cancelled"


FINISHED_EVALUATION_STATUSES = (
    EvaluationStatus.COMPLETED.value,
    EvaluationStatus.NEEDS_REVIEW.value,
)
