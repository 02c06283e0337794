"""The Elasticsearch index definition: one document per person, applications nested.

Declarations only (no client, no I/O): ``build_index(name)`` returns an
``elasticsearch.dsl.Index`` whose ``to_dict()`` is the create-index body. Index names are
always passed in explicitly; the backend versions them behind an alias.

Field names follow ``rediscover.indexer.documents`` (plus a few fields derived from them when
a document is stored: see ``to_source`` in the backend). Bump ``MAPPING_VERSION`` whenever a
field, analyser or setting changes: the backend's ``setup()`` refuses an index of another
version and asks for a rebuild, which builds a fresh index with this definition.
"""
from __future__ import annotations

from typing import Any

from elasticsearch.dsl import (
    Boolean,
    Date,
    Document,
    Double,
    GeoPoint,
    Index,
    InnerDoc,
    Integer,
    Keyword,
    Long,
    MetaField,
    Nested,
    Text,
    analyzer,
    normalizer,
    token_filter,
)

MAPPING_VERSION = 4  # 2: has_resume_text; 3: location fields; 4: shared rejection reasons, evaluations, ranking inputs
NESTED_PATH = "applications"

# Porter stemming (the "english" stemmer) after folding. No stop words and no
# possessive filter on purpose: stop words would make phrases like "head of data"
# unmatchable, and osmem's possessive_english filter breaks matching altogether.
english_stemmer = token_filter("rd_english_stemmer", type="stemmer", language="english")

folded = analyzer(
    "rd_folded",
    tokenizer="standard",
    filter=["lowercase", "asciifolding"],
)
"""Case and accent folding only (Zoë == zoe): names and prefix matching."""

english = analyzer(
    "rd_english",
    tokenizer="standard",
    filter=["lowercase", "asciifolding", english_stemmer],
)
"""Folding plus English stemming (engineers == engineering): free text and titles."""

keyword_folded = normalizer("rd_keyword_folded", filter=["lowercase", "asciifolding"])
"""Keyword form that compares case- and accent-insensitively (sorting, exact names)."""


def search_text(**subfields: Any) -> Text:
    """A stemmed keyword-searchable field; ``.folded`` (unstemmed) serves prefix* queries."""
    return Text(analyzer=english, fields={"folded": Text(analyzer=folded), **subfields})


def name_text(**subfields: Any) -> Text:
    """A proper-noun field: folded, never stemmed (Williams is not William)."""
    return Text(analyzer=folded, fields=subfields) if subfields else Text(analyzer=folded)


def display_keyword() -> Keyword:
    """A value shown to people and used as a facet label, never analysed."""
    return Keyword(ignore_above=1024)


class LabelEntry(InnerDoc):
    """A (key, display name) pair: a facet counts by key and labels with the smallest name."""

    key = Keyword()
    name = display_keyword()


class ApplicationMapping(InnerDoc):
    """One non-prospect, non-hired application (``ApplicationDoc``)."""

    application_id = Long()
    connection_id = Long()
    job_id = Long()
    job_title = search_text(raw=display_keyword())  # .raw: the job facet's label
    # indexer.text.fold(job_title): "job title contains" is a substring test on it
    job_title_key = Keyword()
    status = Keyword()  # open / closed
    confidential = Boolean()
    access = Keyword()  # "<connection_id>:<remote user id>" of the job's team
    requisition_id = Keyword()
    stage_name = display_keyword()
    milestone = Keyword()
    milestone_rank = Integer()
    rejection_reason = display_keyword()
    rejection_reason_key = Keyword()
    rejection_type = Keyword()
    reason_category = Keyword()  # shared reason (mappings.reasons)
    reengage_safe = Boolean()
    sources = display_keyword()
    source_keys = Keyword()
    source_entries = Nested(LabelEntry)
    applied_at = Date()
    rejected_at = Date()
    last_activity_at = Date()
    positive = Integer()
    negative = Integer()
    strong_no = Integer()
    strong_yes = Integer()
    pending = Integer()
    # positive / (positive + negative), absent without such cards: a range filter on it is
    # the scorecard-ratio filter (no scripts: osmem cannot run them on nested documents).
    ratio = Double()
    ratio_tenths = Integer()  # the ratio in tenths: best-match ranking counts it by term
    assessment_pct = Double()  # best finished assessment, percent
    assessment_tenths = Integer()
    video_completed = Boolean()
    references_completed = Boolean()
    resume_text = search_text()
    has_resume_text = Boolean()


class PersonMapping(Document):
    """One searchable person (``PersonDocument``)."""

    person_id = Long()
    team_id = Long()
    name = name_text(sort=Keyword(normalizer=keyword_folded))
    title = search_text()
    company = name_text()
    emails = Keyword()  # normalised; matched by the exact email filter only
    tags = search_text()  # display names, keyword-searchable
    tag_keys = Keyword()  # normalize_label of each: the tag filter
    tag_entries = Nested(LabelEntry)  # the tag facet
    location = Text(analyzer=folded)  # as written
    city = Keyword()
    region = Keyword()  # ISO 3166-2 code
    country_code = Keyword()  # ISO 3166-1 alpha-2: the countries filter and facet
    latitude = Double()  # as in the document (display); ``geo`` is what queries use
    longitude = Double()
    geo = GeoPoint()  # latitude/longitude of a city or metro area (what ``near`` matches)
    geo_precision = Keyword()
    remote = Boolean()
    location_derived = Boolean()
    origins = Keyword()
    has_open = Boolean()
    resume_text = search_text()
    has_resume_text = Boolean()
    as_of = Date()
    applications = Nested(ApplicationMapping)

    class Meta:
        # Unknown fields are an error, not a silent new mapping: drift shows up as failed
        # bulk items (and in tests) instead of a field nobody queries.
        dynamic = MetaField("strict")


# Where each keyword-searchable field lives: (stemmed field for words and phrases, unstemmed
# field for prefix*). Boosts come from rediscover.query.ranking by the dict key.
PERSON_TEXT_FIELDS: dict[str, tuple[str, str]] = {
    "name": ("name", "name"),
    "title": ("title", "title.folded"),
    "company": ("company", "company"),
    "tags": ("tags", "tags.folded"),
    "resume_text": ("resume_text", "resume_text.folded"),
}
APPLICATION_TEXT_FIELDS: dict[str, tuple[str, str]] = {
    "job_title": (f"{NESTED_PATH}.job_title", f"{NESTED_PATH}.job_title.folded"),
    "resume_text": (f"{NESTED_PATH}.resume_text", f"{NESTED_PATH}.resume_text.folded"),
}
# Never needed to show a result, and by far the biggest part of a document.
SOURCE_EXCLUDES: tuple[str, ...] = ("resume_text", f"{NESTED_PATH}.resume_text")


def index_settings(*, shards: int = 1, replicas: int = 1, refresh_interval: str = "1s") -> dict:
    """The index-level settings (analysis is added by the DSL from the fields)."""
    return {
        "number_of_shards": shards,
        "number_of_replicas": replicas,
        "refresh_interval": refresh_interval,
    }


def build_index(name: str, **settings: Any) -> Index:
    """The definition of one concrete index called ``name`` (not created here)."""
    index = Index(name)
    index.settings(**index_settings(**settings))
    index.document(PersonMapping)
    index.get_or_create_mapping().meta("_meta", version=MAPPING_VERSION)
    return index


def index_body(name: str, **settings: Any) -> dict[str, Any]:
    """The create-index request body (``settings`` + ``mappings``) for ``name``."""
    return build_index(name, **settings).to_dict()


def mapping_version(mappings: dict[str, Any]) -> int | None:
    """The version recorded in a live index's mappings (None when there is none)."""
    version = (mappings.get("_meta") or {}).get("version")
    return int(version) if version is not None else None
