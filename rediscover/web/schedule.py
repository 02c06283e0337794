"""The sync schedule (the only module that imports APScheduler).

Per enabled connection: a nightly full re-sync (a cron expression: the connection's
``sync_cron`` setting, else ``SYNC_CRON``; jittered so connections do not all start at once)
and an incremental sync every ``SYNC_INCREMENTAL_MINUTES`` (the connection's
``incremental_minutes`` setting overrides it); the index is brought up to date after each.
Jobs live in the store's database (APScheduler's SQLAlchemy job store), so the schedule
survives restarts; each job runs with ``max_instances=1`` and ``coalesce``, and the sync
lock keeps two processes (two schedulers, a CLI run, a webhook) off one connection.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy import select

from rediscover.core.models import Connection
from rediscover.sync.lock import LockHeldError
from rediscover.web import jobs

if TYPE_CHECKING:
    from apscheduler.schedulers.base import BaseScheduler

    from rediscover.web.wiring import Services

log = logging.getLogger(__name__)

JOBS_TABLE = "apscheduler_jobs"
REFRESH_MINUTES = 5  # how soon a new, changed or removed connection is (un)scheduled
DIGEST_CHECK_MINUTES = 60  # how often due saved-search digests (daily each) are looked for
MISFIRE_GRACE_SECONDS = 3600  # a run missed while down still runs if it is this recent
# This process's services and scheduler: jobs come back from the store as a function name
# and arguments, so what they need lives here (set by ``start``).
_services: Services | None = None
_current: BaseScheduler | None = None


class ScheduleConfigError(ValueError):
    """A schedule setting (global or per connection) is not valid."""


@dataclass(frozen=True)
class PlannedJob:
    """One job the schedule should hold."""

    id: str
    trigger: Any
    connection: str
    full: bool


def plan_jobs(connections: list[Connection], config: dict[str, Any]) -> list[PlannedJob]:
    """The jobs for these connections under ``config`` (disabled connections get none)."""
    jitter = int(config.get("SYNC_JITTER_SECONDS", 600))
    planned: list[PlannedJob] = []
    for conn in connections:
        if not conn.enabled:
            continue
        settings = conn.settings or {}
        cron = settings.get("sync_cron") or config["SYNC_CRON"]
        minutes = _minutes(settings.get("incremental_minutes",
                                        config["SYNC_INCREMENTAL_MINUTES"]), conn.name)
        planned.append(PlannedJob(f"sync-full:{conn.name}", _cron(cron, jitter, conn.name),
                                  conn.name, True))
        if minutes > 0:
            planned.append(PlannedJob(
                f"sync-incremental:{conn.name}",
                IntervalTrigger(minutes=minutes, jitter=min(jitter, 60)),
                conn.name, False))
    return planned


def _minutes(value: Any, name: str) -> float:
    try:
        minutes = float(value or 0)
    except (TypeError, ValueError):
        minutes = -1.0
    if minutes < 0:
        raise ScheduleConfigError(f"incremental_minutes {value!r} of connection {name!r} must "
                                  f"be a non-negative number (0 = no incremental syncs)")
    return minutes


def _cron(expression: str, jitter: int, name: str) -> CronTrigger:
    fields = str(expression).split()
    if len(fields) != 5:
        raise ScheduleConfigError(
            f"sync cron {expression!r} of connection {name!r} must have 5 fields "
            f"(minute hour day month weekday)")
    minute, hour, day, month, weekday = fields
    try:
        return CronTrigger(minute=minute, hour=hour, day=day, month=month,
                           day_of_week=weekday, jitter=jitter, timezone="UTC")
    except ValueError as exc:
        raise ScheduleConfigError(f"sync cron {expression!r} of connection {name!r}: {exc}") \
            from None


def make_scheduler(svc: Services) -> BaseScheduler:
    """A background scheduler whose jobs live in the store's database."""
    store = SQLAlchemyJobStore(engine=svc.engine, tablename=JOBS_TABLE)
    return BackgroundScheduler(jobstores={"default": store}, timezone="UTC", job_defaults={
        "coalesce": True, "max_instances": 1, "misfire_grace_time": MISFIRE_GRACE_SECONDS})


def refresh_schedule(scheduler: BaseScheduler, svc: Services) -> list[str]:
    """Make the stored jobs match the connections now; returns the sync job ids."""
    with svc.session_factory() as session:
        connections = list(session.scalars(select(Connection).order_by(Connection.id)))
    planned = plan_jobs(connections, svc.config)
    for job in planned:
        existing = scheduler.get_job(job.id)
        if existing is not None and str(existing.trigger) == str(job.trigger):
            continue  # unchanged: keep its next run time across restarts
        scheduler.add_job(run_scheduled_sync, job.trigger, args=[job.connection, job.full],
                          id=job.id, name=job.id, replace_existing=True)
    wanted = {job.id for job in planned}
    for job in scheduler.get_jobs():
        if job.id.startswith("sync-") and job.id not in wanted:
            scheduler.remove_job(job.id)
    log.info("schedule refreshed", extra={"jobs": len(wanted)})
    return sorted(wanted)


def start(svc: Services, *, paused: bool = False) -> BaseScheduler:
    """Build, start and fill the scheduler for this process (jobs run in its threads)."""
    global _services, _current
    scheduler = make_scheduler(svc)
    _services, _current = svc, scheduler
    scheduler.start(paused=paused)
    scheduler.add_job(refresh_current, IntervalTrigger(minutes=REFRESH_MINUTES),
                      id="refresh-schedule", replace_existing=True)
    scheduler.add_job(run_scheduled_digests, IntervalTrigger(minutes=DIGEST_CHECK_MINUTES),
                      id="saved-search-digests", replace_existing=True)
    refresh_schedule(scheduler, svc)
    return scheduler


def refresh_current() -> None:
    """Job: re-read the connections into the running scheduler's jobs."""
    if _services is not None and _current is not None:
        refresh_schedule(_current, _services)


def run_scheduled_digests() -> int:
    """Job: deliver the saved-search digests that are due (each at most once a day)."""
    from rediscover.web.digests import run_digests

    if _services is None:
        raise RuntimeError("the schedule runs jobs only in a process that called start()")
    sent = run_digests(_services)
    log.info("saved-search digests sent", extra={"sent": sent})
    return sent


def run_scheduled_sync(connection: str, full: bool) -> str:
    """Job: sync one connection (skipped if another process holds its lock), then index."""
    svc = _services
    if svc is None:
        raise RuntimeError("the schedule runs jobs only in a process that called start()")
    try:
        run = jobs.sync_connection(svc.session_factory, connection, full=full)
    except LockHeldError as exc:
        log.info("scheduled sync skipped: connection busy",
                 extra={"connection": connection, "holder": exc.owner})
        return "skipped"
    except LookupError:
        log.warning("scheduled sync of a removed connection", extra={"connection": connection})
        return "missing"
    jobs.apply_pending_webhooks(svc, connection)
    jobs.index_changes(svc)
    log.info("scheduled sync finished", extra={"connection": connection, "status": run.status,
                                               "full": full})
    return run.status
