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
import threading
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
    started, cpu = time.perf_counter(), cpu_now()
    stats = rebuild_index(make_session_factory(engine), backend)
    seconds, cpu = time.perf_counter() - started, cpu_now() - cpu
    return {"seconds": seconds, "people": stats.people, "indexed": stats.indexed,
            "people_per_second": stats.people / seconds, "cpu_seconds": cpu,
            "people_per_cpu_second": stats.people / cpu}


def job_index_raw(db: str) -> dict[str, Any]:
    """The engine's floor: the same person and application text bulk-inserted into bare FTS5.

    No merge, no documents, no side tables: just what FTS5 itself costs for this text, so
    our build rate can be read as a share of what the engine allows on this machine.
    """
    conn = sqlite3.connect(db)
    people = conn.execute("SELECT COUNT(*) FROM search_people").fetchone()[0]
    started, cpu = time.perf_counter(), cpu_now()
    conn.execute(f"CREATE VIRTUAL TABLE raw_person USING fts5(name, title, company, tags, "
                 f"resume_text, {FTS_OPTIONS})")
    conn.execute(f"CREATE VIRTUAL TABLE raw_app USING fts5(job_title, resume_text, {FTS_OPTIONS})")
    with conn:  # rows stream from our FTS tables (a second cursor): nothing held in memory
        conn.executemany("INSERT INTO raw_person(rowid, name, title, company, tags, resume_text) "
                         "VALUES (?, ?, ?, ?, ?, ?)",
                         conn.cursor().execute("SELECT rowid, * FROM search_person_text"))
        conn.executemany("INSERT INTO raw_app(rowid, job_title, resume_text) VALUES (?, ?, ?)",
                         conn.cursor().execute("SELECT rowid, * FROM search_application_text"))
    seconds, cpu = time.perf_counter() - started, cpu_now() - cpu
    conn.execute("DROP TABLE raw_person")
    conn.execute("DROP TABLE raw_app")
    return {"seconds": seconds, "people": people, "people_per_second": people / seconds,
            "cpu_seconds": cpu, "people_per_cpu_second": people / cpu}


def job_queries(db: str, rounds: int = 7) -> dict[str, Any]:
    """The query mix through our layer and by hand in SQL, interleaved; results must be equal."""
    from bench.queries import run_raw

    engine = make_engine(sqlite_url(db))
    raw = sqlite3.connect(db)
    team_id = raw.execute("SELECT team_id FROM search_people LIMIT 1").fetchone()[0]
    return query_mix(SQLiteBackend(engine), lambda q: run_raw(raw, q, team_id), team_id, rounds)


def job_elasticsearch(db: str, rounds: int = 5) -> dict[str, Any]:
    """Index build rate and the query mix (ours vs. hand-written JSON) on Elasticsearch.

    Against ``REDISCOVER_BENCH_ES_URL`` when set, else a private osmem-server (an in-memory
    Python work-alike: figures from it say nothing about a real cluster's speed). The store
    at ``db`` is rebuilt into a fresh alias, dropped afterwards.
    """
    import uuid

    from bench.osmem import make_plain_client
    from bench.queries_es import run_raw_es
    from rediscover.indexer.backends.elasticsearch import ElasticsearchBackend

    url, server = os.environ.get("REDISCOVER_BENCH_ES_URL", ""), None
    if not url:
        from osmem_server import OsmemServer

        server = OsmemServer.start(freeze=False, japanese=False)
        url = server.url
    client = make_plain_client(url, timeout=300)
    backend = ElasticsearchBackend(url, f"bench_{uuid.uuid4().hex[:10]}", client=client,
                                   replicas=0)
    try:
        backend.setup()
        engine = make_engine(sqlite_url(db))
        started, cpu = time.perf_counter(), cpu_now()
        stats = rebuild_index(make_session_factory(engine), backend)
        backend.refresh()
        seconds, cpu = time.perf_counter() - started, cpu_now() - cpu
        team_id = sqlite3.connect(db).execute("SELECT MIN(team_id) FROM people").fetchone()[0]
        mix = query_mix(backend, lambda q: run_raw_es(client, backend.alias, q, team_id),
                        team_id, rounds)
    finally:
        backend.drop()
        if server is not None:
            server.close()
    index = {"seconds": seconds, "people": stats.people, "indexed": stats.indexed,
             "people_per_second": stats.people / seconds, "cpu_seconds": cpu,
             "people_per_cpu_second": stats.people / cpu}
    return {"engine": "real cluster" if server is None else "osmem-server (not a real cluster)",
            "index": index, **mix}


def query_mix(backend: Any, run_raw: Any, team_id: int, rounds: int) -> dict[str, Any]:
    """``bench.queries.MIX`` through our layer on ``backend`` and by hand (``run_raw(q)`` ->
    (total, first-page ids)), interleaved, after checking both give equal results."""
    from bench.queries import MIX

    viewer = Viewer(team_id=team_id)
    ours: dict[str, list[float]] = {q.name: [] for q in MIX}
    hand: dict[str, list[float]] = {q.name: [] for q in MIX}
    # CPU seconds of this process too: other jobs on a shared machine inflate wall times.
    ours_cpu: dict[str, list[float]] = {q.name: [] for q in MIX}
    hand_cpu: dict[str, list[float]] = {q.name: [] for q in MIX}
    for q in MIX:  # equality first, so the timing compares equal work
        page, (total, ids) = search(backend, q.request(), viewer), run_raw(q)
        if page.total != total or [r.person_id for r in page.results] != ids:
            raise SystemExit(f"query {q.name!r}: our layer and the raw engine disagree "
                             f"({page.total} vs {total} people)")
    for _ in range(rounds):
        for q in MIX:
            for wall, cpu, fn in ((ours, ours_cpu, lambda: search(backend, q.request(), viewer)),
                                  (hand, hand_cpu, lambda: run_raw(q))):
                seconds, cpu_seconds = _timed(fn)
                wall[q.name].append(seconds)
                cpu[q.name].append(cpu_seconds)
    return {"ours": _distribution(ours), "raw": _distribution(hand),
            "ours_cpu": _distribution(ours_cpu), "raw_cpu": _distribution(hand_cpu),
            "per_query": {n: {"ours_ms": statistics.median(ours[n]) * 1000,
                              "raw_ms": statistics.median(hand[n]) * 1000,
                              "ours_cpu_ms": statistics.median(ours_cpu[n]) * 1000,
                              "raw_cpu_ms": statistics.median(hand_cpu[n]) * 1000}
                          for n in ours}}


def job_sync(db: str, people: int, rate_limit: int, window: float, per_page: int,
             changed_share: float = 0.01) -> dict[str, Any]:
    """Full sync from the fake Greenhouse (real clock), then an incremental after 1 % changes."""
    from bench.sync import run_sync_benchmark

    return run_sync_benchmark(db, people, rate_limit=rate_limit, window=window,
                              per_page=per_page, changed_share=changed_share)


def _timed(fn) -> tuple[float, float]:
    """(wall seconds, CPU seconds of this process) of one call."""
    started, cpu = time.perf_counter(), time.process_time()
    fn()
    return time.perf_counter() - started, time.process_time() - cpu


def _distribution(samples: dict[str, list[float]]) -> dict[str, float]:
    flat = sorted(s for values in samples.values() for s in values)

    def pct(p: float) -> float:
        return flat[min(len(flat) - 1, int(round(p / 100 * (len(flat) - 1))))] * 1000

    return {"p50_ms": pct(50), "p95_ms": pct(95), "p99_ms": pct(99), "samples": len(flat)}


JOBS = {"store": job_store, "index_sqlite": job_index_sqlite, "index_raw": job_index_raw,
        "queries": job_queries, "elasticsearch": job_elasticsearch, "sync": job_sync}


class TreeUsage(threading.Thread):
    """Samples this process and all its descendants (worker processes included, which
    ``wait4`` does not add up) every ``every`` s: the peak of their summed RSS, and their
    summed CPU seconds (each process's last sample: a worker's final fraction of a second
    after its last sample is missed)."""

    def __init__(self, every: float = 0.25) -> None:
        super().__init__(daemon=True)
        self.every, self.peak_mb = every, 0.0
        self._cpu: dict[int, float] = {}

    def run(self) -> None:
        while True:
            self.sample()
            time.sleep(self.every)

    def sample(self) -> None:
        rss, cpu = tree_usage(os.getpid())
        self.peak_mb = max(self.peak_mb, rss)
        self._cpu.update(cpu)

    @property
    def cpu_seconds(self) -> float:
        return sum(self._cpu.values())


def tree_usage(root: int) -> tuple[float, dict[int, float]]:
    """(RSS in MB, CPU seconds per process) of ``root`` and its descendants, from /proc."""
    parents: dict[int, int] = {}
    stats: dict[int, list[str]] = {}
    for entry in Path("/proc").glob("[0-9]*"):
        try:
            stat = (entry / "stat").read_text()
            fields = stat[stat.rindex(")") + 2:].split()
            parents[int(entry.name)], stats[int(entry.name)] = int(fields[1]), fields
        except (OSError, ValueError, IndexError):
            continue  # gone meanwhile
    tree, todo = set(), [root]
    while todo:
        pid = todo.pop()
        tree.add(pid)
        todo += [child for child, parent in parents.items() if parent == pid]
    tick, page = os.sysconf("SC_CLK_TCK"), os.sysconf("SC_PAGE_SIZE")
    rss = sum(int(stats[pid][21]) for pid in tree if pid in stats) * page / 2**20
    # utime and stime are fields 14 and 15 of stat (11 and 12 after the command name).
    cpu = {pid: (int(stats[pid][11]) + int(stats[pid][12])) / tick for pid in tree if pid in stats}
    return rss, cpu


USAGE = TreeUsage()  # this job's process tree; started by main()


def cpu_now() -> float:
    """CPU seconds used so far by this job's process tree (workers that ran included)."""
    USAGE.sample()
    return USAGE.cpu_seconds


def main(argv: list[str]) -> None:
    name, args = argv[0], json.loads(argv[1]) if len(argv) > 1 else {}
    USAGE.start()
    result = JOBS[name](**args)
    USAGE.sample()
    result["tree_peak_mb"] = USAGE.peak_mb
    sys.stdout.write(json.dumps(result) + "\n")
    sys.stdout.flush()
    os._exit(0)  # skip interpreter teardown; the parent reads our peak memory


if __name__ == "__main__":
    main(sys.argv[1:])
