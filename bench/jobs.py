"""Benchmark jobs, each run in its own process (``python -m bench.jobs JOB JSON-ARGS``).

Each job prints one JSON object on its last line; the orchestrator (``python -m bench``)
reads it and the child's peak memory from ``os.wait4``.
"""
from __future__ import annotations

import json
import os
import sqlite3
import statistics
import sys
import time
from pathlib import Path
from typing import Any

from rediscover.core.db import make_engine, make_session_factory, sqlite_url
from rediscover.core.migrate import upgrade
from rediscover.indexer.backends.sqlite import FTS_OPTIONS, SQLiteBackend
from rediscover.indexer.pipeline import rebuild_index
from rediscover.query.filters import Viewer
from rediscover.query.search import search


def job_store(db: str, people: int, seed: int = 7) -> dict[str, Any]:
    """Generate ``people`` and write them into a fresh store."""
    from bench.generate import load_store

    for suffix in ("", "-wal", "-shm"):
        Path(db + suffix).unlink(missing_ok=True)
    engine = make_engine(sqlite_url(db))
    upgrade(engine)
    started = time.perf_counter()
    stats = load_store(engine, people, seed=seed)
    return {"seconds": time.perf_counter() - started, **vars(stats)}


def job_index_sqlite(db: str) -> dict[str, Any]:
    """Rebuild the embedded index from the store: merge, build documents, write FTS5."""
    engine = make_engine(sqlite_url(db))
    backend = SQLiteBackend(engine)
    backend.setup()
    started = time.perf_counter()
    stats = rebuild_index(make_session_factory(engine), backend)
    seconds = time.perf_counter() - started
    return {"seconds": seconds, "people": stats.people, "indexed": stats.indexed,
            "people_per_second": stats.people / seconds}


def job_index_raw(db: str) -> dict[str, Any]:
    """The engine's floor: the same person and application text bulk-inserted into bare FTS5.

    No merge, no documents, no side tables: just what FTS5 itself costs for this text, so
    our build rate can be read as a share of what the engine allows on this machine.
    """
    conn = sqlite3.connect(db)
    people = conn.execute("SELECT COUNT(*) FROM search_people").fetchone()[0]
    person_rows = conn.execute("SELECT rowid, * FROM search_person_text").fetchall()
    app_rows = conn.execute("SELECT rowid, * FROM search_application_text").fetchall()
    started = time.perf_counter()
    conn.execute(f"CREATE VIRTUAL TABLE raw_person USING fts5(name, title, company, tags, "
                 f"resume_text, {FTS_OPTIONS})")
    conn.execute(f"CREATE VIRTUAL TABLE raw_app USING fts5(job_title, resume_text, {FTS_OPTIONS})")
    with conn:
        conn.executemany("INSERT INTO raw_person(rowid, name, title, company, tags, resume_text) "
                         "VALUES (?, ?, ?, ?, ?, ?)", person_rows)
        conn.executemany("INSERT INTO raw_app(rowid, job_title, resume_text) VALUES (?, ?, ?)",
                         app_rows)
    seconds = time.perf_counter() - started
    conn.execute("DROP TABLE raw_person")
    conn.execute("DROP TABLE raw_app")
    return {"seconds": seconds, "people": people, "people_per_second": people / seconds}


def job_queries(db: str, rounds: int = 7) -> dict[str, Any]:
    """The query mix through our layer and by hand, interleaved; results must be equal."""
    from bench.queries import MIX, run_raw

    engine = make_engine(sqlite_url(db))
    backend = SQLiteBackend(engine)
    raw = sqlite3.connect(db)
    team_id = raw.execute("SELECT team_id FROM search_people LIMIT 1").fetchone()[0]
    viewer = Viewer(team_id=team_id)
    ours: dict[str, list[float]] = {q.name: [] for q in MIX}
    hand: dict[str, list[float]] = {q.name: [] for q in MIX}
    for q in MIX:  # equality first, so the timing compares equal work
        page, (total, ids) = search(backend, q.request(), viewer), run_raw(raw, q, team_id)
        if page.total != total or [r.person_id for r in page.results] != ids:
            raise SystemExit(f"query {q.name!r}: our layer and the raw SQL disagree")
    for _ in range(rounds):
        for q in MIX:
            ours[q.name].append(_timed(lambda: search(backend, q.request(), viewer)))
            hand[q.name].append(_timed(lambda: run_raw(raw, q, team_id)))
    return {"ours": _distribution(ours), "raw": _distribution(hand),
            "per_query": {n: {"ours_ms": statistics.median(ours[n]) * 1000,
                              "raw_ms": statistics.median(hand[n]) * 1000} for n in ours}}


def job_sync(db: str, people: int, rate_limit: int, window: float, per_page: int,
             changed_share: float = 0.01) -> dict[str, Any]:
    """Full sync from the fake Greenhouse (real clock), then an incremental after 1 % changes."""
    from bench.sync import run_sync_benchmark

    return run_sync_benchmark(db, people, rate_limit=rate_limit, window=window,
                              per_page=per_page, changed_share=changed_share)


def _timed(fn) -> float:
    started = time.perf_counter()
    fn()
    return time.perf_counter() - started


def _distribution(samples: dict[str, list[float]]) -> dict[str, float]:
    flat = sorted(s for values in samples.values() for s in values)

    def pct(p: float) -> float:
        return flat[min(len(flat) - 1, int(round(p / 100 * (len(flat) - 1))))] * 1000

    return {"p50_ms": pct(50), "p95_ms": pct(95), "p99_ms": pct(99), "samples": len(flat)}


JOBS = {"store": job_store, "index_sqlite": job_index_sqlite, "index_raw": job_index_raw,
        "queries": job_queries,
        "sync": job_sync}


def main(argv: list[str]) -> None:
    name, args = argv[0], json.loads(argv[1]) if len(argv) > 1 else {}
    result = JOBS[name](**args)
    sys.stdout.write(json.dumps(result) + "\n")
    sys.stdout.flush()
    os._exit(0)  # skip interpreter teardown; the parent reads our peak memory


if __name__ == "__main__":
    main(sys.argv[1:])
