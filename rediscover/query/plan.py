"""What the search layer hands a backend's compiler, and what it gets back."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol

from rediscover.query.ranking import RankingWeights

if TYPE_CHECKING:
    from rediscover.query.filters import SearchRequest, Viewer
    from rediscover.query.parser import Node
    from rediscover.query.results import FacetValue, ResultRow

RELEVANCE = "relevance"
RECENCY = "last_in_process"
BEST_MATCH = "best_match"


@dataclass(frozen=True)
class SearchPlan:
    """A validated request plus what was derived from it: parsed keywords, order, page start.

    ``order`` is ``best_match`` (the points of ``rediscover.query.ranking`` as of ``now``,
    then last in process, then person id), ``relevance`` (keyword score, then the same
    tiebreakers) or ``last_in_process`` (then person id); ``after`` is the sort key of the
    previous page's last row (from the cursor), ``fetch`` how many rows to ask for (one more
    than shown, to know whether there is a next page).
    """

    request: SearchRequest
    viewer: Viewer
    expr: Node | None
    order: str
    after: list[Any] | None = None
    fetch: int = 0
    weights: RankingWeights = field(default_factory=RankingWeights)
    now: datetime | None = None  # best match: the instant recency is measured from


@dataclass
class RawPage:
    """Rows as a compiler read them, each with its sort key, and the exact total."""

    total: int
    rows: list[ResultRow] = field(default_factory=list)
    keys: list[list[Any]] = field(default_factory=list)


class Compiler(Protocol):
    """What a backend kind's compiler module provides (see ``rediscover.query.sqlite``)."""

    def compile_search(self, plan: SearchPlan) -> Any:
        """Build what the backend runs for one page (no I/O)."""

    def read_search(self, raw: Any, plan: SearchPlan) -> RawPage:
        """Read the backend's answer into rows, sort keys and the total."""

    def compile_facets(self, plan: SearchPlan) -> Any:
        """Build what the backend runs to count facet values (no I/O)."""

    def read_facets(self, raw: Any) -> dict[str, list[FacetValue]]:
        """Read the backend's answer into facet values."""
