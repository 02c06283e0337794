"""Helpers for sync tests: a fake clock, a sync harness, store snapshots, statement counts.

Fakes stand in only for what is outside the repo: the ATS (a real HTTP server on
127.0.0.1), the clock and ``sleep`` (one virtual clock shared by client and server, so
pacing and ``Retry-After`` cost no real time).
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

import httpx
from sqlalchemy import event, select
from sqlalchemy.orm import Session, sessionmaker
from sync_cases import AtsCase

from rediscover.core.models import (
    Application,
    ApplicationSource,
    ATSUser,
    Attachment,
    Candidate,
    CandidateEmail,
    CandidatePhone,
    CandidateTag,
    Connection,
    IndexQueue,
    Job,
    JobTeamMember,
    RejectionReason,
    Scorecard,
    Source,
    Stage,
    StageEvent,
    SyncRun,
    Team,
)
from rediscover.sync.runner import run_sync

START = datetime(2024, 6, 1, tzinfo=timezone.utc).timestamp()  # after every fixture timestamp


class FakeClock:
    """Epoch seconds that only move when someone sleeps (or a test advances them)."""

    def __init__(self, start: float = START) -> None:
        self.now = start
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += max(seconds, 0.0)

    def advance(self, seconds: float) -> None:
        self.now += seconds


@dataclass
class FakeServer:
    """A running fake ATS and what the tests need to drive it."""

    case: AtsCase
    app: Any
    base_url: str
    stop: Callable[[], None]

    @property
    def state(self) -> Any:
        return self.case.state_of(self.app)


@dataclass
class SyncHarness:
    """Runs syncs of one connection against one fake server with the fake clock."""

    case: AtsCase
    server: FakeServer
    session_factory: sessionmaker[Session]
    clock: FakeClock
    connection_id: int
    transport: httpx.BaseTransport | None = None
    runs: list[SyncRun] = field(default_factory=list)

    def sync(self, *, full: bool = False, **kwargs: Any) -> SyncRun:
        run = run_sync(self.connection_id, self.session_factory, full=full,
                       transport=kwargs.pop("transport", self.transport), clock=self.clock,
                       sleep=self.clock.sleep, **kwargs)
        self.runs.append(run)
        return run


def add_connection(session_factory: sessionmaker[Session], server: FakeServer,
                   **settings: Any) -> int:
    """A team and a connection pointed at ``server``; returns the connection id."""
    with session_factory() as session:
        team = session.scalar(select(Team).where(Team.name == "Acme")) or Team(name="Acme")
        conn = Connection(team=team, name=f"{server.case.ats}-{server.base_url}",
                          ats=server.case.ats, settings=settings,
                          **server.case.connection_fields(server.base_url))
        session.add(conn)
        session.commit()
        return conn.id


# ---------------------------------------------------------------------- store helpers


def snapshot(session_factory: sessionmaker[Session]) -> dict[str, set[tuple]]:
    """The synced store as comparable values: remote ids instead of local ids, no timestamps
    of our own, so two stores filled differently compare equal when they hold the same data."""
    with session_factory() as s:
        cand = dict(s.execute(select(Candidate.id, Candidate.remote_id)).all())
        app = dict(s.execute(select(Application.id, Application.remote_id)).all())
        job = dict(s.execute(select(Job.id, Job.remote_id)).all())
        stage = dict(s.execute(select(Stage.id, Stage.remote_id)).all())
        src = dict(s.execute(select(Source.id, Source.remote_id)).all())
        reason = dict(s.execute(select(RejectionReason.id, RejectionReason.remote_id)).all())
        return {
            "users": _rows(s, ATSUser, "remote_id", "name", "email", "site_admin", "deactivated"),
            "jobs": _rows(s, Job, "remote_id", "title", "requisition_id", "status", "confidential",
                          "opened_at", "closed_at", "remote_updated_at"),
            "team": {(job[m.job_id], m.remote_user_id, m.role)
                     for m in s.scalars(select(JobTeamMember))},
            "stages": {(x.remote_id, job.get(x.job_id), x.name, x.sort_order, x.active,
                        x.milestone, x.milestone_source) for x in s.scalars(select(Stage))},
            "reasons": _rows(s, RejectionReason, "remote_id", "name", "type_key", "type_name"),
            "sources": _rows(s, Source, "remote_id", "name", "type_name"),
            "candidates": _rows(s, Candidate, "remote_id", "first_name", "last_name", "company",
                                "title", "location", "is_private", "can_email", "anonymized",
                                "url", "remote_created_at", "remote_updated_at",
                                "last_activity_at"),
            "emails": {(cand[e.candidate_id], e.value, e.normalized, e.type)
                       for e in s.scalars(select(CandidateEmail))},
            "phones": {(cand[p.candidate_id], p.value, p.type)
                       for p in s.scalars(select(CandidatePhone))},
            "tags": {(cand[t.candidate_id], t.name, t.normalized)
                     for t in s.scalars(select(CandidateTag))},
            "applications": {(a.remote_id, cand[a.candidate_id], job.get(a.job_id), a.status,
                              a.remote_status, stage.get(a.current_stage_id), a.current_stage_name,
                              reason.get(a.rejection_reason_id), a.rejection_note, a.location,
                              a.url, a.applied_at, a.rejected_at, a.hired_at, a.last_activity_at,
                              a.remote_updated_at) for a in s.scalars(select(Application))},
            "app_sources": {(app[x.application_id], src[x.source_id], x.position)
                            for x in s.scalars(select(ApplicationSource))},
            "stage_events": {(app[e.application_id], e.remote_id, stage.get(e.stage_id),
                              e.stage_name, e.entered_at, e.exited_at)
                             for e in s.scalars(select(StageEvent))},
            "scorecards": {(c.remote_id, app[c.application_id], c.interviewer_remote_id,
                            c.interviewer_name, c.recommendation, c.status, c.interviewed_at,
                            c.submitted_at) for c in s.scalars(select(Scorecard))},
            "attachments": {(a.remote_id, cand[a.candidate_id], app.get(a.application_id),
                             a.filename, a.type, a.content_hash, a.size, a.content_type,
                             a.download_error) for a in s.scalars(select(Attachment))},
        }


def _rows(session: Session, model: type, *columns: str) -> set[tuple]:
    return {tuple(getattr(row, c) for c in columns) for row in session.scalars(select(model))}


def queue_ids(session_factory: sessionmaker[Session]) -> list[int]:
    """Candidate ids in the index queue, in queue order."""
    with session_factory() as s:
        return list(s.scalars(select(IndexQueue.candidate_id).order_by(IndexQueue.id)))


class StatementCounter:
    """Counts INSERT/UPDATE/DELETE statements on synced tables (bookkeeping tables excluded)."""

    BOOKKEEPING = ("sync_runs", "sync_checkpoints", "sync_failures")

    def __init__(self, session_factory: sessionmaker[Session]) -> None:
        self.engine = session_factory.kw["bind"]
        self.statements: list[str] = []

    def __enter__(self) -> StatementCounter:
        event.listen(self.engine, "before_cursor_execute", self._seen)
        return self

    def __exit__(self, *exc: object) -> None:
        event.remove(self.engine, "before_cursor_execute", self._seen)

    def _seen(self, conn, cursor, statement: str, *args: Any) -> None:
        head = statement.lstrip().split(None, 3)
        verb = head[0].upper() if head else ""
        if verb in ("INSERT", "UPDATE", "DELETE") and not any(
                t in statement.split("(")[0].split("SET")[0] for t in self.BOOKKEEPING):
            self.statements.append(statement)
