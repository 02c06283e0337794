"""The Elasticsearch compiler: a ``SearchPlan`` -> a search body, built with the DSL (no I/O).

One document per person with applications nested, so every rule is a ``nested`` clause over
the applications this viewer may see that count for this search (``seen``: closed, plus
open with ``include_active``; not on a confidential job whose team the viewer is off):

- application filters sit together in one nested clause, so one application must satisfy
  all of them; the same clause with no filters says "has a seen application at all";
- a keyword leaf matches the person's own text or the text of a seen application; the
  AND/OR/NOT tree is evaluated in filter context, and each positive leaf adds its score
  (``should``), like the embedded backend sums its best hit per leaf;
- last in process is the newest ``last_activity_at`` of seen applications: a nested max
  sort, and nested range clauses for its bounds;
- facets aggregate seen applications of matching people and count people with
  ``reverse_nested`` (never applications).

``read_search`` / ``read_facets`` turn the raw answer into rows and facet values; row
columns are computed here from ``_source`` by the same seen rule.
"""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any

from elasticsearch.dsl import A, Q, Search

from rediscover.core.milestones import LABELS, MILESTONES, RANK
from rediscover.indexer.geo import default_locator
from rediscover.indexer.text import fold
from rediscover.mappings.elasticsearch import (
    APPLICATION_TEXT_FIELDS,
    NESTED_PATH,
    PERSON_TEXT_FIELDS,
    SOURCE_EXCLUDES,
)
from rediscover.query.parser import And, Not, Or, Phrase, Prefix, Term, positive_leaves
from rediscover.mappings.reasons import SAFE, UNSAFE
from rediscover.query.plan import BEST_MATCH, RELEVANCE, RawPage
from rediscover.query.ranking import (
    APPLICATION_FIELD_BOOSTS,
    CARD_CAP,
    PERSON_FIELD_BOOSTS,
    RankingWeights,
    best_application,
    describe,
)
from rediscover.query.results import FACETS, FacetValue, ResultRow, ScorecardCounts

if TYPE_CHECKING:
    from elasticsearch.dsl.query import Query

    from rediscover.query.filters import SearchRequest, Viewer
    from rediscover.query.parser import Leaf, Node
    from rediscover.query.plan import SearchPlan

APP = NESTED_PATH
FACET_SIZE = 50  # values per facet shown, most frequent first
TERMS_SIZE = 1000  # buckets fetched per facet before the exact sort and cut here
LAST_ACTIVITY = f"{APP}.last_activity_at"
# Sort key of people without any activity date in cursors: after everyone, and the number the
# embedded backend uses. The cluster sorts them last ("missing": "_last") and reports
# Long.MIN_VALUE for them; cursors carry NO_ACTIVITY instead (see ``_to_cursor``).
NO_ACTIVITY = -(2**62)
LONG_MIN = -(2**63)
# Keyword scores are rounded to this many steps per point before sorting, so the score in a
# cursor is an exact number: a float64 engine (osmem) and Elasticsearch's float32 scores
# then compare a cursor's score exactly, and equal scores fall through to the tiebreakers.
SCORE_SCALE = 10_000
ROUND_SCORE = "Math.round(_score * params.scale)"


# --------------------------------------------------------------------------- public


def compile_search(plan: SearchPlan) -> Search:
    """One request: the page (``search_after`` on a stable sort) and the exact total."""
    query = build_query(plan)
    rounded = plan.expr is not None and plan.order != BEST_MATCH  # best match is whole points
    search = (
        Search()
        .query(rounded_score(query) if rounded else query)
        .sort(*sort_clause(plan))
        .source(excludes=list(SOURCE_EXCLUDES))
        .extra(size=plan.fetch, track_total_hits=True)
    )
    if plan.expr is not None and plan.order != RELEVANCE:
        search = search.extra(track_scores=True)  # rows show the score in any order
    if plan.after:
        after = _from_cursor(plan.after)
        if plan.order == BEST_MATCH:  # the cursor holds points; the cluster sorts with the offset
            after[0] = after[0] + plan.weights.offset()
        search = search.extra(search_after=after)
    return search


def read_search(raw: dict[str, Any], plan: SearchPlan) -> RawPage:
    """Rows, their sort keys and the exact total from a search response."""
    hits = raw["hits"]
    page = RawPage(total=int(hits["total"]["value"]))
    statuses = seen_statuses(plan.request)
    for hit in hits["hits"]:
        if plan.order == BEST_MATCH:
            page.rows.append(_best_match_row(hit, plan, statuses))
            page.keys.append(_to_cursor([page.rows[-1].score, *hit["sort"][1:]]))
            continue
        score = float(hit.get("_score") or 0.0) / SCORE_SCALE if plan.expr is not None else None
        page.rows.append(row_from_source(hit["_source"], plan.viewer, statuses, score))
        page.keys.append(_to_cursor(hit["sort"]))
    return page


def _best_match_row(hit: dict[str, Any], plan: SearchPlan, statuses: list[str]) -> ResultRow:
    """A row scored in best-match points: the cluster's score less the encoding's offset."""
    assert plan.now is not None
    score = round(float(hit["sort"][0])) - plan.weights.offset()
    row = row_from_source(hit["_source"], plan.viewer, statuses, float(score))
    apps = [
        {**a, "last_activity_at": _parse(a.get("last_activity_at"))}
        for a in hit["_source"].get(APP, [])
        if _is_seen(a, plan.viewer, statuses)
    ]
    best, _ = best_application(apps, plan.weights, plan.now)
    row.contributions, row.why = describe(best, score, plan.weights, plan.now)
    return row


def compile_facets(plan: SearchPlan) -> Search:
    """Facet counts over the people matching the search (no hits, no total)."""
    search = Search().query(build_query(plan)).extra(size=0, track_total_hits=False)
    apps = search.aggs.bucket("apps", "nested", path=APP)
    apps = apps.bucket("seen", "filter", filter=seen(plan))
    _job_facet(apps)
    _reason_facet(apps)
    _source_facet(apps)
    _milestone_facet(apps)
    _tag_facet(search)
    search.aggs.bucket("country", A("terms", field="country_code", size=TERMS_SIZE))
    return search


def read_facets(raw: dict[str, Any]) -> dict[str, list[FacetValue]]:
    """Facet values from an aggregation response, sorted like every backend sorts them."""
    aggs = raw.get("aggregations") or {}
    seen_aggs = aggs.get("apps", {}).get("seen", {})
    out: dict[str, list[FacetValue]] = {name: [] for name in FACETS}
    out["job"] = _values(seen_aggs.get("job", {}))
    out["rejection_reason"] = _values(seen_aggs.get("rejection_reason", {}))
    out["source"] = _values(seen_aggs.get("sources", {}).get("source", {}))
    out["tag"] = _values(aggs.get("tags", {}).get("tag", {}))
    out["milestone"] = _milestones(seen_aggs.get("milestone", {}))
    out["country"] = _countries(aggs.get("country", {}))
    return out


# --------------------------------------------------------------------------- the query


def build_query(plan: SearchPlan) -> Query:
    """Every filter of the plan, plus the keyword score, as one bool query."""
    request, viewer = plan.request, plan.viewer
    filters: list[Query] = [Q("term", team_id=viewer.team_id)]
    if not request.include_active:
        filters.append(Q("term", has_open=False))  # hidden while any application is open
    filters.append(nested(seen(plan, *application_filters(request))))
    filters += person_filters(request)
    must_not: list[Query] = []
    if request.exclude_strong_no:
        must_not.append(nested(seen(plan, Q("range", **{f"{APP}.strong_no": {"gt": 0}}))))
    bounds, excluded = last_in_process_filters(plan)
    filters += bounds
    must_not += excluded
    if request.has_resume_text is not None:
        (filters if request.has_resume_text else must_not).append(has_resume_text(plan))
    should: list[Query] = []
    if plan.expr is not None:
        filters.append(keyword_filter(plan.expr, plan))
        should = [leaf_query(leaf, plan) for leaf in dict.fromkeys(positive_leaves(plan.expr))]
    if plan.order == BEST_MATCH:
        should = best_match_clauses(plan)
    return Q("bool", filter=filters, must_not=must_not, should=should)


def rounded_score(query: Query) -> Query:
    """``query`` with its score rounded to ``1 / SCORE_SCALE`` (see ``SCORE_SCALE``)."""
    script = {"source": ROUND_SCORE, "params": {"scale": SCORE_SCALE}}
    return Q("script_score", query=query, script=script)


def seen(plan: SearchPlan, *conds: Query, scoring: Query | None = None) -> Query:
    """An application this viewer may see and this search counts (and ``conds``, if given).

    Used inside the nested scope; ``scoring`` is added as a ``must`` so its score counts.
    """
    status = Q("terms", **{f"{APP}.status": seen_statuses(plan.request)})
    query = Q("bool", filter=[status, visible(plan.viewer), *conds])
    return query if scoring is None else Q("bool", filter=query.filter, must=[scoring])


def visible(viewer: Viewer) -> Query:
    """Not confidential, or on a job whose team holds one of the viewer's ATS identities."""
    public = Q("term", **{f"{APP}.confidential": False})
    tokens = sorted(viewer.access_tokens)
    if not tokens:
        return public
    team = Q("terms", **{f"{APP}.access": tokens})
    return Q("bool", should=[public, team], minimum_should_match=1)


def seen_statuses(request: SearchRequest) -> list[str]:
    """Application statuses a search counts: closed, and open ones with ``include_active``."""
    return ["closed", "open"] if request.include_active else ["closed"]


def nested(query: Query, *, score_mode: str = "none") -> Query:
    """``query`` over the applications; true when at least one application satisfies it."""
    return Q("nested", path=APP, query=query, score_mode=score_mode)


def application_filters(request: SearchRequest) -> list[Query]:
    """Conditions on one application; the caller requires them together, on the same one."""
    conds: list[Query] = []
    if request.job_ids:
        conds.append(Q("terms", **{f"{APP}.job_id": list(request.job_ids)}))
    if request.job_title:
        pattern = "*" + _escape_wildcard(fold(request.job_title)) + "*"
        conds.append(Q("wildcard", **{f"{APP}.job_title_key": {"value": pattern}}))
    if request.rejection_reasons:
        conds.append(Q("terms", **{f"{APP}.rejection_reason_key": list(request.rejection_reasons)}))
    if request.sources:
        conds.append(Q("terms", **{f"{APP}.source_keys": list(request.sources)}))
    if request.reached_rank:
        conds.append(Q("range", **{f"{APP}.milestone_rank": {"gte": request.reached_rank}}))
    if request.scorecard_ratio is not None:
        # No cards means no ratio field, so the range fails, as it must.
        conds.append(Q("range", **{f"{APP}.ratio": {"gte": request.scorecard_ratio}}))
    if request.applied_after or request.applied_before:
        applied = _date_range(f"{APP}.applied_at", request.applied_after, request.applied_before)
        conds.append(applied)
    return conds + taxonomy_filters(request) + evaluation_filters(request)


def taxonomy_filters(request: SearchRequest) -> list[Query]:
    """Shared rejection reason (any of) and its safe-to-re-engage flag."""
    conds: list[Query] = []
    if request.shared_reasons:
        conds.append(Q("terms", **{f"{APP}.reason_category": list(request.shared_reasons)}))
    if request.safe_to_reengage is not None:
        # No reason means no flag, so neither value matches it.
        conds.append(Q("term", **{f"{APP}.reengage_safe": request.safe_to_reengage}))
    return conds


def evaluation_filters(request: SearchRequest) -> list[Query]:
    """Finished assessment score, finished video interview, finished reference check."""
    conds: list[Query] = []
    if request.assessment_min is not None:
        conds.append(Q("range", **{f"{APP}.assessment_pct": {"gte": request.assessment_min}}))
    if request.video_interview_completed:
        conds.append(Q("term", **{f"{APP}.video_completed": True}))
    if request.references_completed:
        conds.append(Q("term", **{f"{APP}.references_completed": True}))
    return conds


def person_filters(request: SearchRequest) -> list[Query]:
    """Tags (all of them), emails (any of them) and the location filters."""
    conds = [Q("term", tag_keys=tag) for tag in request.tags]
    if request.emails:
        conds.append(Q("terms", emails=list(request.emails)))
    return conds + location_filters(request)


def location_filters(request: SearchRequest) -> list[Query]:
    """Countries and regions (any of them); ``near``: ``geo_distance`` on the person's city."""
    conds: list[Query] = []
    if request.countries:
        conds.append(Q("terms", country_code=list(request.countries)))
    if request.regions:
        conds.append(Q("terms", region=list(request.regions)))
    if request.near is not None:
        point = {"lat": request.near.latitude, "lon": request.near.longitude}
        # People without a point (no city) have no ``geo`` and never match; remote people
        # only when asked.
        inside = Q("geo_distance", distance=f"{request.radius}km", geo=point)
        conds.append(
            Q("bool", should=[inside, Q("term", remote=True)], minimum_should_match=1)
            if request.include_remote else inside
        )
    return conds


def has_resume_text(plan: SearchPlan) -> Query:
    """Resume text on the person's own files or on a seen application's files."""
    on_app = nested(seen(plan, Q("term", **{f"{APP}.has_resume_text": True})))
    return Q("bool", should=[Q("term", has_resume_text=True), on_app], minimum_should_match=1)


def last_in_process_filters(plan: SearchPlan) -> tuple[list[Query], list[Query]]:
    """Bounds on the newest seen activity: (must match, must not match)."""
    request = plan.request
    must: list[Query] = []
    must_not: list[Query] = []
    if request.last_in_process_after:
        must.append(nested(seen(plan, _date_range(LAST_ACTIVITY, request.last_in_process_after))))
    if request.last_in_process_before:
        before = request.last_in_process_before
        # The newest is before D: some seen activity is before D and none is at or after it.
        must.append(nested(seen(plan, _date_range(LAST_ACTIVITY, None, before))))
        must_not.append(nested(seen(plan, _date_range(LAST_ACTIVITY, before))))
    return must, must_not


# --------------------------------------------------------------------------- keywords


def keyword_filter(node: Node, plan: SearchPlan) -> Query:
    """The AND/OR/NOT tree in filter context: which people match, not how well."""
    if isinstance(node, And):
        return Q("bool", filter=[keyword_filter(item, plan) for item in node.items])
    if isinstance(node, Or):
        return Q(
            "bool",
            should=[keyword_filter(item, plan) for item in node.items],
            minimum_should_match=1,
        )
    if isinstance(node, Not):
        return Q("bool", must_not=[keyword_filter(node.item, plan)])
    return leaf_query(node, plan)


def leaf_query(leaf: Leaf, plan: SearchPlan) -> Query:
    """One term, phrase or prefix: in the person's text or in a seen application's text."""
    person = _text_query(leaf, PERSON_TEXT_FIELDS, PERSON_FIELD_BOOSTS)
    application = _text_query(leaf, APPLICATION_TEXT_FIELDS, APPLICATION_FIELD_BOOSTS)
    in_application = nested(seen(plan, scoring=application), score_mode="max")
    return Q("bool", should=[person, in_application], minimum_should_match=1)


def _text_query(
    leaf: Leaf, fields: dict[str, tuple[str, str]], boosts: dict[str, float]
) -> Query:
    if isinstance(leaf, Prefix):
        # Unstemmed fields: "engineer*" must find "engineering", whose stem is "engin".
        # bool_prefix analyses the text (folding it) and prefixes the last word, with no cap
        # on how many words it expands to (unlike phrase_prefix).
        names = [f"{prefix}^{_boost(boosts[key])}" for key, (_, prefix) in fields.items()]
        return Q("multi_match", query=leaf.text, type="bool_prefix", operator="and", fields=names)
    # A term is a one-word phrase; a "term" the analyser splits (e-mail) stays in order.
    names = [f"{word}^{_boost(boosts[key])}" for key, (word, _) in fields.items()]
    assert isinstance(leaf, (Term, Phrase))
    return Q("multi_match", query=leaf.text, type="phrase", fields=names)


def _boost(value: float) -> str:
    return f"{value:g}"


# --------------------------------------------------------------------------- best match


def best_match_clauses(plan: SearchPlan) -> list[Query]:
    """The scoring ``should`` clauses: keyword points plus the best seen application's points.

    Everything is ``constant_score`` with whole-number boosts, so the sum is exact in float32
    and equal to the embedded backend's integer arithmetic. Scripts cannot read nested fields
    here (osmem), so each application's points are the sum of the clauses it matches (nested
    ``score_mode: max`` keeps the best one); penalties are bonuses for their absence, which
    adds ``RankingWeights.offset()`` to every person (subtracted again when reading).
    """
    w = plan.weights
    clauses: list[Query] = []
    if plan.expr is not None:
        terms = list(dict.fromkeys(positive_leaves(plan.expr)))
        each = w.keyword_points(len(terms))
        clauses += [_points(leaf_query(leaf, plan), each) for leaf in terms if each]
    app = Q("bool", filter=seen(plan).filter, should=application_point_clauses(w, plan))
    return [*clauses, nested(app, score_mode="max")]


def application_point_clauses(w: RankingWeights, plan: SearchPlan) -> list[Query]:
    """One application's points (plus the offset) as clauses to sum; see ``ranking``."""
    clauses = _table(f"{APP}.milestone_rank", w.milestone_points())
    clauses += _table(f"{APP}.ratio_tenths", w.tenths_points(w.consensus))
    for k in range(1, CARD_CAP + 1):
        clauses.append(_points(Q("range", **{f"{APP}.strong_yes": {"gte": k}}), w.strong_yes))
        clauses.append(_points(Q("range", **{f"{APP}.strong_no": {"lt": k}}), w.strong_no))
    reason = f"{APP}.reason_category"
    clauses.append(_points(Q("terms", **{reason: list(SAFE)}), w.safe_reason))
    neutral = Q("bool", must_not=[Q("terms", **{reason: list(UNSAFE)})])
    clauses.append(_points(neutral, w.unsafe_reason))
    clauses += _table(f"{APP}.assessment_tenths", w.tenths_points(w.assessment))
    clauses.append(_points(Q("term", **{f"{APP}.video_completed": True}), w.video_interview))
    clauses.append(_points(Q("term", **{f"{APP}.references_completed": True}), w.references))
    clauses += _recency_clauses(w, plan)
    return [c for c in clauses if c is not None]


def _recency_clauses(w: RankingWeights, plan: SearchPlan) -> list[Query | None]:
    assert plan.now is not None
    cool, thresholds = w.recency_bounds(plan.now)
    undated = Q("bool", must_not=[Q("exists", field=LAST_ACTIVITY)])
    clauses = [
        _points(undated, w.cool_off),
        _points(Q("range", **{LAST_ACTIVITY: {"lte": date_bound(cool)}}), w.cool_off),
    ]
    for t in thresholds:
        window = {"gte": date_bound(t), "lte": date_bound(cool)}
        clauses.append(_points(Q("range", **{LAST_ACTIVITY: window}), 1))
    return clauses


def _table(field: str, table: dict[int, int]) -> list[Query | None]:
    return [_points(Q("term", **{field: k}), v) for k, v in table.items()]


def _points(query: Query, points: int) -> Query | None:
    return Q("constant_score", filter=query, boost=points) if points else None


# --------------------------------------------------------------------------- ordering


def _to_cursor(sort: list[Any]) -> list[Any]:
    """A hit's sort values as a cursor key: last in process of "no activity" is NO_ACTIVITY."""
    *head, last_in_process, person_id = sort
    if last_in_process <= NO_ACTIVITY:
        last_in_process = NO_ACTIVITY
    return [*head, last_in_process, person_id]


def _from_cursor(key: list[Any]) -> list[Any]:
    """A cursor key as ``search_after`` values (the inverse of ``_to_cursor``)."""
    *head, last_in_process, person_id = key
    if last_in_process <= NO_ACTIVITY:
        last_in_process = LONG_MIN
    return [*head, last_in_process, person_id]


def sort_clause(plan: SearchPlan) -> list[Any]:
    """Relevance: score, last in process, person id; otherwise last in process, person id."""
    last_in_process = {
        LAST_ACTIVITY: {
            "order": "desc",
            "mode": "max",
            "missing": "_last",
            "nested": {"path": APP, "filter": seen(plan).to_dict()},
        }
    }
    tail = [last_in_process, {"person_id": {"order": "asc"}}]
    scored = plan.order in (RELEVANCE, BEST_MATCH)
    return [{"_score": {"order": "desc"}}, *tail] if scored else tail


# --------------------------------------------------------------------------- facets


def _people() -> A:
    return A("reverse_nested")


def _label(field: str, *, largest: bool = False) -> A:
    """The smallest (or largest) display value in a bucket: the same label SQL's MIN/MAX picks."""
    return A("terms", field=field, size=1, order={"_key": "desc" if largest else "asc"})


def _facet_terms(field: str) -> A:
    return A("terms", field=field, size=TERMS_SIZE, order=[{"people": "desc"}, {"_key": "asc"}])


def _job_facet(apps: A) -> None:
    job = apps.bucket("job", _facet_terms(f"{APP}.job_id"))
    job.bucket("people", _people())
    job.bucket("label", _label(f"{APP}.job_title.raw", largest=True))


def _reason_facet(apps: A) -> None:
    reason = apps.bucket("rejection_reason", _facet_terms(f"{APP}.rejection_reason_key"))
    reason.bucket("people", _people())
    reason.bucket("label", _label(f"{APP}.rejection_reason"))


def _source_facet(apps: A) -> None:
    entries = apps.bucket("sources", "nested", path=f"{APP}.source_entries")
    source = entries.bucket("source", _facet_terms(f"{APP}.source_entries.key"))
    source.bucket("people", _people())
    source.bucket("label", _label(f"{APP}.source_entries.name"))


def _milestone_facet(apps: A) -> None:
    # "Reached M" = the furthest seen milestone is M or later = some seen application is.
    ranges = {m: Q("range", **{f"{APP}.milestone_rank": {"gte": RANK[m]}}) for m in MILESTONES}
    apps.bucket("milestone", "filters", filters=ranges).bucket("people", _people())


def _tag_facet(search: Search) -> None:
    tag = search.aggs.bucket("tags", "nested", path="tag_entries").bucket(
        "tag", _facet_terms("tag_entries.key")
    )
    tag.bucket("people", _people())
    tag.bucket("label", _label("tag_entries.name"))


def _values(terms: dict[str, Any]) -> list[FacetValue]:
    values = []
    for bucket in terms.get("buckets", []):
        count = int(bucket["people"]["doc_count"])
        if not count:
            continue
        value = str(bucket["key"])
        labels = bucket.get("label", {}).get("buckets", [])
        label = labels[0]["key"] if labels else value
        values.append(FacetValue(value=value, label=label, count=count))
    values.sort(key=lambda v: (-v.count, v.label.casefold()))
    return values[:FACET_SIZE]


def _countries(terms: dict[str, Any]) -> list[FacetValue]:
    # Top-level terms: a bucket's doc_count is already a count of people.
    names = default_locator()
    values = [FacetValue(value=b["key"], label=names.country_name(b["key"]),
                         count=int(b["doc_count"])) for b in terms.get("buckets", [])]
    values.sort(key=lambda v: (-v.count, v.label.casefold()))
    return values[:FACET_SIZE]


def _milestones(filters: dict[str, Any]) -> list[FacetValue]:
    buckets = filters.get("buckets", {})
    counts = {m: int(buckets.get(m, {}).get("people", {}).get("doc_count", 0)) for m in MILESTONES}
    return [FacetValue(value=m, label=LABELS[m], count=n) for m, n in counts.items() if n]


# --------------------------------------------------------------------------- rows


def row_from_source(
    source: dict[str, Any], viewer: Viewer, statuses: list[str], score: float | None
) -> ResultRow:
    """A result row: columns from the most recently active seen application."""
    apps = [a for a in source.get(APP, []) if _is_seen(a, viewer, statuses)]
    latest = max(apps, key=_recency, default=None) or {}
    activity = [_parse(a.get("last_activity_at")) for a in apps]
    sources = latest.get("sources") or []
    return ResultRow(
        person_id=int(source["person_id"]),
        name=source.get("name") or "",
        emails=list(source.get("emails") or []),
        title=source.get("title"),
        company=source.get("company"),
        last_in_process=max((t for t in activity if t), default=None),
        job_title=latest.get("job_title"),
        stage=latest.get("stage_name"),
        milestone=latest.get("milestone"),
        source=sources[0] if sources else None,
        rejection_reason=latest.get("rejection_reason"),
        scorecards=ScorecardCounts(
            positive=sum(a.get("positive") or 0 for a in apps),
            negative=sum(a.get("negative") or 0 for a in apps),
            strong_no=sum(a.get("strong_no") or 0 for a in apps),
            pending=sum(a.get("pending") or 0 for a in apps),
        ),
        origins=list(source.get("origins") or []),
        location=source.get("location"),
        has_resume_text=bool(source.get("has_resume_text"))
        or any(a.get("has_resume_text") for a in apps),
        score=score,
    )


def _is_seen(app: dict[str, Any], viewer: Viewer, statuses: list[str]) -> bool:
    """The ``seen`` rule of ``seen()``, in Python, for the applications in ``_source``."""
    if app.get("status") not in statuses:
        return False
    return not app.get("confidential") or bool(viewer.access_tokens & set(app.get("access") or ()))


def _recency(app: dict[str, Any]) -> tuple[bool, datetime | None, int]:
    # Newest activity first, apps without any last, then the higher id (as the SQL does).
    when = _parse(app.get("last_activity_at"))
    return (when is not None, when, int(app.get("application_id") or 0))


def _parse(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


# --------------------------------------------------------------------------- small parts


def _date_range(field: str, gte: datetime | None = None, lt: datetime | None = None) -> Query:
    bounds = {}
    if gte is not None:
        bounds["gte"] = date_bound(gte)
    if lt is not None:
        bounds["lt"] = date_bound(lt)
    return Q("range", **{field: bounds})


def date_bound(value: datetime) -> str:
    """A bound in the index's millisecond precision, rounded up to the next millisecond.

    ``date`` fields keep milliseconds, so a bound like 00:00:00.000001 would be cut to
    00:00:00.000 and "before" it would drop a value at exactly midnight. For values in whole
    milliseconds (every ATS timestamp), ``v < B`` is ``v < ceil(B)`` and ``v >= B`` is
    ``v >= ceil(B)``, so rounding up keeps both comparisons exact.
    """
    value = value.astimezone(timezone.utc)
    spare = value.microsecond % 1000
    if spare:
        value += timedelta(microseconds=1000 - spare)
    return value.isoformat(timespec="milliseconds")


def _escape_wildcard(text: str) -> str:
    return text.replace("\\", "\\\\").replace("*", "\\*").replace("?", "\\?")
