"""Location normalisation on real strings (``tests/data/locations/locations.txt``) and our rules.

The table holds strings from the shared file (each asserted to be in it) with what we expect
them to resolve to: category, city, region code, country code, remote flag. Extra rules the
file does not show (native names, addresses, postal codes) have their own table.
"""
from __future__ import annotations

from pathlib import Path

import pytest
from geopy.location import Location

from rediscover.indexer.geo import (
    CachingGeocoder,
    Locator,
    bounding_box,
    distance_km,
    locate,
    parse_lat_lon,
)

DATA = Path(__file__).parent.parent / "data" / "locations" / "locations.txt"
LINES = DATA.read_text(encoding="utf-8").splitlines()

# string -> (category, city, region, country, remote)
SAMPLE: dict[str, tuple[str, str | None, str | None, str | None, bool]] = {
    # city, every way of writing it
    "Seattle, WA": ("city", "Seattle", "US-WA", "US", False),
    "seattle": ("city", "Seattle", "US-WA", "US", False),
    "Seattle WA": ("city", "Seattle", "US-WA", "US", False),
    "Seattle, Wa": ("city", "Seattle", "US-WA", "US", False),
    "Seattle, Wash.": ("city", "Seattle", "US-WA", "US", False),
    "Seattle, U.S.A.": ("city", "Seattle", "US-WA", "US", False),
    "Seattle Washington, US": ("city", "Seattle", "US-WA", "US", False),
    "SEATTLE, WA": ("city", "Seattle", "US-WA", "US", False),
    "Seattle, WA ☔️": ("city", "Seattle", "US-WA", "US", False),
    "Near Seattle, WA": ("city", "Seattle", "US-WA", "US", False),
    "near Seattle, Washington, USA": ("city", "Seattle", "US-WA", "US", False),
    "Unceded Coast Salish land (Seattle, WA)": ("city", "Seattle", "US-WA", "US", False),
    "Berlin, DE": ("city", "Berlin", "DE-BE", "DE", False),
    "Berlin, Deutschland": ("city", "Berlin", "DE-BE", "DE", False),
    "Berlin, Earth, Milkiway": ("city", "Berlin", "DE-BE", "DE", False),
    "Berlin of Germany": ("city", "Berlin", "DE-BE", "DE", False),
    "Berlin, localhost": ("city", "Berlin", "DE-BE", "DE", False),
    "Bangalore, Karnataka (INDIA)": ("city", "Bengaluru", "IN-KA", "IN", False),
    "Bengaluru (Bangalore),Karnataka,India": ("city", "Bengaluru", "IN-KA", "IN", False),
    "Bangalore, IND": ("city", "Bengaluru", "IN-KA", "IN", False),
    "IISc Bangalore": ("city", "Bengaluru", "IN-KA", "IN", False),
    "electronic city bangalore": ("city", "Bengaluru", "IN-KA", "IN", False),
    "HQ: Bangalore, India. Presence: Worldwide": ("city", "Bengaluru", "IN-KA", "IN", False),
    "London, UK.": ("city", "London", "GB-ENG", "GB", False),
    "London, England, United Kingdom": ("city", "London", "GB-ENG", "GB", False),
    "London, Enland": ("city", "London", "GB-ENG", "GB", False),
    "London, GB": ("city", "London", "GB-ENG", "GB", False),
    "Paris, FRANCE": ("city", "Paris", "FR-IDF", "FR", False),
    "School 42 Paris, France": ("city", "Paris", "FR-IDF", "FR", False),
    "Aix en provence, France": ("city", "Aix-en-Provence", "FR-PAC", "FR", False),
    "Epinay sur seine, France": ("city", "Épinay-sur-Seine", "FR-IDF", "FR", False),
    "Levallois-Perret, 92300, Paris": ("city", "Levallois-Perret", "FR-IDF", "FR", False),
    "La Plage Strasbourg France": ("city", "Strasbourg", "FR-GES", "FR", False),
    "mulhouse": ("city", "Mulhouse", "FR-GES", "FR", False),
    "Toronto, ON, Canada": ("city", "Toronto", "CA-ON", "CA", False),
    "Vancouver, BC": ("city", "Vancouver", "CA-BC", "CA", False),
    "Chicago, IL, USA": ("city", "Chicago", "US-IL", "US", False),
    "Philadelphia, Pa": ("city", "Philadelphia", "US-PA", "US", False),
    "Edinburgh, UK": ("city", "Edinburgh", "GB-SCT", "GB", False),
    "NYC": ("city", "New York City", "US-NY", "US", False),
    "SF": ("city", "San Francisco", "US-CA", "US", False),
    "New York": ("city", "New York City", "US-NY", "US", False),
    # reversed order and joined with hyphens
    "Germany, Berlin": ("city", "Berlin", "DE-BE", "DE", False),
    "Germany-Berlin": ("city", "Berlin", "DE-BE", "DE", False),
    "Paris-France": ("city", "Paris", "FR-IDF", "FR", False),
    "France, Compiègne": ("city", "Compiègne", "FR-HDF", "FR", False),
    "India | Bangalore": ("city", "Bengaluru", "IN-KA", "IN", False),
    # homonyms: the hints decide, else the population
    "New Berlin, WI": ("city", "New Berlin", "US-WI", "US", False),
    "London, Ontario": ("city", "London", "CA-ON", "CA", False),
    "Orange, CA": ("city", "Orange", "US-CA", "US", False),
    "Cambridge, MA": ("city", "Cambridge", "US-MA", "US", False),
    "Arlington, VA": ("city", "Arlington", "US-VA", "US", False),
    "Washington, DC": ("city", "Washington", "US-DC", "US", False),
    "Porto/Berlin": ("city", "Porto", None, "PT", False),
    "Seattle, CA": ("city", "Seattle", "US-WA", "US", False),  # a typo: no Seattle there
    # metro areas (anchored on their core city)
    "Greater Seattle Area": ("city", "Seattle", "US-WA", "US", False),
    "Seattle Area": ("city", "Seattle", "US-WA", "US", False),
    "Paris Area": ("city", "Paris", "FR-IDF", "FR", False),
    "SF Bay Area, Seattle Metro, and New York City Metro Area": (
        "city", "San Francisco", "US-CA", "US", False,
    ),
    "Silicon Valley, CA & Seattle, WA": ("city", "San Jose", "US-CA", "US", False),
    # several places: the first one wins
    "portland ↝ seattle": ("city", "Portland", "US-OR", "US", False),
    "Hong Kong ↦ London": ("city", "Hong Kong", None, "HK", False),
    "Tokyo ⮀ Los Angeles ⮀ Berlin": ("city", "Tokyo", None, "JP", False),
    "Seattle -> St. Paul, MN": ("city", "Seattle", "US-WA", "US", False),
    "🇬🇧 London, UK | Wroclaw, PL 🇵🇱": ("city", "London", "GB-ENG", "GB", False),
    "Athens, Greece / Berlin, Germany": ("city", "Athens", None, "GR", False),
    "Paris, France - New York City, NY": ("city", "Paris", "FR-IDF", "FR", False),
    "Remote - Singapore": ("city", "Singapore", None, "SG", True),
    # remote, with or without a place
    "Berlin/Remote": ("city", "Berlin", "DE-BE", "DE", True),
    "Austin, TX or Remote": ("city", "Austin", "US-TX", "US", True),
    "US - Remote, Austin, United States": ("city", "Austin", "US-TX", "US", True),
    "Remote": ("remote", None, None, None, True),
    "Remote - US": ("remote", None, None, "US", True),
    "Remote in USA": ("remote", None, None, "US", True),
    "Remote Canada": ("remote", None, None, "CA", True),
    "United States (Remote)": ("remote", None, None, "US", True),
    "Remote - Europe": ("remote", None, None, None, True),
    "Remote - North America": ("remote", None, None, None, True),
    "EMEA - Remote": ("remote", None, None, None, True),
    "100% Remote, Europe": ("remote", None, None, None, True),
    "Remote: Colorado": ("remote", None, "US-CO", "US", True),
    # region only
    "California": ("region", None, "US-CA", "US", False),
    "Washington": ("region", None, "US-WA", "US", False),
    "Virginia": ("region", None, "US-VA", "US", False),
    "Nord-Pas-De-Calais, France": ("region", None, "FR-HDF", "FR", False),
    # country only
    "Canada": ("country", None, None, "CA", False),
    "United Kingdom": ("country", None, None, "GB", False),
    "France, 68/67": ("country", None, None, "FR", False),
    "Europe/US": ("country", None, None, "US", False),
    # nothing we can place
    "xxxoo": ("unresolved", None, None, None, False),
    "Multiple Locations": ("unresolved", None, None, None, False),
    "IFOC": ("unresolved", None, None, None, False),
}

# Rules the shared file does not exercise.
EXTRA: dict[str, tuple[str, str | None, str | None, str | None, bool]] = {
    "München": ("city", "Munich", "DE-BY", "DE", False),
    "Köln, Deutschland": ("city", "Köln", "DE-NW", "DE", False),
    "Cologne": ("city", "Köln", "DE-NW", "DE", False),
    "Zürich": ("city", "Zürich", None, "CH", False),
    "São Paulo, Brasil": ("city", "São Paulo", None, "BR", False),
    "Sao Paulo": ("city", "São Paulo", None, "BR", False),
    "Wien": ("city", "Vienna", None, "AT", False),
    "Greater London": ("city", "London", "GB-ENG", "GB", False),
    "Greater Boston Area": ("city", "Boston", "US-MA", "US", False),
    "Bay Area": ("city", "San Francisco", "US-CA", "US", False),
    "Paris, TX": ("city", "Paris", "US-TX", "US", False),
    "Remote (EMEA)": ("remote", None, None, None, True),
    "Anywhere": ("remote", None, None, None, True),
    "Austin, TX 78701": ("city", "Austin", "US-TX", "US", False),
    "Toronto, ON M5V 2T6": ("city", "Toronto", "CA-ON", "CA", False),
    "Cambridge CB2 1TN, UK": ("city", "Cambridge", "GB-ENG", "GB", False),
    "1 Infinite Loop\nCupertino, CA 95014\nUSA": ("city", "Cupertino", "US-CA", "US", False),
    "Bavaria": ("region", None, "DE-BY", "DE", False),
    "Karnataka, India": ("region", None, "IN-KA", "IN", False),
    "Deutschland": ("country", None, None, "DE", False),
}


def _summary(text: str) -> tuple[str, str | None, str | None, str | None, bool]:
    place = locate(text)
    return place.category, place.city, place.region, place.country_code, place.remote


def test_the_sample_is_large_and_taken_from_the_shared_file():
    assert len(SAMPLE) >= 60
    assert set(SAMPLE) <= set(LINES)
    categories = {expected[0] for expected in SAMPLE.values()}
    assert categories == {"city", "region", "country", "remote", "unresolved"}


@pytest.mark.parametrize("text", list(SAMPLE))
def test_shared_strings_resolve_as_expected(text):
    assert _summary(text) == SAMPLE[text]


@pytest.mark.parametrize("text", list(EXTRA))
def test_other_rules(text):
    assert _summary(text) == EXTRA[text]


def test_city_results_carry_coordinates_and_coarser_ones_do_not():
    seattle = locate("Seattle, WA")
    assert seattle.has_point
    assert distance_km(seattle.latitude, seattle.longitude, 47.61, -122.33) < 5
    for text in ("California", "Canada", "Remote - US", "xxxoo"):
        place = locate(text)
        assert (place.latitude, place.longitude, place.has_point) == (None, None, False)


def test_most_of_the_shared_file_resolves_to_a_city():
    places = [locate(line) for line in LINES]
    share = sum(p.category == "city" for p in places) / len(places)
    unresolved = sum(p.category == "unresolved" for p in places) / len(places)
    assert share > 0.85 and unresolved < 0.05


def test_structured_address():
    locator = Locator()
    address = {"street": "Karl-Liebknecht-Str. 1", "city": "Berlin", "postal_code": "10178",
               "country": "DE"}
    place = locator.locate_address(address)
    assert (place.city, place.country_code) == ("Berlin", "DE")
    assert locator.locate_address({}) == locator.locate(None)
    assert locator.locate_address({"state": "CA", "country": "US"}).region == "US-CA"


# --------------------------------------------------------------------------- filter values


def test_filter_values():
    locator = Locator()
    assert locator.country_code("de") == "DE"
    assert locator.country_code("Germany") == "DE"
    assert locator.country_code("DEU") == "DE"
    assert locator.country_code("UK") == "GB"
    assert locator.country_code("Narnia") is None
    assert locator.region_codes("US-WA") == ["US-WA"]
    assert locator.region_codes("Washington") == ["US-WA"]
    assert locator.region_codes("ontario") == ["CA-ON"]
    assert locator.region_codes("Mordor") == []
    assert locator.point("47.6, -122.3") == (47.6, -122.3)
    assert locator.point("Nowhere Special") is None
    lat, lon = locator.point("München")
    assert distance_km(lat, lon, 48.14, 11.58) < 5


@pytest.mark.parametrize(
    "text, expected",
    [("47.6,-122.3", (47.6, -122.3)), (" -33.9 , 151.2 ", (-33.9, 151.2)),
     ("91,0", None), ("0,181", None), ("Seattle", None), ("1,2,3", None)],
)
def test_parse_lat_lon(text, expected):
    assert parse_lat_lon(text) == expected


def test_distances_and_boxes():
    # Berlin -> Potsdam is about 27 km; Berlin -> Munich about 504 km.
    assert 25 < distance_km(52.52, 13.405, 52.3906, 13.0645) < 30
    assert 495 < distance_km(52.52, 13.405, 48.137, 11.575) < 515
    lat_min, lat_max, lon_min, lon_max = bounding_box(52.52, 13.405, 50)
    assert lat_min < 52.52 - 0.44 and lat_max > 52.52 + 0.44
    assert lon_max - 13.405 > 0.7  # a degree of longitude is shorter up north
    assert bounding_box(89.9, 0, 50)[2:] == (-180.0, 180.0)
    assert bounding_box(0, 179.9, 50)[3] > 180  # crosses the antimeridian: caller wraps


# --------------------------------------------------------------------------- online fallback


class FakeGeocoder:
    """Stands in for Nominatim: answers from a dict and records every query."""

    def __init__(self, answers: dict[str, Location | None]) -> None:
        self.answers = answers
        self.queries: list[str] = []

    def geocode(self, query: str, **kwargs):
        self.queries.append(query)
        return self.answers.get(query)


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def _location(lat: float, lon: float, **address: str) -> Location:
    return Location("somewhere", (lat, lon, 0.0), {"address": address})


def test_geocoder_is_only_asked_what_the_gazetteer_cannot_place_and_only_once():
    fake = FakeGeocoder({"Plobannalec-Lesconil": _location(47.8, -4.2, village="Plobannalec",
                                                           country_code="fr")})
    clock = FakeClock()
    locator = Locator(geocoder=CachingGeocoder(fake, clock=clock, sleep=clock.sleep))
    assert locator.locate("Seattle, WA").city == "Seattle"
    place = locator.locate("Plobannalec-Lesconil")
    assert (place.city, place.country_code, place.has_point) == ("Plobannalec", "FR", True)
    locator.locate("xxxoo")
    locator.locate("Remote")  # remote is an answer in itself, not something to look up
    assert fake.queries == ["Plobannalec-Lesconil", "xxxoo"]
    assert locator.locate("xxxoo").category == "unresolved"
    assert fake.queries == ["Plobannalec-Lesconil", "xxxoo"]  # cached, misses included


def test_geocoder_requests_are_spaced_by_a_second():
    fake = FakeGeocoder({})
    clock = FakeClock()
    geocoder = CachingGeocoder(fake, clock=clock, sleep=clock.sleep)
    for query in ("a", "b", "a", "c"):
        geocoder.geocode(query)
    assert fake.queries == ["a", "b", "c"]
    assert clock.sleeps == [1.0, 1.0]


def test_geocoder_errors_are_not_answers():
    class Failing(FakeGeocoder):
        def geocode(self, query: str, **kwargs):
            super().geocode(query)
            raise TimeoutError("service unavailable")

    fake = Failing({})
    clock = FakeClock()
    locator = Locator(geocoder=CachingGeocoder(fake, clock=clock, sleep=clock.sleep))
    assert locator.locate("xxxoo").category == "unresolved"
    assert Locator(geocoder=CachingGeocoder(fake, clock=clock, sleep=clock.sleep)).locate(
        "xxxoo"
    ).category == "unresolved"
    assert fake.queries == ["xxxoo", "xxxoo"]  # the failure was not cached


def test_online_geocoder_needs_a_user_agent():
    from rediscover.indexer.geo import make_online_geocoder

    with pytest.raises(ValueError, match="user agent"):
        make_online_geocoder("  ")
    geocoder = make_online_geocoder("rediscover-tests/0.1 (ops@example.com)")
    assert geocoder.min_delay == 1.0  # Nominatim: one request a second at most
