"""Fault tolerance, for every adapter case: faults injected at a rate, data moving mid-sync.

Whatever the fake throws (429 storms with ``Retry-After``, 5xx, malformed and truncated
bodies, records edited or deleted between two page requests), each run ends ``succeeded``,
``partial`` or ``failed`` with its reason and failures recorded; and once the syncs get
through, the store equals a clean sync of the same (final) data: nothing dropped silently.
"""
from __future__ import annotations

import tempfile

import pytest
from sqlalchemy import select
from sqlalchemy.orm import sessionmaker
from sync_support import add_connection, snapshot

from rediscover.core.db import make_engine, sqlite_url
from rediscover.core.models import Base, Connection, SyncFailure
from rediscover.sync.runner import run_sync

MAX_RUNS = 25  # syncs a faulty ATS gets to converge (each resumes where the last stopped)


def _failures(session_factory, run_id: int) -> list[SyncFailure]:
    with session_factory() as s:
        return list(s.scalars(select(SyncFailure).where(SyncFailure.run_id == run_id)))


def _clean_snapshot(case, h) -> dict:
    """A full sync of what the harness's server holds now, with no faults, into a fresh
    store, with the harness connection's page size (iCIMS: the server's search cap)."""
    with h.session_factory() as s:
        settings = s.get(Connection, h.connection_id).settings or {}
    page_size = {case.page_size_setting: settings.get(case.page_size_setting, 5)}
    with tempfile.TemporaryDirectory() as folder:
        engine = make_engine(sqlite_url(f"{folder}/clean.sqlite"))
        Base.metadata.create_all(engine)
        clean = sessionmaker(engine, expire_on_commit=False)
        connection_id = add_connection(clean, h.server, **page_size)
        run = run_sync(connection_id, clean, full=True, clock=h.clock, sleep=h.clock.sleep)
        assert run.status == "succeeded", run.error
        result = snapshot(clean)
        engine.dispose()
    return result


def _until_done(h, *, full: bool) -> list:
    """Sync until one run succeeds; every run on the way must explain itself."""
    runs = []
    for _ in range(MAX_RUNS):
        run = h.sync(full=full)
        runs.append(run)
        assert run.status in ("succeeded", "partial", "failed")
        if run.status != "succeeded":
            assert run.error, "a run that did not succeed must say why"
            assert _failures(h.session_factory, run.id), "and record what failed"
        if run.status == "succeeded":
            return runs
        h.clock.advance(60)
    pytest.fail(f"no clean run in {MAX_RUNS}: {[r.error for r in runs]}")


@pytest.mark.slow
@pytest.mark.parametrize("rate", [0.15, 0.4])
def test_random_faults_end_in_the_store_of_a_clean_sync(case, harness, rate):
    data = case.generated_dataset(25)
    faults = case.faults().random(rate, seed=int(rate * 100), prefix=case.list_path(""))
    h = harness(case, data, settings={case.page_size_setting: 5}, faults=faults)

    runs = _until_done(h, full=False)
    runs += _until_done(h, full=True)

    assert faults.injected > 0
    assert any(s > 0 for s in h.clock.sleeps)  # backed off / waited out Retry-After
    faults.clear()
    assert snapshot(h.session_factory) == _clean_snapshot(case, h)


def test_a_429_storm_is_waited_out_not_dropped(case, harness):
    path = case.list_path("candidates")
    faults = case.faults().rate_limited(path, retry_after=4, times=4)
    h = harness(case, case.generated_dataset(12), settings={case.page_size_setting: 5},
                faults=faults)

    run = h.sync()

    assert run.status == "succeeded", run.error
    assert h.clock.sleeps.count(4) == 4
    assert snapshot(h.session_factory) == _clean_snapshot(case, h)


@pytest.mark.slow
def test_data_changing_between_page_requests_is_caught_up(case, harness):
    data = case.generated_dataset(25)
    ids = sorted(case.candidate_ids(data))
    path = case.list_path("candidates")
    faults = case.faults()
    h = harness(case, data, settings={case.page_size_setting: 5}, faults=faults)
    state = h.server.state
    # Between pages 2 and 3 one record already read changes, and one is deleted.
    faults.change(path, lambda: (case.touch_candidate(state, ids[-1]),
                                 case.delete_candidate(state, ids[0])), after=2)

    first = h.sync()
    h.clock.advance(120)
    second = h.sync()
    full = h.sync(full=True)

    assert first.status == second.status == full.status == "succeeded", full.error
    assert snapshot(h.session_factory) == _clean_snapshot(case, h)


def test_timeouts_at_a_rate_are_retried(case, harness):
    from rediscover.fakeats.server import Fault

    faults = case.faults().random(0.2, seed=3, prefix=case.list_path(""),
                                  kinds=(Fault("slow", delay=0.4),))
    h = harness(case, case.generated_dataset(8), settings={case.page_size_setting: 4,
                                                           "timeout_seconds": 0.1},
                faults=faults)

    runs = _until_done(h, full=False)

    assert faults.injected > 0
    faults.clear()
    assert snapshot(h.session_factory) == _clean_snapshot(case, h)
    assert runs[-1].status == "succeeded"
