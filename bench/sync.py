"""Sync throughput against the fake Greenhouse, and the cost of an incremental re-sync.

The fake server enforces a fixed-window budget (``rate_limit`` requests per ``window``
seconds) with real time, exactly as Harvest v3 does; the client paces itself by the
``X-RateLimit-*`` headers. Throughput is the share of the budget the full sync used in the
windows it spanned entirely (budgeted API requests, as the fake server counted them). Then 1 % of candidates change
upstream and an incremental sync plus index catch-up is timed against the full sync plus
full index build.
"""
from __future__ import annotations

import random
import time
from pathlib import Path
from typing import Any

from sqlalchemy import insert

from rediscover.core.db import make_engine, make_session_factory, sqlite_url
from rediscover.core.migrate import upgrade
from rediscover.core.models import Connection, Team
from rediscover.fakeats.dataset import generate
from rediscover.fakeats.greenhouse import (
    FIXTURE_CLIENT_ID,
    FIXTURE_CLIENT_SECRET,
    create_app,
    get_state,
)
from rediscover.fakeats.greenhouse_render import render_greenhouse
from rediscover.fakeats.server import serve_in_thread
from rediscover.indexer.backends.sqlite import SQLiteBackend
from rediscover.indexer.pipeline import index_pending
from rediscover.sync.runner import run_sync


def run_sync_benchmark(db: str, people: int, *, rate_limit: int, window: float, per_page: int,
                       changed_share: float) -> dict[str, Any]:
    """Full sync + index, then ``changed_share`` of candidates change, then incremental."""
    dataset = render_greenhouse(generate(people, seed=11))
    app = create_app(dataset, rate_limit=rate_limit, window=window)
    base_url, stop = serve_in_thread(app)
    try:
        session_factory, backend, connection_id = _fresh_store(db, base_url, per_page)
        full = _timed_sync(session_factory, backend, connection_id, full=True)
        windows = sorted(get_state(app).windows.items())
        _change_candidates(get_state(app), dataset["candidates"], changed_share)
        incremental = _timed_sync(session_factory, backend, connection_id, full=False)
    finally:
        stop()
    # Share of the budget used in the windows the full sync spanned entirely (the first and
    # last are partial by nature: the run starts and ends inside them).
    interior = [count for _, count in windows[1:-1]]
    return {
        "budget_rps": rate_limit / window,
        "full": full,
        "incremental": incremental,
        "windows": len(windows),
        "throughput_share": sum(interior) / (len(interior) * rate_limit) if interior else None,
        "incremental_share": (incremental["sync_seconds"] + incremental["index_seconds"])
        / (full["sync_seconds"] + full["index_seconds"]),
        "rate_limited": get_state(app).rate_limited,
    }


def _fresh_store(db: str, base_url: str, per_page: int):
    for suffix in ("", "-wal", "-shm"):
        Path(db + suffix).unlink(missing_ok=True)
    engine = make_engine(sqlite_url(db))
    upgrade(engine)
    with engine.begin() as conn:
        team_id = conn.execute(insert(Team).values(name="bench")).inserted_primary_key[0]
        connection_id = conn.execute(insert(Connection).values(
            team_id=team_id, name="bench-gh", ats="greenhouse", base_url=f"{base_url}/v3",
            token_url=f"{base_url}/token", enabled=True,
            credentials={"client_id": FIXTURE_CLIENT_ID, "client_secret": FIXTURE_CLIENT_SECRET,
                         "user_id": "101"},
            settings={"per_page": per_page},
        )).inserted_primary_key[0]
    backend = SQLiteBackend(engine)
    backend.setup()
    return make_session_factory(engine), backend, connection_id


def _timed_sync(session_factory, backend, connection_id: int, *, full: bool) -> dict[str, Any]:
    started = time.perf_counter()
    run = run_sync(connection_id, session_factory, full=full)
    synced = time.perf_counter()
    stats = index_pending(session_factory, backend)
    if run.status != "succeeded":
        raise SystemExit(f"bench sync ended {run.status}: {run.error}")
    return {"sync_seconds": synced - started, "index_seconds": time.perf_counter() - synced,
            "requests": run.requests, "fetched": run.counts.get("fetched"),
            "indexed": stats.indexed}


def _change_candidates(state, candidates: list[dict], share: float) -> None:
    rng = random.Random(5)
    for row in rng.sample(candidates, max(1, int(len(candidates) * share))):
        state.update("candidates", row["id"], title=f"{row.get('title') or 'Engineer'} (updated)")
