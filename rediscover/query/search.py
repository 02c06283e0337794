"""Searching, whatever the backend: parse keywords, plan, compile, execute, read rows.

Each backend ``kind`` has a compiler module here (``COMPILERS``) that builds what the
backend executes and reads its answer back; this module owns what is common: the keyword
parse, the choice of order, cursors and the page cut.

Decisions where DESIGN leaves room (every compiler follows them):

- Without ``include_active`` only closed applications count (for matching, columns and
  last in process): a person with an open application is hidden then anyway. With it, open
  applications the viewer may see count like closed ones.
- Order: keyword relevance (when the query has a positive term and ``sort`` is
  ``relevance``), then last in process (people with no activity date last), then person id.
- Facets count people matching the whole search, the facet's own filter included; the
  milestone facet is cumulative ("reached at least"), the way ``reached_stage`` filters.
- Strong-no exclusion and scorecard counts use submitted cards only (drafts are pending).
"""
from __future__ import annotations

import importlib
from numbers import Real
from typing import TYPE_CHECKING, Any, cast

from rediscover.indexer.errors import BackendUnavailableError
from rediscover.query.errors import InvalidQuery, SearchUnavailable
from rediscover.query.filters import decode_cursor, encode_cursor
from rediscover.query.parser import parse_query, positive_leaves
from rediscover.query.plan import RECENCY, RELEVANCE, Compiler, SearchPlan
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


def search(backend: SearchBackend, request: SearchRequest, viewer: Viewer) -> SearchPage:
    """One page of people matching ``request`` as ``viewer`` may see them."""
    plan = plan_search(request, viewer)
    compiler = compiler_for(backend.kind)
    page = compiler.read_search(_execute(backend, compiler.compile_search(plan)), plan)
    more = len(page.rows) > request.limit
    next_cursor = encode_cursor([plan.order, *page.keys[request.limit - 1]]) if more else None
    return SearchPage(total=page.total, results=page.rows[: request.limit], next_cursor=next_cursor)


def facets(
    backend: SearchBackend, request: SearchRequest, viewer: Viewer
) -> dict[str, list[FacetValue]]:
    """Per facet (milestone, rejection_reason, source, job, tag): values and people counts."""
    plan = plan_search(request.with_cursor(None), viewer)
    compiler = compiler_for(backend.kind)
    return compiler.read_facets(_execute(backend, compiler.compile_facets(plan)))


def plan_search(request: SearchRequest, viewer: Viewer) -> SearchPlan:
    """Parse the keywords, choose the order and decode where the page starts."""
    expr = parse_query(request.query)
    ranked = request.sort == "relevance" and expr is not None and bool(positive_leaves(expr))
    order = RELEVANCE if ranked else RECENCY
    after = _cursor_key(request.cursor, order)
    return SearchPlan(request, viewer, expr, order, after, fetch=request.limit + 1)


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
    size = 4 if order == RELEVANCE else 3
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
