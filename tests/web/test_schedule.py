"""The sync schedule: planned jobs, jobs stored in the database, the job functions themselves.

APScheduler's own timing is not tested here (STYLE: call the job functions directly).
"""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from rediscover.core.models import Connection, SyncRun
from rediscover.sync.lock import acquire_sync_lock
from rediscover.web import schedule

CONFIG = {"SYNC_CRON": "0 2 * * *", "SYNC_INCREMENTAL_MINUTES": 15, "SYNC_JITTER_SECONDS": 600}


def conn(name: str, enabled: bool = True, **settings) -> Connection:
    return Connection(name=name, ats="greenhouse", base_url="http://x", enabled=enabled,
                      settings=settings)


def test_each_connection_gets_a_nightly_full_and_frequent_incrementals():
    jobs = schedule.plan_jobs([conn("a"), conn("b", sync_cron="30 4 * * 1-5",
                                                  incremental_minutes=0),
                               conn("off", enabled=False)], CONFIG)

    assert [(j.id, j.full) for j in jobs] == [
        ("sync-full:a", True), ("sync-incremental:a", False), ("sync-full:b", True)]
    full_a, incremental_a, full_b = (j.trigger for j in jobs)
    assert "hour='2'" in str(full_a) and "minute='0'" in str(full_a)
    assert full_a.jitter == 600
    assert incremental_a.interval.total_seconds() == 15 * 60
    assert "hour='4'" in str(full_b) and "day_of_week='1-5'" in str(full_b)


@pytest.mark.parametrize("cron", ["0 2 * *", "0 25 * * *", "every night"])
def test_a_bad_cron_names_the_connection(cron):
    with pytest.raises(schedule.ScheduleConfigError, match="connection 'a'"):
        schedule.plan_jobs([conn("a", sync_cron=cron)], CONFIG)


def test_jobs_live_in_the_database_and_survive_a_restart(svc, fake):
    first = schedule.start(svc, paused=True)
    ids = sorted(j.id for j in first.get_jobs())
    next_full = first.get_job("sync-full:acme").next_run_time
    first.shutdown(wait=False)

    again = schedule.make_scheduler(svc)
    again.start(paused=True)
    try:
        assert sorted(j.id for j in again.get_jobs()) == ids == [
            "refresh-schedule", "saved-search-digests", "sync-full:acme", "sync-incremental:acme"]
        assert again.get_job("sync-full:acme").next_run_time == next_full
        with svc.session_factory.begin() as session:
            session.scalar(select(Connection)).enabled = False
        assert schedule.refresh_schedule(again, svc) == []
        assert sorted(j.id for j in again.get_jobs()) == ["refresh-schedule", "saved-search-digests"]
    finally:
        again.shutdown(wait=False)


def test_the_job_syncs_then_skips_while_another_process_holds_the_lock(svc, fake):
    sched = schedule.start(svc, paused=True)
    try:
        with svc.session_factory() as s:
            runs_before = s.scalar(select(func.count(SyncRun.id)))
            connection_id = s.scalar(select(Connection.id))
        assert schedule.run_scheduled_sync("acme", False) == "succeeded"
        with acquire_sync_lock(svc.session_factory, connection_id):
            assert schedule.run_scheduled_sync("acme", True) == "skipped"
        assert schedule.run_scheduled_sync("gone", False) == "missing"
        with svc.session_factory() as s:
            assert s.scalar(select(func.count(SyncRun.id))) == runs_before + 1
    finally:
        sched.shutdown(wait=False)


def test_the_digest_job_runs_in_a_started_schedule(svc, fake):
    sched = schedule.start(svc, paused=True)
    try:
        assert schedule.run_scheduled_digests() == 0  # no saved search has a webhook yet
    finally:
        sched.shutdown(wait=False)
