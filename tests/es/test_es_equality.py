"""Same documents, same searches: the embedded and the Elasticsearch backends find the same people.

A generated dataset of a couple of thousand people goes into both backends as identical
``PersonDocument``s; each silver-medalist search must return the same people with the same
totals, row columns and facet counts (and, in recency order, the same order), page by page.
Relevance order is backend-specific (bm25 on FTS5 vs. Lucene) and compared as a set.
"""
from __future__ import annotations

from typing import Any

import pytest
from es.docs import access_token, iter_dataset_documents
from es.osmem import make_test_backend

from rediscover.core.db import make_engine, sqlite_url
from rediscover.fakeats.dataset import generate
from rediscover.indexer.backends.base import SearchBackend
from rediscover.indexer.backends.sqlite import SQLiteBackend
from rediscover.query.filters import SearchRequest, Viewer
from rediscover.query.results import ResultRow
from rediscover.query.search import facets, search

pytestmark = [pytest.mark.elasticsearch, pytest.mark.slow]
PEOPLE = 2000
PAGE = 200

SILVER_MEDALISTS: list[dict[str, Any]] = [
    {"reached_stage": "onsite"},
    {"reached_stage": "onsite", "rejection_reasons": ["Hired another candidate"]},
    {"reached_stage": "hiring_manager_screen", "scorecard_ratio": 0.5, "exclude_strong_no": True},
    {"reached_stage": "onsite", "last_in_process_before": "2026-05-01"},
    {"reached_stage": "assessment", "last_in_process_after": "2024-01-01",
     "sort": "last_in_process"},
    {"query": "python AND kafka", "reached_stage": "recruiter_screen"},
    {"query": '"machine learning" OR pytorch', "exclude_strong_no": True},
    {"query": "kube* -java", "reached_stage": "hiring_manager_screen"},
    {"query": "zoe OR zoë OR ZOE"},
    {"query": "NOT salesforce", "reached_stage": "onsite", "scorecard_ratio": 1},
    {"job_title": "data engineer", "reached_stage": "hiring_manager_screen"},
    {"tags": ["python"], "sources": ["Referral", "LinkedIn (Prospecting)"]},
    {"applied_after": "2023-01-01", "applied_before": "2024-07-01", "reached_stage": "assessment"},
    {"include_active": True, "reached_stage": "onsite"},
    {"include_active": True, "query": "design*", "sort": "last_in_process"},
]


@pytest.fixture(scope="module")
def dataset():
    ds = generate(PEOPLE)
    return ds, list(iter_dataset_documents(ds))


@pytest.fixture(scope="module")
def both(dataset, es_url, es_client, tmp_path_factory) -> tuple[SearchBackend, SearchBackend]:
    _, docs = dataset
    engine = make_engine(sqlite_url(tmp_path_factory.mktemp("equality") / "index.sqlite"))
    embedded = SQLiteBackend(engine)
    embedded.setup()
    cluster = make_test_backend(es_url, es_client, refresh=False)
    assert embedded.rebuild(docs).failed == {}
    assert cluster.rebuild(docs).failed == {}
    yield embedded, cluster
    cluster.drop()
    engine.dispose()


@pytest.fixture(scope="module", params=["public", "hiring team"])
def viewer(request, dataset) -> Viewer:
    ds, _ = dataset
    if request.param == "public":
        return Viewer(team_id=1)
    team = next(job.team_ids for job in ds.jobs if job.confidential)
    return Viewer(team_id=1, access_tokens=frozenset(access_token(u) for u in team[:3]))


def all_pages(
    backend: SearchBackend, request: SearchRequest, viewer: Viewer
) -> tuple[int, list[ResultRow]]:
    rows: list[ResultRow] = []
    page = search(backend, request, viewer)
    total = page.total
    rows += page.results
    while page.next_cursor:
        page = search(backend, request.with_cursor(page.next_cursor), viewer)
        assert page.total == total
        rows += page.results
    assert len(rows) == total == len({r.person_id for r in rows})  # no gaps, no repeats
    return total, rows


def comparable(rows: list[ResultRow]) -> list[dict[str, Any]]:
    return sorted(({**r.to_dict(), "score": None} for r in rows), key=lambda r: r["person_id"])


@pytest.mark.parametrize("filters", SILVER_MEDALISTS, ids=lambda f: ",".join(sorted(f)))
def test_both_backends_find_the_same_silver_medalists(both, viewer, filters):
    embedded, cluster = both
    request = SearchRequest.from_dict({"limit": PAGE, **filters})
    total, expected = all_pages(embedded, request, viewer)
    found_total, found = all_pages(cluster, request, viewer)
    assert found_total == total
    assert comparable(found) == comparable(expected)
    if request.sort == "last_in_process" or not request.query:
        assert [r.person_id for r in found] == [r.person_id for r in expected]
    assert facets(cluster, request, viewer) == facets(embedded, request, viewer)


def test_the_silver_medalist_searches_are_not_trivial(both, viewer):
    embedded, _ = both
    totals = [search(embedded, SearchRequest.from_dict(f), viewer).total for f in SILVER_MEDALISTS]
    assert sum(1 for t in totals if t > 0) >= len(totals) - 1
