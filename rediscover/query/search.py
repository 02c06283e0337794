"""Searching, whatever the backend: parse keywords, plan, compile, execute, read rows.

Each backend ``kind`` has a compiler module here (``COMPILERS``) that builds what the
backend executes and reads its answer back; this module owns what is common: the keyword
parse, the choice of order, cursors and the page cut.

Decisions where DESIGN leaves room (every compiler follows them):

- Without ``include_active`` only closed applications count (for matching, columns and
  last in process): a person with an open application is hidden then anyway. With it, open
  applications the viewer may see count like closed ones.
- Order: best match by default (``rediscover.query.ranking``: whole points, so both
  backends give the same scores and order), or keyword relevance (when the query has a
  positive term and ``sort`` is ``relevance``), each then last in process (people with no
  activity date last), then person id; ``sort=last_in_process`` skips the score.
- Best match measures recency from the start of the search's UTC day; the cursor carries
  that instant, so later pages rank exactly like the first one.
- Facets count people matching the whole search, the facet's own filter included; the
  milestone facet is cumulative ("reached at least"), the way ``reached_stage`` filters.
- Strong-no exclusion and scorecard counts use submitted cards only (drafts are pending).
"""
from __future__ import annotations

import importlib
from dataclasses import replace
from datetime import datetime, time, timezone
from numbers import Real
from typing import TYPE_CHECKING, Any, cast

from rediscover.indexer.errors import BackendUnavailableError
from rediscover.query.errors import InvalidQuery, SearchUnavailable
from rediscover.query.filters import decode_cursor, encode_cursor
from rediscover.query.parser import parse_query, positive_leaves
from rediscover.query.plan import BEST_MATCH, RECENCY, RELEVANCE, Compiler, SearchPlan
from rediscover.query.ranking import RankingWeights
from rediscover.query.results import SearchPage

if TYPE_CHECKING:
    from rediscover.indexer.backends.base import SearchBackend
    from rediscover.query.filters import SearchRequest, Viewer
    from rediscover.query.results import FacetValue

# Backend kind -> compiler module (imported on first use, so unused clients never load).
COMPILERS: dict[str, str] = {
    "sqlite": "rediscover.query.sqlite",
    "elasticsearch": "rediscover.query.elasticsearch",
}


def search(
    backend: SearchBackend,
    request: SearchRequest,
    viewer: Viewer,
    *,
    weights: RankingWeights | None = None,
    now: datetime | None = None,
) -> SearchPage:
    """One page of people matching ``request`` as ``viewer`` may see them.

    ``weights`` are the best-match weights (defaults: ``RankingWeights()``); ``now`` is when
    recency is measured from (default: the clock; either way cut to the start of its UTC day).
    """
    plan = plan_search(request, viewer, weights=weights, now=now)
    compiler = compiler_for(backend.kind)
    page = compiler.read_search(_execute(backend, compiler.compile_search(plan)), plan)
    more = len(page.rows) > request.limit
    head = [plan.order, _epoch(plan.now)] if plan.order == BEST_MATCH else [plan.order]
    next_cursor = encode_cursor([*head, *page.keys[request.limit - 1]]) if more else None
    return SearchPage(total=page.total, results=page.rows[: request.limit], next_cursor=next_cursor)


def facets(
    backend: SearchBackend, request: SearchRequest, viewer: Viewer
) -> dict[str, list[FacetValue]]:
    """Per facet (milestone, rejection_reason, source, job, tag): values and people counts."""
    # Counts do not depend on the order: skip the best-match scoring work.
    plan = replace(plan_search(request.with_cursor(None), viewer), order=RECENCY)
    compiler = compiler_for(backend.kind)
    return compiler.read_facets(_execute(backend, compiler.compile_facets(plan)))


def plan_search(
    request: SearchRequest,
    viewer: Viewer,
    *,
    weights: RankingWeights | None = None,
    now: datetime | None = None,
) -> SearchPlan:
    """Parse the keywords, choose the order and decode where the page starts."""
    expr = parse_query(request.query)
    ranked = request.sort == "relevance" and expr is not None and bool(positive_leaves(expr))
    order = BEST_MATCH if request.sort == BEST_MATCH else RELEVANCE if ranked else RECENCY
    after = _cursor_key(request.cursor, order)
    day = start_of_day(now or datetime.now(timezone.utc))
    if order == BEST_MATCH and after:
        day = datetime.fromtimestamp(after.pop(0), timezone.utc)  # the first page's day
    return SearchPlan(
        request,
        viewer,
        expr,
        order,
        after,
        fetch=request.limit + 1,
        weights=weights or RankingWeights(),
        now=day,
    )


def start_of_day(when: datetime) -> datetime:
    """Midnight UTC of ``when``'s day (naive = UTC)."""
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    when = when.astimezone(timezone.utc)
    return datetime.combine(when.date(), time(), tzinfo=timezone.utc)


def _epoch(when: datetime | None) -> int:
    return int(when.timestamp()) if when else 0


def compiler_for(kind: str) -> Compiler:
    """The compiler module for a backend kind."""
    if kind not in COMPILERS:
        raise ValueError(f"No query compiler for backend kind {kind!r}.")
    return cast(Compiler, importlib.import_module(COMPILERS[kind]))


def _execute(backend: SearchBackend, compiled: Any) -> Any:
    try:
        return backend.execute(compiled)
    except BackendUnavailableError as exc:
        raise SearchUnavailable(str(exc)) from exc


def _cursor_key(cursor: str | None, order: str) -> list[Any] | None:
    """The sort key inside a cursor, checked against this search's order."""
    if not cursor:
        return None
    key = decode_cursor(cursor)
    size = {RELEVANCE: 4, BEST_MATCH: 5}.get(order, 3)
    numbers = key[1:]
    if (
        key[0] != order
        or len(key) != size
        or not all(isinstance(v, Real) and not isinstance(v, bool) for v in numbers)
        or not isinstance(key[-1], int)
    ):
        raise InvalidQuery(
            "The cursor does not belong to this search; start again without it.", field="cursor"
        )
    return numbers
