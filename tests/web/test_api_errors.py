"""Every bad input is a 4xx JSON error naming the field; never a 500."""
from __future__ import annotations

import pytest


def assert_error(response, status: int, code: str, field: str | None = None) -> dict:
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.is_json
    error = response.get_json()["error"]
    assert error["code"] == code
    assert error["message"]
    if field is not None:
        assert error.get("field") == field
    return error


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"reached_stag": "onsite"}, "reached_stag"),  # unknown filter
        ({"reached_stage": "onsight"}, "reached_stage"),  # unknown milestone
        ({"reached_stage": 3}, "reached_stage"),  # wrong type
        ({"job_ids": ["abc"]}, "job_ids"),
        ({"job_ids": [True]}, "job_ids"),
        ({"tags": 7}, "tags"),
        ({"scorecard_ratio": 1.5}, "scorecard_ratio"),
        ({"scorecard_ratio": "lots"}, "scorecard_ratio"),
        ({"include_active": "maybe"}, "include_active"),
        ({"last_in_process_before": "last tuesday"}, "last_in_process_before"),
        ({"last_in_process_after": "2024-13-01"}, "last_in_process_after"),
        ({"applied_after": "2024-05-01", "applied_before": "2024-04-01"}, "applied_after"),
        ({"limit": 0}, "limit"),
        ({"limit": "ten"}, "limit"),
        ({"sort": "random"}, "sort"),
        ({"emails": ["not-an-email"]}, "emails"),
        ({"query": "x" * 2000}, "query"),
        ({"near": "Atlantis Under The Sea"}, "near"),  # unknown place
        ({"near": "Berlin", "radius": "far"}, "radius"),
        ({"radius": "10km"}, "radius"),  # radius without near
        ({"countries": ["Narnia"]}, "countries"),
        ({"regions": ["Mordor"]}, "regions"),
    ],
)
def test_bad_filter_is_400_naming_the_field(client, auth, body, field):
    response = client.post("/api/v1/search", json=body, headers=auth)
    assert_error(response, 400, "invalid_filter" if field != "query" else "invalid_query", field)


@pytest.mark.parametrize("cursor", ["garbage!!", "e30", "W10"])  # not base64-json / {} / []
def test_bad_cursor_is_400(client, auth, cursor):
    response = client.post("/api/v1/search", json={"cursor": cursor}, headers=auth)
    assert_error(response, 400, "invalid_cursor", "cursor")


@pytest.mark.parametrize("query", ['"unclosed phrase', "(python AND", "python AND", "OR"])
def test_bad_keyword_syntax_is_400(client, auth, query):
    response = client.post("/api/v1/search", json={"query": query}, headers=auth)
    assert_error(response, 400, "invalid_query", "query")


def test_body_that_is_not_json_is_400(client, auth):
    response = client.post("/api/v1/search", data="{nope", headers=auth | {"Content-Type": "application/json"})
    assert_error(response, 400, "invalid_json")


def test_body_that_is_not_an_object_is_400(client, auth):
    response = client.post("/api/v1/search", json=["python"], headers=auth)
    assert_error(response, 400, "invalid_request")


def test_get_search_validates_query_parameters_too(client, auth):
    response = client.get("/api/v1/search?reached_stage=nope", headers=auth)
    assert_error(response, 400, "invalid_filter", "reached_stage")


def test_unknown_facet_is_400(client, auth):
    response = client.post("/api/v1/facets", json={"facets": ["colour"]}, headers=auth)
    assert_error(response, 400, "invalid_filter", "facets")


@pytest.mark.parametrize("path", ["/api/v1/search", "/api/v1/facets", "/api/v1/people/1", "/api/v1/sync/runs"])
def test_no_token_is_401_json(client, path):
    assert_error(client.get(path), 401, "unauthorized")


def test_wrong_token_is_401_json(client):
    response = client.get("/api/v1/search", headers={"Authorization": "Bearer rdk_wrong"})
    assert_error(response, 401, "unauthorized")


def test_unknown_person_is_404_json(client, auth):
    assert_error(client.get("/api/v1/people/987654", headers=auth), 404, "not_found")


def test_unknown_route_and_method_are_json(client, auth):
    assert_error(client.get("/api/v1/nope", headers=auth), 404, "not_found")
    assert_error(client.delete("/api/v1/search", headers=auth), 405, "method_not_allowed")


def test_openapi_document_is_served_and_lists_the_endpoints(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    assert spec["openapi"].startswith("3.")
    assert {"/search", "/facets", "/people/{person_id}", "/sync/runs"} <= set(spec["paths"])
    # every filter the model accepts is documented
    from dataclasses import fields

    from rediscover.query.filters import SearchRequest

    documented = set(spec["components"]["schemas"]["Filters"]["properties"])
    assert documented == {f.name for f in fields(SearchRequest)}


def test_location_filters_in_a_query_string(client, auth):
    ok = client.get("/api/v1/search?near=Berlin&radius=30mi&countries=DE&countries=FR"
                    "&regions=US-WA", headers=auth)
    assert ok.status_code == 200, ok.get_data(as_text=True)
    assert_error(client.get("/api/v1/search?near=Nowhere%20Special", headers=auth), 400,
                 "invalid_filter", "near")
