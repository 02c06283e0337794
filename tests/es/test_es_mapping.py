"""The index definition: every document field is mapped, and the analysers fold and stem."""
from __future__ import annotations

from dataclasses import fields
from datetime import datetime, timezone

import pytest

from rediscover.indexer.backends.elasticsearch import to_source
from rediscover.indexer.documents import ApplicationDoc, PersonDocument
from rediscover.mappings.elasticsearch import MAPPING_VERSION, index_body, mapping_version

BODY = index_body("test_mapping-1", replicas=0, refresh_interval="-1")
PROPS = BODY["mappings"]["properties"]
APP_PROPS = PROPS["applications"]["properties"]


def test_every_document_field_is_mapped():
    assert {f.name for f in fields(PersonDocument)} <= set(PROPS)
    assert {f.name for f in fields(ApplicationDoc)} <= set(APP_PROPS)


def test_a_stored_document_matches_the_mapping_exactly():
    app = ApplicationDoc(1, 2, 3, "Señor  Engineer", "closed", sources=["LinkedIn"],
                         source_keys=["linkedin"], positive=3, negative=1)
    doc = PersonDocument(1, 1, "Zoë", tags=["Go", "GO "], tag_keys=["go", "go"],
                         applications=[app], as_of=datetime(2024, 1, 1, tzinfo=timezone.utc))
    source = to_source(doc)
    assert set(source) <= set(PROPS) and set(source["applications"][0]) <= set(APP_PROPS)
    assert source["tag_entries"] == [{"key": "go", "name": "GO "}]  # one name per key
    derived = source["applications"][0]
    assert (derived["ratio"], derived["job_title_key"]) == (0.75, "senor engineer")
    assert derived["source_entries"] == [{"key": "linkedin", "name": "LinkedIn"}]


def test_the_definition_is_strict_and_versioned():
    assert BODY["mappings"]["dynamic"] == "strict"
    assert mapping_version(BODY["mappings"]) == MAPPING_VERSION
    assert BODY["settings"]["number_of_replicas"] == 0
    assert BODY["settings"]["refresh_interval"] == "-1"
    assert PROPS["applications"]["type"] == "nested"
    assert APP_PROPS["source_entries"]["type"] == "nested"
    assert PROPS["geo"]["type"] == "geo_point"
    assert APP_PROPS["status"]["type"] == "keyword"


@pytest.mark.elasticsearch
@pytest.mark.parametrize(
    ("analyzer", "text", "tokens"),
    [
        ("rd_folded", "Zoë Ångström-Müller", ["zoe", "angstrom", "muller"]),
        ("rd_english", "Engineers engineering RUNNING Zoë", ["engin", "engin", "run", "zoe"]),
    ],
)
def test_analysers_fold_case_and_accents_and_stem_english(es_backend, analyzer, text, tokens):
    index = es_backend.live_indices()[0]
    result = es_backend.client.indices.analyze(index=index, analyzer=analyzer, text=text)
    assert [t["token"] for t in result["tokens"]] == tokens


def test_a_located_document_gets_a_geo_point_and_an_unlocated_one_none():
    located = PersonDocument(1, 1, "Ada", city="Berlin", country_code="DE", latitude=52.5,
                             longitude=13.4, geo_precision="city")
    assert to_source(located)["geo"] == {"lat": 52.5, "lon": 13.4}
    assert to_source(PersonDocument(2, 1, "Bo", country_code="DE"))["geo"] is None
    assert {"geo", "city", "region", "country_code", "remote"} <= set(PROPS)
    assert PROPS["geo"] == {"type": "geo_point"}
