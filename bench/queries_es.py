"""The query mix written by hand as Elasticsearch JSON (the pair of ``bench.queries.MIX``).

Each body is the same recruiter's search as the SQL in ``bench.queries``: people of the team,
no open application (unless active ones are included), at least one seen (closed, or open
too, never confidential) application satisfying the application conditions together, person
conditions, last-in-process bounds, keywords in the person's text or a seen application's,
ordered by the newest seen activity then person id. Written with no scores at all (a
hand-written recency query has no use for them), so the ratio includes what our layer adds.
"""
from __future__ import annotations

from typing import Any

from bench.queries import PAGE, Query

APP = "applications"
PERSON_WORDS = ["name", "title", "company", "tags", "resume_text"]
PERSON_PREFIXES = ["name", "title.folded", "company", "tags.folded", "resume_text.folded"]
APP_WORDS = [f"{APP}.job_title", f"{APP}.resume_text"]
APP_PREFIXES = [f"{APP}.job_title.folded", f"{APP}.resume_text.folded"]
SOURCE_EXCLUDES = ["resume_text", f"{APP}.resume_text"]


def _range(field: str, **bounds: Any) -> dict:
    return {"range": {f"{APP}.{field}": bounds}}


def _rank(at_least: int) -> dict:
    return _range("milestone_rank", gte=at_least)


def _text(words: str, kind: str = "phrase") -> list[dict]:
    if kind == "bool_prefix":  # unstemmed fields: "kaf*" finds "kafka"
        return [{"multi_match": {"query": words, "type": kind, "operator": "and",
                                 "fields": fields}} for fields in (PERSON_PREFIXES, APP_PREFIXES)]
    return [{"multi_match": {"query": words, "type": kind, "fields": fields}}
            for fields in (PERSON_WORDS, APP_WORDS)]


# name -> (conditions on one seen application, person conditions, last-in-process
# (after, before) days, keyword (words, multi_match type)).
BODIES: dict[str, dict[str, Any]] = {
    "reached onsite": {"app": [_rank(5)]},
    "reached offer": {"app": [_rank(6)]},
    "onsite, other candidate hired": {"app": [
        _rank(5), {"term": {f"{APP}.rejection_reason_key": "hired another candidate"}}]},
    "onsite, good scorecards": {"app": [_rank(5), _range("ratio", gte=0.75)]},
    "onsite, no strong no": {"app": [_rank(5)], "no_strong_no": True},
    "assessment, idle 6 months": {"app": [_rank(4)], "lip": (None, "2026-05-01")},
    "screened in 2025": {"app": [_rank(2)], "lip": ("2025-01-01", "2026-01-01")},
    "python": {"text": ("python", "phrase")},
    "python onsite": {"app": [_rank(5)], "text": ("python", "phrase")},
    "kafka prefix": {"text": ("kaf", "bool_prefix")},
    "phrase": {"text": ("distributed systems", "phrase")},
    "tag python": {"person": [{"term": {"tag_keys": "python"}}]},
    "tag + onsite": {"app": [_rank(5)], "person": [{"term": {"tag_keys": "kubernetes"}}]},
    "referrals at hm screen": {"app": [_rank(3), {"term": {f"{APP}.source_keys": "referral"}}]},
    "job title engineer": {"app": [
        _rank(5), {"wildcard": {f"{APP}.job_title_key": {"value": "*engineer*"}}}]},
    "job 3 onsite": {"app": [{"term": {f"{APP}.job_id": 3}}, _rank(5)]},
    "compensation": {"app": [
        {"term": {f"{APP}.rejection_reason_key": "compensation expectations"}}]},
    "applied 2024": {"app": [_range("applied_at", gte="2024-01-01", lt="2025-01-01"), _rank(3)]},
    "everyone": {},
    "include active onsite": {"app": [_rank(5)], "active": True},
}


def raw_body(q: Query, team_id: int) -> dict[str, Any]:
    """The hand-written search body of ``q``."""
    spec = BODIES[q.name]
    statuses = ["closed", "open"] if spec.get("active") else ["closed"]
    seen = [{"terms": {f"{APP}.status": statuses}}, {"term": {f"{APP}.confidential": False}}]

    def on_seen(*conds: dict) -> dict:
        return {"nested": {"path": APP, "query": {"bool": {"filter": [*seen, *conds]}}}}

    filters: list[dict] = [{"term": {"team_id": team_id}}, on_seen(*spec.get("app", []))]
    must_not: list[dict] = []
    if not spec.get("active"):
        filters.append({"term": {"has_open": False}})
    filters += spec.get("person", [])
    if spec.get("no_strong_no"):
        must_not.append(on_seen(_range("strong_no", gt=0)))
    after, before = spec.get("lip", (None, None))
    if after:
        filters.append(on_seen(_range("last_activity_at", gte=after)))
    if before:  # some seen activity before, none at or after
        filters.append(on_seen(_range("last_activity_at", lt=before)))
        must_not.append(on_seen(_range("last_activity_at", gte=before)))
    if "text" in spec:
        person, app = _text(*spec["text"])
        filters.append({"bool": {"should": [person, on_seen(app)], "minimum_should_match": 1}})
    return {
        "query": {"bool": {"filter": filters, "must_not": must_not}},
        "sort": [
            {f"{APP}.last_activity_at": {"order": "desc", "mode": "max", "missing": "_last",
                                         "nested": {"path": APP,
                                                    "filter": {"bool": {"filter": seen}}}}},
            {"person_id": {"order": "asc"}},
        ],
        "size": PAGE,
        "track_total_hits": True,
        "_source": {"excludes": SOURCE_EXCLUDES},
    }


def run_raw_es(client: Any, index: str, q: Query, team_id: int) -> tuple[int, list[int]]:
    """Run the hand-written body; (total, first-page person ids)."""
    hits = client.search(index=index, body=raw_body(q, team_id)).body["hits"]
    return int(hits["total"]["value"]), [int(h["_source"]["person_id"]) for h in hits["hits"]]
