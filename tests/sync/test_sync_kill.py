"""Kill -9 the sync at many random points: the resumed sync ends with the store of a clean one.

The sync runs as the real CLI (``rediscover sync``) in a subprocess against a fake ATS served
by this process; the parent SIGKILLs it once it has made a random number of requests (seeded),
over and over, then lets one run finish. Nothing of the child gets to clean up: its run stays
"running", its lock stays taken, half a page may be in flight.
"""
from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import sessionmaker
from sync_support import add_connection, snapshot

from rediscover.core.db import make_engine, sqlite_url
from rediscover.core.migrate import upgrade
from rediscover.core.models import Connection, SyncRun
from rediscover.sync.runner import run_sync

KILLS = 15
SEED = 20261122
ROOT = Path(__file__).resolve().parents[2]
CHILD_TIMEOUT = 120  # seconds one child may take to reach its kill point or finish


def _store(path: Path) -> sessionmaker:
    engine = make_engine(sqlite_url(path))
    upgrade(engine)
    return sessionmaker(engine, expire_on_commit=False)


def _start_child(db: Path, name: str) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "REDISCOVER_DATABASE_URL": sqlite_url(db)}
    return subprocess.Popen(
        [sys.executable, "-m", "rediscover.web.cli", "sync", "--connection", name, "--no-index"],
        env=env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)


def _kill_after(child: subprocess.Popen, state, requests: int, jitter: float) -> bool:
    """SIGKILL ``child`` once the server saw ``requests`` more requests; False if it finished."""
    start = len(state.requests)
    deadline = time.monotonic() + CHILD_TIMEOUT
    while len(state.requests) - start < requests:
        if child.poll() is not None:
            return False
        assert time.monotonic() < deadline, "the child sync stalled"
        time.sleep(0.001)
    time.sleep(jitter)  # land anywhere: converting, writing, committing, mid-request
    child.send_signal(signal.SIGKILL)
    child.wait()
    return child.returncode == -signal.SIGKILL


@pytest.mark.slow
def test_killed_syncs_resume_to_the_store_of_an_uninterrupted_one(case, serve, tmp_path):
    settings = {case.page_size_setting: 5}
    server = serve(case, case.generated_dataset(25), clock=time.time, rate_limit=100_000,
                   **case.server_options(settings))
    clean = _store(tmp_path / "clean.sqlite")
    clean_run = run_sync(add_connection(clean, server, **settings), clean, full=True)
    assert clean_run.status == "succeeded", clean_run.error
    per_sync = len(server.state.requests)
    killed_store = _store(tmp_path / "killed.sqlite")
    add_connection(killed_store, server, **settings)
    with killed_store() as s:
        name = s.scalar(select(Connection.name))
    rng = random.Random(SEED)

    # Kill points spread so that the kills together cover about one whole sync.
    spread = max(2, 2 * per_sync // KILLS)
    kills = 0
    for _ in range(KILLS):
        child = _start_child(tmp_path / "killed.sqlite", name)
        kills += _kill_after(child, server.state, rng.randint(1, spread), rng.uniform(0, 0.02))
    last = _start_child(tmp_path / "killed.sqlite", name)
    output = last.communicate(timeout=CHILD_TIMEOUT)[0].decode()

    assert last.returncode == 0, output
    assert kills >= KILLS - 2  # the runs really died mid-way
    assert snapshot(killed_store) == snapshot(clean)
    with killed_store() as s:
        runs = s.scalars(select(SyncRun).order_by(SyncRun.id)).all()
    assert runs[-1].status == "succeeded", runs[-1].error
    assert all(r.status != "running" for r in runs)
    assert sum("interrupted" in (r.error or "") for r in runs) >= kills - 1
