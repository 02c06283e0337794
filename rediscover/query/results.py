"""What a search returns: result rows, pages and facet counts (backend-independent)."""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any


@dataclass
class ScorecardCounts:
    """Submitted positive / negative / strong-no cards and pending ones, over seen applications."""

    positive: int = 0
    negative: int = 0
    strong_no: int = 0
    pending: int = 0


@dataclass
class ResultRow:
    """One person in a result table; columns come from their most recently active seen application."""

    person_id: int
    name: str
    emails: list[str]
    title: str | None
    company: str | None
    last_in_process: datetime | None
    job_title: str | None
    stage: str | None  # furthest stage reached, by its ATS name
    milestone: str | None
    source: str | None
    rejection_reason: str | None
    scorecards: ScorecardCounts
    origins: list[str] = field(default_factory=list)
    location: str | None = None
    has_resume_text: bool = False  # resume text on the person or a seen application
    score: float | None = None  # best-match points, or keyword relevance when a query was given
    # best match only: points per factor (rediscover.query.ranking.FACTORS), summing to
    # ``score``, and the same in plain words
    contributions: dict[str, int] | None = None
    why: str | None = None

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["last_in_process"] = self.last_in_process.isoformat() if self.last_in_process else None
        return out


@dataclass
class SearchPage:
    """One page of results; ``total`` is exact unless ``total_is_lower_bound``."""

    total: int
    results: list[ResultRow]
    next_cursor: str | None
    total_is_lower_bound: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {
            "total": self.total,
            "total_is_lower_bound": self.total_is_lower_bound,
            "results": [r.to_dict() for r in self.results],
            "next_cursor": self.next_cursor,
        }


@dataclass
class FacetValue:
    value: str  # what to put in the matching filter (job id as text, milestone, label key)
    label: str  # what to show
    count: int  # people matching the search that have this value


FACETS = ("milestone", "rejection_reason", "source", "job", "tag", "country")
