"""The silver-medalist query mix, each through our query layer and written by hand as raw FTS5 SQL.

Each of the 20 queries is a recruiter's search (filters as the API takes them) paired with the
same search written directly against the embedded index's tables, for a viewer on no
confidential team. Both must return the same total and the same first page (person ids in
last-in-process order); the benchmark checks that before timing, so the ratio compares equal
work. Searches run in "last in process" order so the hand-written SQL can match the order
exactly (relevance ranking is our own arithmetic, not a raw-engine feature).
"""
from __future__ import annotations

import sqlite3
from dataclasses import dataclass

from rediscover.indexer.backends.sqlite import to_micros
from rediscover.query.filters import SearchRequest, parse_bound

PAGE = 25


@dataclass(frozen=True)
class Query:
    """One benchmark query: API filters and the hand-written conditions of the same search."""

    name: str
    filters: dict
    app_sql: str = "1"  # condition on one seen application ``a`` (all must hold on it)
    person_sql: str = "1"  # condition on the person ``pe``
    lip_sql: str = "1"  # condition on last in process ``lip``
    fts: str | None = None  # an FTS5 MATCH over person text OR seen application text

    def request(self) -> SearchRequest:
        return SearchRequest.from_dict({**self.filters, "sort": "last_in_process", "limit": PAGE})


def _us(day: str) -> int:
    return to_micros(parse_bound(day, "bench"))


def _fts(term: str) -> str:
    return ("pe.person_id IN (SELECT rowid FROM search_person_text WHERE search_person_text "
            f"MATCH '{term}' UNION SELECT a.person_id FROM search_application_text t JOIN seen a "
            f"ON a.application_id = t.rowid WHERE search_application_text MATCH '{term}')")


MIX: tuple[Query, ...] = (
    Query("reached onsite", {"reached_stage": "onsite"}, app_sql="a.milestone_rank >= 5"),
    Query("reached offer", {"reached_stage": "offer"}, app_sql="a.milestone_rank >= 6"),
    Query("onsite, other candidate hired", {"reached_stage": "onsite",
          "rejection_reasons": ["Hired another candidate"]},
          app_sql="a.milestone_rank >= 5 AND a.rejection_reason_key = 'hired another candidate'"),
    Query("onsite, good scorecards", {"reached_stage": "onsite", "scorecard_ratio": 0.75},
          app_sql="a.milestone_rank >= 5 AND a.ratio >= 0.75"),
    Query("onsite, no strong no", {"reached_stage": "onsite", "exclude_strong_no": True},
          app_sql="a.milestone_rank >= 5",
          person_sql="pe.person_id NOT IN (SELECT person_id FROM seen WHERE strong_no > 0)"),
    Query("assessment, idle 6 months", {"reached_stage": "assessment",
          "last_in_process_before": "2026-05-01"}, app_sql="a.milestone_rank >= 4",
          lip_sql=f"lip < {_us('2026-05-01')}"),
    Query("screened in 2025", {"reached_stage": "recruiter_screen",
          "last_in_process_after": "2025-01-01", "last_in_process_before": "2026-01-01"},
          app_sql="a.milestone_rank >= 2",
          lip_sql=f"lip >= {_us('2025-01-01')} AND lip < {_us('2026-01-01')}"),
    Query("python", {"query": "python"}, fts="python"),
    Query("python onsite", {"query": "python", "reached_stage": "onsite"},
          app_sql="a.milestone_rank >= 5", fts="python"),
    Query("kafka prefix", {"query": "kaf*"}, fts="kaf*"),
    Query("phrase", {"query": '"distributed systems"'}, fts='"distributed systems"'),
    Query("tag python", {"tags": ["python"]},
          person_sql="pe.person_id IN (SELECT person_id FROM search_person_tags WHERE tag_key = 'python')"),
    Query("tag + onsite", {"tags": ["kubernetes"], "reached_stage": "onsite"},
          app_sql="a.milestone_rank >= 5",
          person_sql="pe.person_id IN (SELECT person_id FROM search_person_tags WHERE tag_key = 'kubernetes')"),
    Query("referrals at hm screen", {"sources": ["Referral"], "reached_stage": "hiring_manager_screen"},
          app_sql="a.milestone_rank >= 3 AND EXISTS (SELECT 1 FROM search_application_sources src "
                  "WHERE src.application_id = a.application_id AND src.source_key = 'referral')"),
    Query("job title engineer", {"job_title": "engineer", "reached_stage": "onsite"},
          app_sql="a.milestone_rank >= 5 AND instr(a.job_title_key, 'engineer') > 0"),
    Query("job 3 onsite", {"job_ids": [3], "reached_stage": "onsite"},
          app_sql="a.job_id = 3 AND a.milestone_rank >= 5"),
    Query("compensation", {"rejection_reasons": ["Compensation expectations"]},
          app_sql="a.rejection_reason_key = 'compensation expectations'"),
    Query("applied 2024", {"applied_after": "2024-01-01", "applied_before": "2025-01-01",
          "reached_stage": "hiring_manager_screen"},
          app_sql=f"a.applied_at >= {_us('2024-01-01')} AND a.applied_at < {_us('2025-01-01')} "
                  "AND a.milestone_rank >= 3"),
    Query("everyone", {}),
    Query("include active onsite", {"include_active": True, "reached_stage": "onsite"},
          app_sql="a.milestone_rank >= 5"),
)


def raw_sql(q: Query, team_id: int) -> str:
    """The hand-written SQL of ``q``: total and first page (person id, last in process)."""
    statuses = "'closed', 'open'" if q.filters.get("include_active") else "'closed'"
    active = "1" if q.filters.get("include_active") else "pe.has_open = 0"
    fts = _fts(q.fts) if q.fts else "1"
    return f"""
WITH seen AS NOT MATERIALIZED (
  SELECT * FROM search_applications WHERE status IN ({statuses}) AND confidential = 0),
cand AS (
  SELECT pe.person_id,
         (SELECT MAX(last_activity_at) FROM seen s WHERE s.person_id = pe.person_id) AS lip
  FROM search_people pe
  WHERE pe.team_id = {team_id} AND {active} AND {q.person_sql} AND {fts}
    AND pe.person_id IN (SELECT a.person_id FROM seen a WHERE {q.app_sql})
),
hits AS MATERIALIZED (SELECT * FROM cand WHERE {q.lip_sql}),
page AS (SELECT * FROM hits ORDER BY lip IS NULL, lip DESC, person_id ASC LIMIT {PAGE})
SELECT (SELECT COUNT(*) FROM hits) AS total, pg.person_id, pe.name, pe.title, pe.company,
       pe.emails, pe.origins, r.job_title, r.stage_name, r.milestone, r.source,
       r.rejection_reason, sc.positive, sc.negative, sc.strong_no, sc.pending
FROM page pg
JOIN search_people pe ON pe.person_id = pg.person_id
LEFT JOIN seen r ON r.application_id = (
  SELECT application_id FROM seen s WHERE s.person_id = pg.person_id
  ORDER BY last_activity_at DESC, application_id DESC LIMIT 1)
LEFT JOIN (SELECT s.person_id, SUM(s.positive) AS positive, SUM(s.negative) AS negative,
                  SUM(s.strong_no) AS strong_no, SUM(s.pending) AS pending
           FROM page p2 JOIN seen s ON s.person_id = p2.person_id GROUP BY s.person_id) sc
       ON sc.person_id = pg.person_id
ORDER BY pg.lip IS NULL, pg.lip DESC, pg.person_id ASC"""


def run_raw(conn: sqlite3.Connection, q: Query, team_id: int) -> tuple[int, list[int]]:
    """Run the hand-written SQL; (total, first-page person ids)."""
    rows = conn.execute(raw_sql(q, team_id)).fetchall()
    return (rows[0][0] if rows else 0), [r[1] for r in rows]
