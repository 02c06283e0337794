"""The SQLite compiler: a ``SearchPlan`` -> SQL over the embedded index (builds, no I/O).

Every statement starts from the same common table expressions:

- ``seen``: the applications this viewer may see that count for this search (closed, plus
  open ones with ``include_active``). Everything else — matching, keywords, columns, last
  in process, facets, totals — reads applications only through ``seen``, which is how an
  unseen (confidential) application cannot leak anywhere.
- ``hits`` / ``hitmask`` (with keywords): per person and keyword leaf, whether it matched the
  person's text or the text of one of their ``seen`` applications, and its best bm25 score.
  The AND/OR/NOT tree is then evaluated per person over those flags.
- ``matched``: people of the viewer's team passing every filter, with their last in process
  and score; ``filtered`` applies the last-in-process bounds.

``read_search`` / ``read_facets`` turn the backend's raw rows into results.
"""
from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from rediscover.core.milestones import LABELS, MILESTONES
from rediscover.indexer.backends.sqlite import (
    APPLICATION_ACCESS,
    APPLICATION_SOURCES,
    APPLICATION_TEXT,
    APPLICATION_TEXT_COLUMNS,
    APPLICATIONS,
    DISTANCE_FUNCTION,
    PEOPLE,
    PERSON_EMAILS,
    PERSON_TAGS,
    PERSON_TEXT,
    PERSON_TEXT_COLUMNS,
    Statement,
    from_micros,
    to_micros,
)
from rediscover.indexer.geo import bounding_box, default_locator
from rediscover.indexer.text import fold
from rediscover.query.parser import And, Not, Or, Prefix, evaluate, leaves, positive_leaves
from rediscover.mappings.reasons import SAFE, UNSAFE
from rediscover.query.plan import BEST_MATCH, RECENCY, RELEVANCE, RawPage
from rediscover.query.ranking import (
    APPLICATION_FIELD_BOOSTS,
    CARD_CAP,
    PERSON_FIELD_BOOSTS,
    RankingWeights,
    describe,
)
from rediscover.query.results import FACETS, FacetValue, ResultRow, ScorecardCounts

if TYPE_CHECKING:
    from datetime import datetime

    from rediscover.query.parser import Leaf, Node
    from rediscover.query.plan import SearchPlan

# Resume text counts from the person's own files or from a seen application's files only.
HAS_RESUME_TEXT = (
    "(pe.has_resume_text = 1 OR pe.person_id IN "
    "(SELECT s.person_id FROM seen AS s WHERE s.has_resume_text = 1))"
)
NO_ACTIVITY = -(2**62)  # sort key of people without any activity date: after everyone else
FACET_SIZE = 50  # values per facet, most frequent first
# The best application's columns a best-match row explains itself with (as b_<name>).
BEST_COLUMNS = (
    "application_id", "job_title", "milestone", "milestone_rank", "positive", "negative",
    "strong_yes", "strong_no", "ratio_tenths", "reason_category", "assessment_tenths",
    "assessment_pct", "video_completed", "references_completed", "last_activity_at",
)


class _Params:
    """Collects named parameters while SQL is being written."""

    def __init__(self) -> None:
        self.values: dict[str, Any] = {}

    def add(self, value: Any) -> str:
        name = f"p{len(self.values)}"
        self.values[name] = value
        return f":{name}"

    def many(self, values: Any) -> str:
        return ", ".join(self.add(v) for v in values)


# --------------------------------------------------------------------------- public


def compile_search(plan: SearchPlan) -> list[Statement]:
    """One statement: the exact total plus the requested page with its columns."""
    p = _Params()
    order = _order(plan)
    score, score_join = _page_score_column(plan)
    sql = f"""
{_base_ctes(plan, p)},
page AS (
    SELECT * FROM filtered WHERE {_after(plan, p)} ORDER BY {order} LIMIT {p.add(plan.fetch)}
){_page_scores(plan, p)}
SELECT t.total, d.* FROM (SELECT COUNT(*) AS total FROM filtered) AS t
LEFT JOIN (
    SELECT pg.person_id, pg.lip, {score} AS score, pg.sk_lip,
           pe.name, pe.title, pe.company, pe.location, pe.emails, pe.origins,
           (pe.has_resume_text = 1 OR EXISTS (SELECT 1 FROM seen AS s
               WHERE s.person_id = pg.person_id AND s.has_resume_text = 1)) AS has_resume_text,
           a.job_title, a.stage_name, a.milestone, a.source, a.rejection_reason,
           sc.positive, sc.negative, sc.strong_no, sc.pending{_best_columns(plan)}
    FROM page AS pg
    JOIN {PEOPLE} AS pe ON pe.person_id = pg.person_id{score_join}
    LEFT JOIN {APPLICATIONS} AS a ON a.application_id = (
        SELECT s.application_id FROM seen AS s WHERE s.person_id = pg.person_id
        ORDER BY s.last_activity_at DESC NULLS LAST, s.application_id DESC LIMIT 1
    )
    LEFT JOIN (
        SELECT s.person_id, SUM(s.positive) AS positive, SUM(s.negative) AS negative,
               SUM(s.strong_no) AS strong_no, SUM(s.pending) AS pending
        FROM seen AS s WHERE s.person_id IN (SELECT person_id FROM page)
        GROUP BY s.person_id
    ) AS sc ON sc.person_id = pg.person_id{_best_join(plan, p)}
) AS d ON 1
ORDER BY {order}"""
    return [Statement(sql, p.values)]


def read_search(raw: list[list[dict[str, Any]]], plan: SearchPlan) -> RawPage:
    """Rows and sort keys from what ``compile_search``'s statement returned."""
    records = raw[0]
    page = RawPage(total=records[0]["total"] if records else 0)
    scored = plan.order in (RELEVANCE, BEST_MATCH)
    for r in records:
        if r["person_id"] is None:  # the empty page's lone total row
            continue
        row = _row(r, with_score=plan.expr is not None or plan.order == BEST_MATCH)
        if plan.order == BEST_MATCH:
            best = {c: r[f"b_{c}"] for c in BEST_COLUMNS}
            best["last_activity_at"] = from_micros(best["last_activity_at"])
            assert plan.now is not None
            row.contributions, row.why = describe(best, r["score"], plan.weights, plan.now)
        page.rows.append(row)
        tail = [r["sk_lip"], r["person_id"]]
        page.keys.append([r["score"], *tail] if scored else tail)
    return page


def compile_facets(plan: SearchPlan) -> list[Statement]:
    """One statement counting, per facet value, the people matching the search that have it."""
    p = _Params()
    ranks = ", ".join(f"('{m}', {i + 1})" for i, m in enumerate(MILESTONES))
    sql = f"""
{_base_ctes(plan, p, scored=False)},
fseen AS MATERIALIZED (SELECT s.* FROM seen AS s JOIN filtered AS f ON f.person_id = s.person_id)
SELECT 'job' AS facet, CAST(job_id AS TEXT) AS value, MAX(job_title) AS label,
       COUNT(DISTINCT person_id) AS n
FROM fseen WHERE job_id IS NOT NULL GROUP BY job_id
UNION ALL
SELECT 'rejection_reason', rejection_reason_key, MIN(rejection_reason), COUNT(DISTINCT person_id)
FROM fseen WHERE rejection_reason_key IS NOT NULL GROUP BY rejection_reason_key
UNION ALL
SELECT 'source', src.source_key, MIN(src.source), COUNT(DISTINCT fs.person_id)
FROM fseen AS fs JOIN {APPLICATION_SOURCES} AS src ON src.application_id = fs.application_id
GROUP BY src.source_key
UNION ALL
SELECT 'tag', t.tag_key, MIN(t.tag), COUNT(*)
FROM {PERSON_TAGS} AS t JOIN filtered AS f ON f.person_id = t.person_id GROUP BY t.tag_key
UNION ALL
SELECT 'country', pe.country_code, pe.country_code, COUNT(*)
FROM {PEOPLE} AS pe JOIN filtered AS f ON f.person_id = pe.person_id
WHERE pe.country_code IS NOT NULL GROUP BY pe.country_code
UNION ALL
SELECT 'milestone', m.column1, m.column1, COUNT(*)
FROM (SELECT person_id, MAX(milestone_rank) AS r FROM fseen GROUP BY person_id) AS x
JOIN (VALUES {ranks}) AS m ON x.r >= m.column2
GROUP BY m.column1"""
    return [Statement(sql, p.values)]


def read_facets(raw: list[list[dict[str, Any]]]) -> dict[str, list[FacetValue]]:
    """Facet values from what ``compile_facets``'s statement returned."""
    out: dict[str, list[FacetValue]] = {name: [] for name in FACETS}
    for r in raw[0]:
        label = LABELS.get(r["value"], r["value"]) if r["facet"] == "milestone" else r["label"]
        if r["facet"] == "country":
            label = default_locator().country_name(r["value"])
        value = FacetValue(value=r["value"], label=label or r["value"], count=r["n"])
        out[r["facet"]].append(value)
    # Milestones read in their own order (a funnel); the others by frequency.
    out["milestone"].sort(key=lambda v: MILESTONES.index(v.value))
    for name in ("rejection_reason", "source", "job", "tag", "country"):
        out[name] = sorted(out[name], key=lambda v: (-v.count, v.label.casefold()))[:FACET_SIZE]
    return out


# --------------------------------------------------------------------------- shared CTEs


def _base_ctes(plan: SearchPlan, p: _Params, scored: bool = True) -> str:
    """``seen``, keyword hits, ``matched`` and ``filtered``; ``scored=False`` when nothing
    reads the score (facets), so no bm25 or best-match points are computed."""
    request = plan.request
    ctes = [_seen(plan, p)]
    hit_join, keyword, score = "", "1", "0"
    ranked = scored and plan.order == RELEVANCE
    best_match = scored and plan.order == BEST_MATCH
    if plan.expr is not None:
        ids = _leaf_ids(plan.expr)
        if ranked or best_match:
            # bm25 only where it orders the matches (best match counts matched terms).
            ctes += _hits(ids, p, ranked)
            # People matching no leaf can only pass a query like "NOT java": join loosely.
            loose = evaluate(plan.expr, lambda _leaf: False)
            hit_join = f"{'LEFT ' if loose else ''}JOIN hitmask AS h ON h.person_id = pe.person_id"
            keyword = _boolean(plan.expr, ids)
            score = (_score(plan.expr, ids) if ranked
                     else _keyword_points(plan.expr, ids, plan.weights))
        else:
            # Unranked: each leaf is a set of people read once (like hand-written SQL); a
            # page row's keyword score is computed for that row alone (``_page_scores``).
            ctes += _leaf_sets(ids, p)
            keyword = _boolean_in(plan.expr, ids)
    if best_match:
        best = f"(SELECT MAX({points_sql(plan.weights, plan.now, p)}) FROM seen AS s "
        score = f"{score} + COALESCE({best}WHERE s.person_id = pe.person_id), 0)"
    where = [f"pe.team_id = {p.add(plan.viewer.team_id)}"]
    if not request.include_active:
        where.append("pe.has_open = 0")
    # Uncorrelated IN (...) subqueries: each runs once, through whichever index fits its
    # filter (job, tag, email), instead of once per person.
    app_filters = " AND ".join(_application_filters(plan, p)) or "1"
    where.append(f"pe.person_id IN (SELECT s.person_id FROM seen AS s WHERE {app_filters})")
    where += _person_filters(plan, p)
    where.append(keyword)
    ctes.append(f"""matched AS (
    SELECT pe.person_id AS person_id,
           (SELECT MAX(s.last_activity_at) FROM seen AS s WHERE s.person_id = pe.person_id) AS lip,
           {score} AS score
    FROM {PEOPLE} AS pe {hit_join}
    WHERE {" AND ".join(where)}
)""")
    ctes.append(f"""filtered AS MATERIALIZED (
    SELECT person_id, lip, score, COALESCE(lip, {NO_ACTIVITY}) AS sk_lip FROM matched
    WHERE {" AND ".join(_lip_filters(plan, p)) or "1"}
)""")
    return "WITH " + ",\n".join(ctes)


def _seen(plan: SearchPlan, p: _Params) -> str:
    statuses = ["closed", "open"] if plan.request.include_active else ["closed"]
    visible = "a.confidential = 0"
    tokens = sorted(plan.viewer.access_tokens)
    if tokens:
        visible = (
            f"(a.confidential = 0 OR EXISTS (SELECT 1 FROM {APPLICATION_ACCESS} AS x "
            f"WHERE x.application_id = a.application_id AND x.token IN ({p.many(tokens)})))"
        )
    # NOT MATERIALIZED: each use is a lookup by person or application id, never a full scan.
    return f"""seen AS NOT MATERIALIZED (
    SELECT a.* FROM {APPLICATIONS} AS a WHERE a.status IN ({p.many(statuses)}) AND {visible}
)"""


def _application_filters(plan: SearchPlan, p: _Params) -> list[str]:
    """Conditions on one ``seen`` application ``s``; all must hold on the same one."""
    r = plan.request
    conds = []
    if r.job_ids:
        conds.append(f"s.job_id IN ({p.many(r.job_ids)})")
    if r.job_title:
        conds.append(f"instr(s.job_title_key, {p.add(fold(r.job_title))}) > 0")
    if r.rejection_reasons:
        conds.append(f"s.rejection_reason_key IN ({p.many(r.rejection_reasons)})")
    if r.sources:
        conds.append(
            f"EXISTS (SELECT 1 FROM {APPLICATION_SOURCES} AS src WHERE src.application_id = "
            f"s.application_id AND src.source_key IN ({p.many(r.sources)}))"
        )
    if r.reached_rank:
        conds.append(f"s.milestone_rank >= {p.add(r.reached_rank)}")
    if r.scorecard_ratio is not None:
        conds.append(f"s.ratio >= {p.add(r.scorecard_ratio)}")  # NULL (no cards) fails
    if r.applied_after:
        conds.append(f"s.applied_at >= {p.add(to_micros(r.applied_after))}")
    if r.applied_before:
        conds.append(f"s.applied_at < {p.add(to_micros(r.applied_before))}")
    return conds + _taxonomy_filters(plan, p) + _evaluation_filters(plan, p)


def _taxonomy_filters(plan: SearchPlan, p: _Params) -> list[str]:
    """Shared rejection reason (any of) and its safe-to-re-engage flag."""
    r = plan.request
    conds = []
    if r.shared_reasons:
        conds.append(f"s.reason_category IN ({p.many(r.shared_reasons)})")
    if r.safe_to_reengage is not None:
        conds.append(f"s.reengage_safe = {int(r.safe_to_reengage)}")  # NULL (no reason) fails
    return conds


def _evaluation_filters(plan: SearchPlan, p: _Params) -> list[str]:
    """Finished assessment score, finished video interview, finished reference check."""
    r = plan.request
    conds = []
    if r.assessment_min is not None:
        conds.append(f"s.assessment_pct >= {p.add(r.assessment_min)}")  # NULL fails
    if r.video_interview_completed:
        conds.append("s.video_completed = 1")
    if r.references_completed:
        conds.append("s.references_completed = 1")
    return conds


def _person_filters(plan: SearchPlan, p: _Params) -> list[str]:
    r = plan.request
    conds = [
        f"pe.person_id IN (SELECT t.person_id FROM {PERSON_TAGS} AS t "
        f"WHERE t.tag_key = {p.add(tag)})"
        for tag in r.tags
    ]
    if r.emails:
        conds.append(
            f"pe.person_id IN (SELECT e.person_id FROM {PERSON_EMAILS} AS e "
            f"WHERE e.email IN ({p.many(r.emails)}))"
        )
    if r.exclude_strong_no:
        conds.append(
            "pe.person_id NOT IN (SELECT s.person_id FROM seen AS s WHERE s.strong_no > 0)"
        )
    if r.has_resume_text is not None:
        conds.append(f"{'' if r.has_resume_text else 'NOT '}{HAS_RESUME_TEXT}")
    return conds + _location_filters(plan, p)


def _location_filters(plan: SearchPlan, p: _Params) -> list[str]:
    """Countries, regions, and ``near``: a bounding box on indexed lat/lon, then exact distance."""
    r = plan.request
    conds = []
    if r.countries:
        conds.append(f"pe.country_code IN ({p.many(r.countries)})")
    if r.regions:
        conds.append(f"pe.region IN ({p.many(r.regions)})")
    if r.near is not None:
        lat, lon = r.near.latitude, r.near.longitude
        lat_min, lat_max, lon_min, lon_max = bounding_box(lat, lon, r.radius)
        inside = (
            f"pe.lat BETWEEN {p.add(lat_min)} AND {p.add(lat_max)}"
            f" AND {_lon_box(lon_min, lon_max, p)}"
            f" AND {DISTANCE_FUNCTION}(pe.lat, pe.lon, {p.add(lat)}, {p.add(lon)})"
            f" <= {p.add(r.radius)}"
        )
        # People without a point (no city) never match; remote ones only when asked.
        conds.append(f"(({inside}) OR pe.remote = 1)" if r.include_remote else f"({inside})")
    return conds


def _lon_box(lon_min: float, lon_max: float, p: _Params) -> str:
    # A box across the antimeridian is two ranges.
    if lon_min < -180:
        return f"(pe.lon >= {p.add(lon_min + 360)} OR pe.lon <= {p.add(lon_max)})"
    if lon_max > 180:
        return f"(pe.lon >= {p.add(lon_min)} OR pe.lon <= {p.add(lon_max - 360)})"
    return f"pe.lon BETWEEN {p.add(lon_min)} AND {p.add(lon_max)}"


def _lip_filters(plan: SearchPlan, p: _Params) -> list[str]:
    r = plan.request
    conds = []
    if r.last_in_process_after:
        conds.append(f"lip >= {p.add(to_micros(r.last_in_process_after))}")
    if r.last_in_process_before:
        conds.append(f"lip < {p.add(to_micros(r.last_in_process_before))}")
    return conds


# --------------------------------------------------------------------------- keywords


# bm25() takes one weight per column, in the table's column order.
PERSON_BM25 = f"bm25({PERSON_TEXT}, " + ", ".join(
    str(PERSON_FIELD_BOOSTS[c]) for c in PERSON_TEXT_COLUMNS) + ")"
APPLICATION_BM25 = f"bm25({APPLICATION_TEXT}, " + ", ".join(
    str(APPLICATION_FIELD_BOOSTS[c]) for c in APPLICATION_TEXT_COLUMNS) + ")"


def _leaf_ids(expr: Node) -> dict[Leaf, int]:
    return {leaf: i for i, leaf in enumerate(dict.fromkeys(leaves(expr)))}


def _hits(ids: dict[Leaf, int], p: _Params, scored: bool) -> list[str]:
    """Per person and leaf: matched (``m<i>``) and, when ``scored``, the best bm25 (``b<i>``)."""
    person_score = f", {PERSON_BM25} AS score" if scored else ""
    app_score = f", {APPLICATION_BM25} AS score" if scored else ""
    parts = []
    for leaf, i in ids.items():
        match = p.add(fts_match(leaf))
        parts.append(
            f"SELECT rowid AS person_id, {i} AS leaf{person_score} "
            f"FROM {PERSON_TEXT} WHERE {PERSON_TEXT} MATCH {match}"
        )
        # Application text counts only through seen applications.
        parts.append(
            f"SELECT s.person_id, {i}{', t.score' if scored else ''} FROM (SELECT rowid AS "
            f"application_id{app_score} FROM {APPLICATION_TEXT} "
            f"WHERE {APPLICATION_TEXT} MATCH {match}) AS t "
            f"JOIN seen AS s ON s.application_id = t.application_id"
        )
    flags = ", ".join(
        f"MAX(leaf = {i}) AS m{i}"
        + (f", MIN(CASE WHEN leaf = {i} THEN score END) AS b{i}" if scored else "")
        for i in ids.values()
    )
    union = "\n    UNION ALL ".join(parts)
    return [
        f"hits AS MATERIALIZED (\n    {union}\n)",
        f"hitmask AS MATERIALIZED (SELECT person_id, {flags} FROM hits GROUP BY person_id)",
    ]


def fts_match(leaf: Leaf) -> str:
    """The FTS5 query string for one leaf: always a quoted string (no FTS operators leak in)."""
    quoted = '"' + leaf.text.replace('"', '""') + '"'
    return quoted + "*" if isinstance(leaf, Prefix) else quoted


def _leaf_sets(ids: dict[Leaf, int], p: _Params) -> list[str]:
    """One CTE per leaf: the people whose own text or a seen application's text matches it."""
    return [
        f"leaf{i} AS (SELECT rowid AS person_id FROM {PERSON_TEXT} WHERE {PERSON_TEXT} MATCH "
        f"{(match := p.add(fts_match(leaf)))} UNION SELECT s.person_id FROM {APPLICATION_TEXT} "
        f"JOIN seen AS s ON s.application_id = {APPLICATION_TEXT}.rowid "
        f"WHERE {APPLICATION_TEXT} MATCH {match})"
        for leaf, i in ids.items()
    ]


def _boolean_in(node: Node, ids: dict[Leaf, int]) -> str:
    """The AND/OR/NOT tree over ``_leaf_sets``: a leaf holds when the person is in its set."""
    if isinstance(node, (And, Or)):
        joiner = " AND " if isinstance(node, And) else " OR "
        return "(" + joiner.join(_boolean_in(item, ids) for item in node.items) + ")"
    if isinstance(node, Not):
        return f"NOT {_boolean_in(node.item, ids)}"
    return f"pe.person_id IN leaf{ids[node]}"


def _boolean(node: Node, ids: dict[Leaf, int]) -> str:
    if isinstance(node, (And, Or)):
        joiner = " AND " if isinstance(node, And) else " OR "
        return "(" + joiner.join(_boolean(item, ids) for item in node.items) + ")"
    if isinstance(node, Not):
        return f"NOT {_boolean(node.item, ids)}"
    return f"(COALESCE(h.m{ids[node]}, 0) = 1)"


def _page_scores(plan: SearchPlan, p: _Params) -> str:
    """With keywords in recency order: a CTE of the page rows' keyword relevance (``_score``).

    Rows show their keyword score in any order, but only ranking needs it for every match.
    Here bm25 is evaluated for the page's people alone (the CASE skips the others) in one FTS5
    scan per leaf, so FTS5 gathers its whole-table statistics once; a row's bm25 does not
    depend on which rows a statement reads, so the scores equal the ranked ones exactly.
    """
    if not _page_scores_needed(plan):
        return ""
    assert plan.expr is not None
    positive = list(dict.fromkeys(positive_leaves(plan.expr)))
    ctes = [
        "pageapps AS MATERIALIZED (SELECT s.application_id, s.person_id FROM seen AS s "
        "WHERE s.person_id IN (SELECT person_id FROM page))"
    ]
    parts = []
    for i, leaf in enumerate(positive):
        match = p.add(fts_match(leaf))
        parts.append(
            f"SELECT rowid AS person_id, {i} AS leaf, CASE WHEN rowid IN (SELECT person_id "
            f"FROM page) THEN {PERSON_BM25} END AS score "
            f"FROM {PERSON_TEXT} WHERE {PERSON_TEXT} MATCH {match}"
        )
        # Materialized, so the FTS5 scan stays one scan (not a lookup per application).
        ctes.append(
            f"pageapp{i} AS MATERIALIZED (SELECT pa.person_id, t.score FROM (SELECT rowid AS "
            f"application_id, CASE WHEN rowid IN (SELECT application_id FROM pageapps) THEN "
            f"{APPLICATION_BM25} END AS score FROM {APPLICATION_TEXT} WHERE {APPLICATION_TEXT} "
            f"MATCH {match}) AS t JOIN pageapps AS pa ON pa.application_id = t.application_id "
            f"WHERE t.score IS NOT NULL)"
        )
        parts.append(f"SELECT person_id, {i}, score FROM pageapp{i}")
    best = " + ".join(
        f"COALESCE(MIN(CASE WHEN leaf = {i} THEN score END), 0)" for i in range(len(positive))
    )
    union = "\n    UNION ALL ".join(parts)
    return ",\n" + ",\n".join(ctes) + f""",
pagehits AS MATERIALIZED (
    {union}
),
pagescores AS (
    SELECT person_id, -({best}) AS score FROM pagehits WHERE score IS NOT NULL
    GROUP BY person_id
)"""


def _page_score_column(plan: SearchPlan) -> tuple[str, str]:
    """(score expression, join) of the page rows, after ``_page_scores``."""
    if _page_scores_needed(plan):
        return ("COALESCE(ps.score, 0)",
                "\n    LEFT JOIN pagescores AS ps ON ps.person_id = pg.person_id")
    return "pg.score", ""


def _page_scores_needed(plan: SearchPlan) -> bool:
    return (plan.expr is not None and plan.order == RECENCY
            and bool(positive_leaves(plan.expr)))


def _score(node: Node, ids: dict[Leaf, int]) -> str:
    # bm25() is lower-is-better (negative); sum each matched positive leaf's best hit. MIN and
    # a fixed summation order make the score exactly reproducible, so a cursor can compare it
    # with "=" on the next page.
    terms = [f"COALESCE(h.b{ids[leaf]}, 0)" for leaf in dict.fromkeys(positive_leaves(node))]
    return f"-({' + '.join(terms)})" if terms else "0"


def _keyword_points(node: Node, ids: dict[Leaf, int], w: RankingWeights) -> str:
    # Best match counts matched positive terms, not BM25: exact, and the same on every backend.
    terms = list(dict.fromkeys(positive_leaves(node)))
    each = w.keyword_points(len(terms))
    return " + ".join([f"COALESCE(h.m{ids[leaf]}, 0) * {each}" for leaf in terms]) or "0"


# --------------------------------------------------------------------------- best match


def points_sql(w: RankingWeights, now: datetime | None, p: _Params, a: str = "s") -> str:
    """One application's best-match points (``ranking.application_points``) as SQL over ``a``."""
    assert now is not None
    parts = [
        _case(f"{a}.milestone_rank", w.milestone_points()),
        _case(f"{a}.ratio_tenths", w.tenths_points(w.consensus)),
        f"MIN({a}.strong_yes, {CARD_CAP}) * {w.strong_yes}",
        f"- MIN({a}.strong_no, {CARD_CAP}) * {w.strong_no}",
        f"(CASE WHEN {a}.reason_category IN ({p.many(SAFE)}) THEN {w.safe_reason} "
        f"WHEN {a}.reason_category IN ({p.many(UNSAFE)}) THEN -{w.unsafe_reason} ELSE 0 END)",
        _case(f"{a}.assessment_tenths", w.tenths_points(w.assessment)),
        f"{a}.video_completed * {w.video_interview}",
        f"{a}.references_completed * {w.references}",
        _recency_sql(w, now, a),
    ]
    return "(" + " + ".join(parts).replace("+ -", "-") + ")"


def _case(column: str, table: dict[int, int]) -> str:
    whens = " ".join(f"WHEN {k} THEN {v}" for k, v in table.items() if v)
    return f"(CASE {column} {whens} ELSE 0 END)" if whens else "0"


def _recency_sql(w: RankingWeights, now: datetime, a: str) -> str:
    cool, thresholds = w.recency_bounds(now)
    col = f"{a}.last_activity_at"
    steps = " + ".join(f"({col} >= {to_micros(t)})" for t in thresholds) or "0"
    return (
        f"(CASE WHEN {col} IS NULL THEN 0 WHEN {col} > {to_micros(cool)} THEN -{w.cool_off} "
        f"ELSE {steps} END)"
    )


def _best_columns(plan: SearchPlan) -> str:
    if plan.order != BEST_MATCH:
        return ""
    return "".join(f", b.{c} AS b_{c}" for c in BEST_COLUMNS)


def _best_join(plan: SearchPlan, p: _Params) -> str:
    """The application that set each page row's score (ties: the higher id)."""
    if plan.order != BEST_MATCH:
        return ""
    points = points_sql(plan.weights, plan.now, p)
    return f"""
    LEFT JOIN {APPLICATIONS} AS b ON b.application_id = (
        SELECT s.application_id FROM seen AS s WHERE s.person_id = pg.person_id
        ORDER BY {points} DESC, s.application_id DESC LIMIT 1
    )"""


# --------------------------------------------------------------------------- ordering


def _order(plan: SearchPlan) -> str:
    if plan.order in (RELEVANCE, BEST_MATCH):
        return "score DESC, sk_lip DESC, person_id ASC"
    return "sk_lip DESC, person_id ASC"


def _after(plan: SearchPlan, p: _Params) -> str:
    """Rows strictly after the cursor's sort key, in the same order as ``_order``."""
    if not plan.after:
        return "1"
    *head, lip, pid = plan.after
    lip_p, pid_p = p.add(lip), p.add(pid)
    cond = f"(sk_lip < {lip_p} OR (sk_lip = {lip_p} AND person_id > {pid_p}))"
    if plan.order in (RELEVANCE, BEST_MATCH):
        score_p = p.add(head[0])
        cond = f"(score < {score_p} OR (score = {score_p} AND {cond}))"
    return cond


# --------------------------------------------------------------------------- rows


def _row(r: dict[str, Any], with_score: bool) -> ResultRow:
    return ResultRow(
        person_id=r["person_id"],
        name=r["name"],
        emails=json.loads(r["emails"]),
        title=r["title"],
        company=r["company"],
        last_in_process=from_micros(r["lip"]),
        job_title=r["job_title"],
        stage=r["stage_name"],
        milestone=r["milestone"],
        source=r["source"],
        rejection_reason=r["rejection_reason"],
        scorecards=ScorecardCounts(
            positive=r["positive"] or 0,
            negative=r["negative"] or 0,
            strong_no=r["strong_no"] or 0,
            pending=r["pending"] or 0,
        ),
        origins=json.loads(r["origins"]),
        location=r["location"],
        has_resume_text=bool(r["has_resume_text"]),
        score=r["score"] if with_score else None,
    )
