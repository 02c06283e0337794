"""The jobs the CLI, the schedule and webhooks run: sync a connection, index what changed."""
from __future__ import annotations

import logging
import threading
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from rediscover.core.models import Connection, SyncRun

if TYPE_CHECKING:
    from flask import Flask

    from rediscover.sync.runner import Progress, Tally

    from rediscover.web.wiring import Services

log = logging.getLogger(__name__)


def connection_names(session_factory: sessionmaker[Session], only: str | None = None) -> list[str]:
    """Names of the enabled connections (or just ``only``, if it exists)."""
    stmt = select(Connection.name).where(Connection.enabled.is_(True)).order_by(Connection.id)
    if only:
        stmt = select(Connection.name).where(Connection.name == only)
    with session_factory() as session:
        return list(session.scalars(stmt))


def sync_connection(session_factory: sessionmaker[Session], name: str, *, full: bool = False,
                    progress: Progress | None = None, **runner_options) -> SyncRun:
    """Sync one connection by name under its sync lock; the run records its own outcome.

    Raises:
        LookupError: no such connection.
        LockHeldError: another process is syncing it (nothing was done).
    """
    from rediscover.sync.lock import acquire_sync_lock
    from rediscover.sync.runner import run_sync

    connection_id = connection_id_of(session_factory, name)
    with acquire_sync_lock(session_factory, connection_id) as lock:

        def on_page(resource: str, totals: Tally) -> None:
            lock.renew()  # raises LockLostError (recorded on the run) if it is gone
            if progress is not None:
                progress(resource, totals)

        return run_sync(connection_id, session_factory, full=full, progress=on_page,
                        **runner_options)


def connection_id_of(session_factory: sessionmaker[Session], name: str) -> int:
    """The id of the connection called ``name`` (``LookupError`` if none)."""
    with session_factory() as session:
        connection_id = session.scalar(select(Connection.id).where(Connection.name == name))
    if connection_id is None:
        raise LookupError(f"no connection named {name!r}")
    return connection_id


def apply_pending_webhooks(svc: Services, connection: str | None = None) -> int:
    """Apply webhook events that waited while a sync held the connection's lock."""
    from rediscover.web.webhooks import apply_pending

    return apply_pending(svc, connection)


def index_changes(svc: Services):
    """Apply queued changes to the search index."""
    from rediscover.indexer.pipeline import index_pending

    return index_pending(svc.session_factory, svc.backend)


def rebuild_index(svc: Services):
    """Rebuild the whole search index from the store."""
    from rediscover.indexer.pipeline import rebuild_index as rebuild

    return rebuild(svc.session_factory, svc.backend)


def resume_bulk_jobs(svc: Services, *, every: float = 60.0, stop: threading.Event | None = None
                     ) -> None:
    """Loop for a serving process: pick up bulk jobs a stopped process left half done.

    Checks at once and then every ``every`` seconds until ``stop`` is set; several serving
    processes may all run it (a job is claimed by exactly one).
    """
    from rediscover.web.bulk import resume_interrupted

    stop = stop or threading.Event()
    while True:
        try:
            resume_interrupted(svc)
        except Exception:  # a database hiccup must not end the loop
            log.exception("resuming bulk jobs failed")
        if stop.wait(every):
            return


def describe_run(name: str, run: SyncRun) -> str:
    """One line for operators: outcome, counts, requests, and the error if any."""
    counts = ", ".join(f"{k} {v}" for k, v in (run.counts or {}).items() if not isinstance(v, dict))
    tail = f" — {run.error}" if run.error else ""
    return f"sync {name}: {run.status} ({counts}; {run.requests} requests){tail}"


def describe_index(stats) -> str:
    """One line about an indexing run."""
    failed = len(stats.failed)
    return (f"index: {stats.indexed} documents written, {stats.deleted} removed, "
            f"{stats.extracted} resumes extracted"
            + (f", {failed} failed (queued again)" if failed else ""))


def serve_app(app: Flask, host: str, port: int) -> None:
    """Serve ``app`` with Werkzeug's threaded server (put a real WSGI server in front at scale).

    The process also finishes bulk adds that a restart cut off (``resume_bulk_jobs``).
    """
    from werkzeug.serving import run_simple

    threading.Thread(target=resume_bulk_jobs, args=(app.extensions["rediscover"],),
                     name="bulk-resume", daemon=True).start()
    log.info("serving", extra={"host": host, "port": port})
    run_simple(host, port, app, threaded=True, use_reloader=False)
