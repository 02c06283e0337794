"""The Elasticsearch compiler builds the bodies we mean (``to_dict()``), with no cluster."""
from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timezone

import pytest

from rediscover.query import elasticsearch as es
from rediscover.query.filters import SearchRequest, Viewer, encode_cursor
from rediscover.query.parser import Prefix, Term
from rediscover.query.search import plan_search

VIEWER = Viewer(team_id=7)
SEEN_CLOSED = [
    {"terms": {"applications.status": ["closed"]}},
    {"term": {"applications.confidential": False}},
]
LAST_IN_PROCESS = {
    "applications.last_activity_at": {
        "order": "desc",
        "mode": "max",
        "missing": "_last",
        "nested": {"path": "applications", "filter": {"bool": {"filter": SEEN_CLOSED}}},
    }
}


def plan(viewer: Viewer = VIEWER, **filters):
    """A plan; ``sort`` defaults to ``relevance`` here (best match has its own tests below)."""
    return plan_search(SearchRequest.from_dict({"sort": "relevance", **filters}), viewer)


def nested(*filters, score_mode="none"):
    return {"nested": {"path": "applications", "query": {"bool": {"filter": list(filters)}},
                       "score_mode": score_mode}}


def test_an_empty_search_is_team_not_active_and_some_seen_application():
    assert es.compile_search(plan()).to_dict() == {
        "query": {
            "bool": {
                "filter": [
                    {"term": {"team_id": 7}},
                    {"term": {"has_open": False}},
                    nested(*SEEN_CLOSED),
                ]
            }
        },
        "sort": [LAST_IN_PROCESS, {"person_id": {"order": "asc"}}],
        "_source": {"excludes": ["resume_text", "applications.resume_text"]},
        "size": 26,
        "track_total_hits": True,
    }


def test_confidential_applications_are_seen_through_the_viewers_team_tokens():
    viewer = Viewer(team_id=7, access_tokens=frozenset({"1:u2", "1:u1"}))
    assert es.visible(viewer).to_dict() == {
        "bool": {
            "should": [
                {"term": {"applications.confidential": False}},
                {"terms": {"applications.access": ["1:u1", "1:u2"]}},
            ],
            "minimum_should_match": 1,
        }
    }


def test_include_active_counts_open_applications_and_drops_the_active_filter():
    query = es.build_query(plan(include_active=True)).to_dict()
    assert query["bool"]["filter"] == [
        {"term": {"team_id": 7}},
        nested({"terms": {"applications.status": ["closed", "open"]}},
               {"term": {"applications.confidential": False}}),
    ]


def test_application_filters_must_hold_on_one_application():
    body = es.build_query(
        plan(
            job_ids=[3, 4],
            job_title="Sr. *Engineer?",
            rejection_reasons=["Other candidate hired"],
            sources=["LinkedIn"],
            reached_stage="onsite",
            scorecard_ratio=0.75,
            applied_after="2024-01-01",
            applied_before="2024-02-01T10:00:00.000001Z",
        )
    ).to_dict()
    assert body["bool"]["filter"][2] == nested(
        *SEEN_CLOSED,
        {"terms": {"applications.job_id": [3, 4]}},
        {"wildcard": {"applications.job_title_key": {"value": "*sr. \\*engineer\\?*"}}},
        {"terms": {"applications.rejection_reason_key": ["other candidate hired"]}},
        {"terms": {"applications.source_keys": ["linkedin"]}},
        {"range": {"applications.milestone_rank": {"gte": 5}}},
        {"range": {"applications.ratio": {"gte": 0.75}}},
        {"range": {"applications.applied_at": {
            "gte": "2024-01-01T00:00:00.000+00:00", "lt": "2024-02-01T10:00:00.001+00:00"}}},
    )


def test_person_filters_and_exclusions():
    body = es.build_query(
        plan(tags=["Python", "Go"], emails=["Ann@X.io"], exclude_strong_no=True,
             last_in_process_after="2023-01-01", last_in_process_before="2024-01-01")
    ).to_dict()["bool"]
    assert body["filter"][3:] == [
        {"term": {"tag_keys": "python"}},
        {"term": {"tag_keys": "go"}},
        {"terms": {"emails": ["ann@x.io"]}},
        nested(*SEEN_CLOSED, {"range": {"applications.last_activity_at": {
            "gte": "2023-01-01T00:00:00.000+00:00"}}}),
        nested(*SEEN_CLOSED, {"range": {"applications.last_activity_at": {
            "lt": "2024-01-01T00:00:00.000+00:00"}}}),
    ]
    assert body["must_not"] == [
        nested(*SEEN_CLOSED, {"range": {"applications.strong_no": {"gt": 0}}}),
        # newest seen activity before D: none at or after D
        nested(*SEEN_CLOSED, {"range": {"applications.last_activity_at": {
            "gte": "2024-01-01T00:00:00.000+00:00"}}}),
    ]


def test_a_term_matches_person_text_or_seen_application_text():
    assert es.leaf_query(Term("kafka"), plan()).to_dict() == {
        "bool": {
            "should": [
                {"multi_match": {
                    "query": "kafka",
                    "type": "phrase",
                    "fields": ["name^10", "title^4", "company^3", "tags^4", "resume_text^1"],
                }},
                {"nested": {
                    "path": "applications",
                    "query": {"bool": {
                        "filter": SEEN_CLOSED,
                        "must": [{"multi_match": {
                            "query": "kafka",
                            "type": "phrase",
                            "fields": ["applications.job_title^3", "applications.resume_text^1"],
                        }}],
                    }},
                    "score_mode": "max",
                }},
            ],
            "minimum_should_match": 1,
        }
    }


def test_a_prefix_searches_the_unstemmed_fields():
    person, _ = es.leaf_query(Prefix("eng"), plan()).to_dict()["bool"]["should"]
    assert person == {"multi_match": {
        "query": "eng",
        "type": "bool_prefix",
        "operator": "and",
        "fields": ["name^10", "title.folded^4", "company^3", "tags.folded^4",
                   "resume_text.folded^1"],
    }}


def test_the_keyword_tree_is_a_filter_and_positive_leaves_score():
    p = plan(query="python OR NOT java")
    leaf = {name: es.leaf_query(Term(name), p).to_dict() for name in ("python", "java")}
    body = es.build_query(p).to_dict()["bool"]
    assert body["filter"][-1] == {"bool": {
        "should": [leaf["python"], {"bool": {"must_not": [leaf["java"]]}}],
        "minimum_should_match": 1,
    }}
    assert body["should"] == [leaf["python"]]


def test_relevance_pages_round_the_score_and_continue_after_the_cursor():
    cursor = encode_cursor(["relevance", 41234.0, 1704067200000, 12])
    body = es.compile_search(plan(query="python", cursor=cursor, limit=10)).to_dict()
    assert body["query"]["script_score"]["script"] == {
        "source": "Math.round(_score * params.scale)", "params": {"scale": 10_000}
    }
    assert body["sort"] == [
        {"_score": {"order": "desc"}}, LAST_IN_PROCESS, {"person_id": {"order": "asc"}}
    ]
    assert body["search_after"] == [41234.0, 1704067200000, 12]
    assert body["size"] == 11


def test_no_activity_is_the_same_cursor_key_as_on_every_backend():
    cursor = encode_cursor(["last_in_process", -(2**62), 12])
    assert es.compile_search(plan(cursor=cursor)).to_dict()["search_after"] == [-(2**63), 12]
    raw = {"hits": {"total": {"value": 1},
                    "hits": [{"_source": {"person_id": 12, "name": "N"}, "sort": [-(2**63), 12]}]}}
    assert es.read_search(raw, plan()).keys == [[-(2**62), 12]]


def test_recency_order_with_keywords_still_reports_scores():
    body = es.compile_search(plan(query="python", sort="last_in_process")).to_dict()
    assert body["sort"] == [LAST_IN_PROCESS, {"person_id": {"order": "asc"}}]
    assert body["track_scores"] is True


def test_facets_count_people_over_seen_applications():
    body = es.compile_facets(plan(reached_stage="onsite")).to_dict()
    assert body["size"] == 0 and body["track_total_hits"] is False
    apps = body["aggs"]["apps"]
    assert apps["nested"] == {"path": "applications"}
    assert apps["aggs"]["seen"]["filter"] == {"bool": {"filter": SEEN_CLOSED}}
    facets = apps["aggs"]["seen"]["aggs"]
    assert facets["job"] == {
        "terms": {"field": "applications.job_id", "size": es.TERMS_SIZE,
                  "order": [{"people": "desc"}, {"_key": "asc"}]},
        "aggs": {
            "people": {"reverse_nested": {}},
            "label": {"terms": {"field": "applications.job_title.raw", "size": 1,
                                "order": {"_key": "desc"}}},
        },
    }
    assert facets["milestone"]["filters"]["filters"]["onsite"] == {
        "range": {"applications.milestone_rank": {"gte": 5}}
    }
    assert facets["sources"]["nested"] == {"path": "applications.source_entries"}
    assert body["aggs"]["tags"]["nested"] == {"path": "tag_entries"}


@pytest.mark.parametrize(
    ("value", "bound"),
    [
        (datetime(2024, 3, 10, tzinfo=timezone.utc), "2024-03-10T00:00:00.000+00:00"),
        (datetime(2024, 3, 10, 0, 0, 0, 1, tzinfo=timezone.utc), "2024-03-10T00:00:00.001+00:00"),
        (datetime(2024, 3, 10, 0, 0, 0, 999_001, tzinfo=timezone.utc),
         "2024-03-10T00:00:01.000+00:00"),
        (datetime(2024, 3, 10, 0, 0, 0, 5000, tzinfo=timezone.utc),
         "2024-03-10T00:00:00.005+00:00"),
    ],
)
def test_date_bounds_round_up_to_the_index_precision(value, bound):
    assert es.date_bound(value) == bound


# --------------------------------------------------------------------------- reading answers


def _app(app_id, last, **fields):
    return {"application_id": app_id, "status": "closed", "confidential": False, "access": [],
            "last_activity_at": last, "positive": 1, "negative": 0, "strong_no": 0,
            "pending": 0, "job_title": f"Job {app_id}", "sources": [f"Src {app_id}", "Other"],
            **fields}


def test_rows_come_from_the_most_recent_seen_application():
    source = {
        "person_id": 5, "name": "Zoë", "emails": ["z@x.io"], "origins": ["greenhouse"],
        "applications": [
            _app(1, "2024-01-01T00:00:00+00:00"),
            _app(2, "2024-06-01T00:00:00+00:00", confidential=True, access=["1:boss"]),
            _app(3, "2024-09-01T00:00:00+00:00", status="open"),
            _app(4, None),
        ],
    }
    raw = {"hits": {"total": {"value": 1, "relation": "eq"},
                    "hits": [{"_source": source, "_score": 12345.0, "sort": [12345.0, 1, 5]}]}}
    page = es.read_search(raw, plan(query="zoe"))
    (row,) = page.rows
    assert (page.total, page.keys) == (1, [[12345.0, 1, 5]])
    assert row.job_title == "Job 1" and row.source == "Src 1"
    assert row.last_in_process == datetime(2024, 1, 1, tzinfo=timezone.utc)
    assert row.scorecards.positive == 2  # applications 1 and 4: the unseen ones do not count
    assert row.score == 1.2345
    boss = Viewer(team_id=7, access_tokens=frozenset({"1:boss"}))
    (row,) = es.read_search(raw, plan(boss, include_active=True)).rows
    assert row.job_title == "Job 3" and row.score is None


def test_facet_values_are_people_counts_sorted_by_count_then_label():
    def bucket(key, people, label=None):
        labels = [{"key": label, "doc_count": 1}] if label else []
        return {"key": key, "doc_count": 9, "people": {"doc_count": people},
                "label": {"buckets": labels}}

    raw = {"aggregations": {
        "apps": {"seen": {
            "job": {"buckets": [bucket(3, 2, "Zeta"), bucket(1, 2, "Alpha"), bucket(2, 0, "Gone")]},
            "rejection_reason": {"buckets": []},
            "sources": {"source": {"buckets": [bucket("linkedin", 4, "LinkedIn")]}},
            "milestone": {"buckets": {"onsite": {"people": {"doc_count": 3}},
                                      "offer": {"people": {"doc_count": 0}},
                                      "application_review": {"people": {"doc_count": 8}}}},
        }},
        "tags": {"tag": {"buckets": [bucket("go", 1)]}},
    }}
    facets = es.read_facets(raw)
    jobs = [(v.value, v.label, v.count) for v in facets["job"]]
    assert jobs == [("1", "Alpha", 2), ("3", "Zeta", 2)]
    assert [(v.value, v.count) for v in facets["milestone"]] == [("application_review", 8),
                                                                  ("onsite", 3)]
    assert [(v.value, v.label) for v in facets["tag"]] == [("go", "go")]
    assert facets["source"][0].label == "LinkedIn" and facets["rejection_reason"] == []


# --------------------------------------------------------------------------- best match


def test_best_match_sums_constant_scores_over_the_best_seen_application():
    p = plan_search(SearchRequest.from_dict({"query": "python"}), VIEWER, now=datetime(2025, 1, 1, tzinfo=timezone.utc))
    body = es.compile_search(p).to_dict()
    assert "script_score" not in body["query"]  # whole points need no rounding
    should = body["query"]["bool"]["should"]
    assert should[0]["constant_score"]["boost"] == 40  # the one positive term
    nested = should[-1]["nested"]
    assert (nested["path"], nested["score_mode"]) == ("applications", "max")
    clauses = nested["query"]["bool"]["should"]
    assert all(c["constant_score"]["boost"] > 0 for c in clauses)  # the cluster refuses negatives
    milestone = [c for c in clauses if "applications.milestone_rank" in str(c)]
    assert [c["constant_score"]["boost"] for c in milestone] == [10, 20, 30, 40, 50]
    assert body["sort"][0] == {"_score": {"order": "desc"}}


def test_best_match_cursors_hold_points_and_search_after_adds_the_offset():
    p = plan_search(SearchRequest.from_dict({}), VIEWER, now=datetime(2025, 1, 1, tzinfo=timezone.utc))
    offset = p.weights.offset()
    raw = {"hits": {"total": {"value": 1, "relation": "eq"},
                    "hits": [{"_source": {"person_id": 3, "name": "N", "applications": []},
                              "_score": 100.0 + offset, "sort": [100.0 + offset, 7, 3]}]}}
    page = es.read_search(raw, p)
    assert page.keys == [[100, 7, 3]] and page.rows[0].score == 100
    after = replace(p, after=[100, 7, 3])
    assert es.compile_search(after).to_dict()["search_after"] == [100 + offset, 7, 3]
