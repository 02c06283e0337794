"""What operators watch: per connection the last runs, their counts, rate vs. budget, errors.

Shared by ``GET /api/v1/sync/runs`` and ``rediscover sync status``.
"""
from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select

from rediscover.core.models import (
    Candidate,
    Connection,
    SyncCheckpoint,
    SyncFailure,
    SyncLock,
    SyncRun,
    WebhookEvent,
)

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

RUNS_PER_CONNECTION = 5
FAILURES_PER_RUN = 5  # newest failures shown per run (the rest are counted)
# The resources whose watermark says how fresh a person's data is ("as of").
AS_OF_RESOURCES = ("candidates", "applications")


def run_dict(run: SyncRun, connection: str, failures: list[SyncFailure] | None = None,
             failure_count: int = 0) -> dict[str, Any]:
    """One run as the API and the CLI show it."""
    duration = (run.finished_at - run.started_at).total_seconds() if run.finished_at else None
    rate = (run.requests / duration) if duration else None
    return {
        "id": run.id,
        "connection": connection,
        "kind": run.kind,
        "status": run.status,
        "started_at": run.started_at.isoformat(),
        "finished_at": run.finished_at.isoformat() if run.finished_at else None,
        "duration_s": duration,
        "counts": run.counts,
        "requests": run.requests,
        "request_rate": rate,
        "rate_budget": run.rate_budget,
        "budget_used": (rate / run.rate_budget) if rate is not None and run.rate_budget else None,
        "error": run.error,
        "failure_count": failure_count,
        "failures": [{"resource": f.resource, "remote_id": f.remote_id, "status": f.status,
                      "message": f.message} for f in failures or ()],
    }


def connection_status(session: Session, team_id: int | None = None,
                      runs: int = RUNS_PER_CONNECTION) -> list[dict[str, Any]]:
    """Every connection (of ``team_id``, or all) with its newest ``runs`` runs."""
    stmt = select(Connection).order_by(Connection.id)
    if team_id is not None:
        stmt = stmt.where(Connection.team_id == team_id)
    return [_one(session, conn, runs) for conn in session.scalars(stmt)]


def _one(session: Session, conn: Connection, runs: int) -> dict[str, Any]:
    rows = session.scalars(select(SyncRun).where(SyncRun.connection_id == conn.id)
                           .order_by(SyncRun.id.desc()).limit(runs)).all()
    lock = session.get(SyncLock, conn.id)
    pending = session.scalar(select(func.count(WebhookEvent.id)).where(
        WebhookEvent.connection_id == conn.id, WebhookEvent.status == "pending"))
    return {
        "connection": conn.name,
        "ats": conn.ats,
        "enabled": conn.enabled,
        "syncing": bool(lock and lock.owner),
        "as_of": _iso(confirmed_as_of(session, conn.id)),
        "candidates": session.scalar(select(func.count(Candidate.id)).where(
            Candidate.connection_id == conn.id)),
        "pending_webhook_events": pending,
        "runs": [_run_with_failures(session, run, conn.name) for run in rows],
    }


def _run_with_failures(session: Session, run: SyncRun, name: str) -> dict[str, Any]:
    failures = session.scalars(select(SyncFailure).where(SyncFailure.run_id == run.id)
                               .order_by(SyncFailure.id.desc()).limit(FAILURES_PER_RUN)).all()
    count = session.scalar(select(func.count(SyncFailure.id)).where(
        SyncFailure.run_id == run.id))
    return run_dict(run, name, failures, count)


def confirmed_as_of(session: Session, connection_id: int) -> datetime | None:
    """Up to when the store is known to match the ATS for this connection's people.

    A resource's watermark only moves when a whole window was read, so everything changed
    in the ATS before the oldest of these watermarks is in the store (deletions: as of the
    last full sync). Kept per connection rather than per row, so a sync that finds nothing
    new writes nothing.
    """
    marks = session.scalars(select(SyncCheckpoint.watermark).where(
        SyncCheckpoint.connection_id == connection_id,
        SyncCheckpoint.resource.in_(AS_OF_RESOURCES))).all()
    if len(marks) < len(AS_OF_RESOURCES) or any(m is None for m in marks):
        return None
    return min(marks)


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def person_as_of(session: Session, person_id: int) -> datetime | None:
    """When a person's data was last confirmed from the ATS: the oldest "as of" of the
    connections their records come from (None while one has never completed a sync)."""
    connection_ids = session.scalars(select(Candidate.connection_id).where(
        Candidate.person_id == person_id).distinct()).all()
    marks = [confirmed_as_of(session, cid) for cid in connection_ids]
    if not marks or any(m is None for m in marks):
        return None
    return min(marks)
