"""The Elasticsearch compiler's location clauses, compared as dicts (no cluster)."""
from __future__ import annotations

import pytest

from rediscover.query import elasticsearch as es
from rediscover.query import sqlite as embedded
from rediscover.query.filters import SearchRequest, Viewer
from rediscover.query.search import plan_search

VIEWER = Viewer(team_id=7)
BERLIN = {"lat": 52.52, "lon": 13.405}


def plan(**filters):
    return plan_search(SearchRequest.from_dict(filters), VIEWER)


def person_filters(**filters):
    """The location clauses, checked to sit among the query's filters."""
    clauses = [q.to_dict() for q in es.location_filters(SearchRequest.from_dict(filters))]
    query_filters = es.build_query(plan(**filters)).to_dict()["bool"]["filter"]
    assert all(clause in query_filters for clause in clauses)
    return clauses


def test_near_is_a_geo_distance_in_kilometres():
    assert person_filters(near="52.52,13.405", radius="30mi") == [
        {"geo_distance": {"distance": f"{30 * 1.609344}km", "geo": BERLIN}}
    ]


def test_include_remote_widens_near_to_remote_people():
    assert person_filters(near="52.52,13.405", include_remote=True) == [
        {"bool": {"should": [{"geo_distance": {"distance": "50.0km", "geo": BERLIN}},
                             {"term": {"remote": True}}],
                  "minimum_should_match": 1}}
    ]


def test_countries_and_regions_are_terms():
    assert person_filters(countries=["de", "France"], regions=["Washington"]) == [
        {"terms": {"country_code": ["DE", "FR"]}},
        {"terms": {"region": ["US-WA"]}},
    ]


def test_country_facet_is_a_top_level_terms_aggregation():
    body = es.compile_facets(plan()).to_dict()
    assert body["aggs"]["country"] == {"terms": {"field": "country_code", "size": es.TERMS_SIZE}}
    raw = {"aggregations": {"country": {"buckets": [{"key": "US", "doc_count": 2},
                                                    {"key": "DE", "doc_count": 5}]}}}
    countries = es.read_facets(raw)["country"]
    assert [(v.value, v.label, v.count) for v in countries] == [("DE", "Germany", 5),
                                                                 ("US", "United States", 2)]


@pytest.mark.parametrize("lon", [179.9, -179.9])
def test_embedded_near_box_splits_at_the_antimeridian(lon):
    sql = embedded.compile_search(plan(near=f"0,{lon}", radius="100km"))[0].sql
    assert "pe.lon >= " in sql and " OR pe.lon <= " in sql and "rd_distance_km(" in sql
