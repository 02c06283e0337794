"""Search documents: one per searchable person, with their applications nested.

The indexer builds these from the store (``indexer.build.build_documents``) and hands them to a
backend; backends store them and answer queries without reading the store again. Only what search
needs is here. A person who must never appear (private record, hired, no non-prospect
application, anonymised) gets no document at all.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any


@dataclass
class ApplicationDoc:
    """One non-prospect, non-hired application of a searchable person."""

    application_id: int
    connection_id: int
    job_id: int | None
    job_title: str
    status: str  # "open" or "closed" (hired people and prospect applications are never indexed)
    confidential: bool = False
    # "<connection_id>:<remote user id>" of the job's team; only consulted when confidential
    access: list[str] = field(default_factory=list)
    requisition_id: str | None = None
    stage_name: str | None = None  # the furthest stage reached, by its ATS name
    milestone: str | None = None  # that stage's milestone
    milestone_rank: int = 0  # 0 = no milestone
    rejection_reason: str | None = None  # display name
    rejection_reason_key: str | None = None  # normalize_label(name)
    rejection_type: str | None = None  # e.g. WE_REJECTED_THEM
    reason_category: str | None = None  # shared reason (mappings.reasons); None without a reason
    reengage_safe: bool | None = None  # that shared reason's flag; None without a reason
    sources: list[str] = field(default_factory=list)  # display names, ATS order (first is shown)
    source_keys: list[str] = field(default_factory=list)  # normalize_label of each
    applied_at: datetime | None = None
    rejected_at: datetime | None = None
    last_activity_at: datetime | None = None
    positive: int = 0  # submitted yes / strong yes
    negative: int = 0  # submitted no / strong no
    strong_no: int = 0
    strong_yes: int = 0
    pending: int = 0  # drafts and not-yet-submitted cards
    # evaluations: best finished assessment as a percentage (and in tenths, for ranking);
    # whether a video interview / reference check was finished
    assessment_pct: float | None = None
    assessment_tenths: int | None = None
    video_completed: bool = False
    references_completed: bool = False
    resume_text: str = ""  # text of the files attached to this application
    # any file on this application yielded text (False: none, image-only, encrypted, …)
    has_resume_text: bool = False

    @property
    def ratio(self) -> float | None:
        total = self.positive + self.negative
        return self.positive / total if total else None

    @property
    def ratio_tenths(self) -> int | None:
        """The positive share rounded to tenths (half up): what best-match ranking counts."""
        total = self.positive + self.negative
        return (20 * self.positive + total) // (2 * total) if total else None


@dataclass
class PersonDocument:
    """Everything search needs about one person."""

    person_id: int
    team_id: int
    name: str
    title: str | None = None
    company: str | None = None
    emails: list[str] = field(default_factory=list)  # normalised
    tags: list[str] = field(default_factory=list)  # display names
    tag_keys: list[str] = field(default_factory=list)  # normalize_label of each
    location: str | None = None  # as written (display); the fields below are its normal form
    city: str | None = None
    region: str | None = None  # ISO 3166-2 code ("US-WA"), when known
    country_code: str | None = None  # ISO 3166-1 alpha-2
    latitude: float | None = None  # only for a city or metro area (what ``near`` matches)
    longitude: float | None = None
    geo_precision: str | None = None  # city / metro / region / country; None = not resolved
    remote: bool = False  # the location says the person works remotely
    location_derived: bool = False  # taken from their latest work entry, not stated
    origins: list[str] = field(default_factory=list)  # connection names the records came from
    has_open: bool = False  # any open application, seen or not (DESIGN: active candidates)
    resume_text: str = ""  # files on the candidate not tied to an application
    has_resume_text: bool = False  # those files yielded text (applications carry their own)
    as_of: datetime | None = None  # when the data was last confirmed from the ATS
    applications: list[ApplicationDoc] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)
