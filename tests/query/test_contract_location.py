"""The backend contract for location filters: ``near`` + ``radius``, ``countries``, ``regions``.

Runs once per backend like ``test_contract.py``. Distances from Berlin's centre, by the
gazetteer: Potsdam 27 km, Eberswalde 44 km, Hamburg 255 km, Munich 505 km.
"""
from __future__ import annotations

import pytest
from factories import make_job, make_person

from rediscover.query.errors import InvalidQuery
from rediscover.query.filters import SearchRequest

BERLIN = "52.52437,13.41053"


@pytest.fixture
def located(world):
    job = make_job(world.conn, "Engineer")
    people = {
        "Bea Berlin": "Berlin, Germany",
        "Paul Potsdam": "Potsdam",
        "Ella Eberswalde": "Eberswalde, DE",
        "Hans Hamburg": "Hamburg",
        "Mia München": "München",
        "Sam Seattle": "Seattle, WA",
        "Rita Remote": "Remote - Germany",
        "Ben Berlin-or-remote": "Berlin / Remote",
        "Wanda Washington": "Washington",
        "Nina Nowhere": None,
        "Xavier Unknown": "xxxoo",
    }
    for name, location in people.items():
        make_person(world.conn, name, dict(job=job), location=location)
    world.index()
    return world


def test_near_matches_people_inside_the_radius_only(located):
    assert located.found(near="Berlin") == {"Bea Berlin", "Paul Potsdam", "Ella Eberswalde",
                                            "Ben Berlin-or-remote"}
    assert located.found(near="Berlin", radius="30km") == {"Bea Berlin", "Paul Potsdam",
                                                           "Ben Berlin-or-remote"}
    assert located.found(near="Berlin", radius="300km") == {
        "Bea Berlin", "Paul Potsdam", "Ella Eberswalde", "Ben Berlin-or-remote", "Hans Hamburg"
    }
    assert located.found(near=BERLIN, radius="10km") == {"Bea Berlin", "Ben Berlin-or-remote"}


def test_radius_in_miles_is_not_kilometres(located):
    # Eberswalde is 44 km away: inside 30 mi (48 km), outside 30 km and 25 mi (40 km).
    assert "Ella Eberswalde" in located.found(near=BERLIN, radius="30mi")
    assert "Ella Eberswalde" not in located.found(near=BERLIN, radius="30km")
    assert "Ella Eberswalde" not in located.found(near=BERLIN, radius="25 mi")
    assert "Ella Eberswalde" in located.found(near=BERLIN, radius=45)  # a bare number is km


def test_near_takes_native_names_and_coordinates(located):
    assert located.found(near="München", radius="20km") == {"Mia München"}
    assert located.found(near="47.61,-122.33") == {"Sam Seattle"}


def test_remote_people_join_near_only_when_asked(located):
    assert "Rita Remote" not in located.found(near="Berlin", radius="500km")
    with_remote = located.found(near="Hamburg", include_remote=True)
    assert with_remote == {"Hans Hamburg", "Rita Remote", "Ben Berlin-or-remote"}


def test_people_without_a_city_never_match_near(located):
    everywhere = located.found(near="Berlin", radius="20000km")
    assert {"Nina Nowhere", "Xavier Unknown", "Wanda Washington", "Rita Remote"}.isdisjoint(
        everywhere
    )
    assert "Sam Seattle" in everywhere
    assert "Nina Nowhere" not in located.found(near="Berlin", radius="20000km",
                                               include_remote=True)


def test_country_and_region_filters(located):
    germans = {"Bea Berlin", "Paul Potsdam", "Ella Eberswalde", "Hans Hamburg", "Mia München",
               "Rita Remote", "Ben Berlin-or-remote"}
    assert located.found(countries=["DE"]) == germans
    assert located.found(countries=["germany"]) == germans
    assert located.found(countries=["US"]) == {"Sam Seattle", "Wanda Washington"}
    assert located.found(countries=["US", "DE"]) == germans | {"Sam Seattle", "Wanda Washington"}
    assert located.found(countries=["FR"]) == set()
    assert located.found(regions=["US-WA"]) == {"Sam Seattle", "Wanda Washington"}
    assert located.found(regions=["Bavaria"]) == {"Mia München"}
    assert located.found(countries=["DE"], near="Hamburg", radius="100km") == {"Hans Hamburg"}


def test_country_facet_counts_people(located):
    counts = located.facets()["country"]
    assert counts == {"Germany": 7, "United States": 2}
    assert located.facets(near="Berlin")["country"] == {"Germany": 4}


def test_rows_keep_the_location_as_written(located):
    rows = {r.name: r.location for r in located.search(countries=["US"]).results}
    assert rows == {"Sam Seattle": "Seattle, WA", "Wanda Washington": "Washington"}


def test_application_location_counts_when_the_candidate_has_none(world):
    job = make_job(world.conn)
    cand = make_person(world.conn, "Ava Applied", dict(job=job))
    cand.applications[0].location = "Toronto, ON"
    make_person(world.conn, "Wes Work", dict(job=job), work_location="Vancouver, BC")
    world.index()
    assert world.found(regions=["CA-ON"]) == {"Ava Applied"}
    assert world.found(countries=["CA"]) == {"Ava Applied", "Wes Work"}


@pytest.mark.parametrize(
    "filters, field",
    [
        ({"near": "Atlantis Under The Sea"}, "near"),
        ({"near": "California"}, "near"),  # a region is not a point
        ({"near": "95,10"}, "near"),
        ({"near": "Berlin", "radius": "far"}, "radius"),
        ({"near": "Berlin", "radius": "0km"}, "radius"),
        ({"near": "Berlin", "radius": "99999km"}, "radius"),
        ({"radius": "10km"}, "radius"),
        ({"countries": ["Narnia"]}, "countries"),
        ({"regions": ["Mordor"]}, "regions"),
    ],
)
def test_bad_location_filters_name_their_field(filters, field):
    with pytest.raises(InvalidQuery) as caught:
        SearchRequest.from_dict(filters)
    assert caught.value.field == field


def test_location_filters_round_trip():
    request = SearchRequest.from_dict(
        {"near": "Berlin", "radius": "30mi", "countries": ["de"], "regions": ["washington"],
         "include_remote": True}
    )
    assert request.to_dict() == {"near": "Berlin", "radius": "48.2803km", "countries": ["DE"],
                                 "regions": ["US-WA"], "include_remote": True}
    assert SearchRequest.from_dict(request.to_dict()).radius == pytest.approx(request.radius,
                                                                              abs=1e-3)
