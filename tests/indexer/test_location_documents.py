"""Where a person's location comes from, and what their document says about it."""
from __future__ import annotations

from factories import at, make_job, make_person
from geopy.location import Location

from rediscover.indexer.build import build_document
from rediscover.indexer.geo import CachingGeocoder, Locator
from rediscover.indexer.merge import merge_all


def _doc(db, candidate, locator=None):
    merge_all(db)
    db.refresh(candidate)
    return build_document(db, candidate.person_id, locator)


def test_stated_location_is_normalised(db, conn):
    cand = make_person(conn, "Ada Lovelace", dict(job=make_job(conn)), location="Köln, Deutschland")
    doc = _doc(db, cand)
    assert (doc.location, doc.city, doc.region, doc.country_code) == (
        "Köln, Deutschland", "Köln", "DE-NW", "DE")
    assert doc.geo_precision == "city" and not doc.remote and not doc.location_derived
    assert 50.8 < doc.latitude < 51.0 and 6.8 < doc.longitude < 7.1


def test_structured_address_wins_over_free_text(db, conn):
    cand = make_person(conn, "Ada Lovelace", dict(job=make_job(conn)), location="Planet Earth",
                       address={"street": "1 Main St", "city": "Austin", "state": "TX",
                                "postal_code": "78701", "country": "US"})
    doc = _doc(db, cand)
    assert (doc.city, doc.region, doc.location) == ("Austin", "US-TX", "Planet Earth")


def test_a_city_beats_a_vaguer_stated_location(db, conn):
    job = make_job(conn)
    cand = make_person(conn, "Ada Lovelace", dict(job=job), location="Remote - US")
    cand.applications[0].location = "Denver, CO"
    doc = _doc(db, cand)
    assert (doc.city, doc.country_code, doc.remote) == ("Denver", "US", False)
    assert doc.location == "Remote - US"  # shown as the candidate wrote it


def test_remote_only_and_coarse_locations_have_no_point(db, conn):
    job = make_job(conn)
    remote = _doc(db, make_person(conn, "Rae Remote", dict(job=job), location="Remote (EMEA)"))
    assert (remote.remote, remote.latitude, remote.geo_precision) == (True, None, None)
    region = _doc(db, make_person(conn, "Cal Region", dict(job=job), location="California"))
    assert (region.region, region.geo_precision, region.latitude) == ("US-CA", "region", None)


def test_work_entry_location_is_used_only_when_nothing_is_stated_and_says_so(db, conn):
    job = make_job(conn)
    derived = _doc(db, make_person(conn, "Wes Work", dict(job=job), work_location="Lyon, France"))
    assert (derived.city, derived.location_derived, derived.location) == ("Lyon", True,
                                                                           "Lyon, France")
    stated = _doc(db, make_person(conn, "Sue Stated", dict(job=job), location="xxxoo",
                                  work_location="Lyon, France"))
    assert (stated.city, stated.location_derived, stated.location) == (None, False, "xxxoo")


def test_newest_record_speaks_first_across_merged_records(db, conn, conn2):
    job, job2 = make_job(conn), make_job(conn2)
    make_person(conn, "Ada Lovelace", dict(job=job), emails=["ada@x.io"], location="Paris",
                remote_updated_at=at(1))
    newer = make_person(conn2, "Ada Lovelace", dict(job=job2), emails=["ada@x.io"],
                        location="London, UK", remote_updated_at=at(5))
    assert _doc(db, newer).city == "London"


def test_an_online_geocoder_places_what_the_gazetteer_cannot(db, conn):
    class DictGeocoder:
        def __init__(self):
            self.queries = []

        def geocode(self, query, **kwargs):
            self.queries.append(query)
            return {"Plobannalec-Lesconil": Location(
                "Plobannalec-Lesconil", (47.8167, -4.2167, 0),
                {"address": {"village": "Plobannalec-Lesconil", "country_code": "fr"}},
            )}.get(query)

    fake = DictGeocoder()
    locator = Locator(geocoder=CachingGeocoder(fake, sleep=lambda s: None))
    job = make_job(conn)
    cand = make_person(conn, "Pia Plo", dict(job=job), location="Plobannalec-Lesconil")
    doc = _doc(db, cand, locator)
    assert (doc.city, doc.country_code, doc.geo_precision) == ("Plobannalec-Lesconil", "FR",
                                                               "city")
    assert _doc(db, cand).city is None  # the default locator stays offline
    assert fake.queries == ["Plobannalec-Lesconil"]
