"""The sync engine: pull a connection's resources and upsert them (the only writer of synced rows).

How a run goes:

- Resources are pulled in the adapter's order. An incremental resource reads the window
  ``[watermark - lookback, run start]``; a full sync (or a first one) lists everything.
- Each page is written in one transaction together with its checkpoint (``next_url``), so
  a crashed run resumes at the next page with nothing lost or doubled. The watermark only
  moves when a whole window completed with every page read (pages come by id, not time).
- Upserts are keyed by ``(connection_id, remote_id)`` and only write what differs: a
  second identical sync updates no row and queues nothing.
- Whenever a candidate or anything hanging off it changes (or a job it applied to, that
  job's team or stages), an ``IndexQueue`` row is appended; the indexer consumes them.
- A full listing reconciles deletions (v3 has no deletion feed): stored candidates,
  applications, stage history, scorecards and attachments the listing no longer has are
  removed. Team listings are read in full every run and reconciled the same way.
- ATS trouble never raises out of ``run_sync``: the ``SyncRun`` records ``succeeded``,
  ``partial`` (some records or pages recorded in ``SyncFailure``) or ``failed`` with a
  clear ``error``.
"""
from __future__ import annotations

import enum
import hashlib
import logging
import time
from collections.abc import Callable, Collection, Iterable, Iterator
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session, selectinload, sessionmaker

from rediscover.core.enums import SyncRunStatus
from rediscover.core.milestones import LABELS, StageSpec, default_milestones
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
    ExtractedText,
    FileBlob,
    IndexQueue,
    Job,
    JobTeamMember,
    RejectionReason,
    Scorecard,
    Source,
    Stage,
    StageEvent,
    SyncCheckpoint,
    SyncFailure,
    SyncRun,
)
from rediscover.mappings.stages import DEFAULT_STAGE_MILESTONES, stage_key
from rediscover.sync.adapters import get_adapter_class
from rediscover.sync.adapters.base import HISTORY_START, Adapter, ConnectionConfig, Resource
from rediscover.sync.errors import (
    FatalSyncError,
    RetryableSyncError,
    SkippedRecordError,
    SyncError,
)
from rediscover.sync.http import ApiClient, Clock, Download
from rediscover.sync.pagination import Page
from rediscover.sync.records import (
    ApplicationRecord,
    AttachmentRecord,
    CandidateRecord,
    JobRecord,
    JobTeamMemberRecord,
    OfferRecord,
    Record,
    RejectionDetailRecord,
    RejectionReasonRecord,
    ScorecardRecord,
    SourceRecord,
    StageEventRecord,
    StageRecord,
    UserRecord,
    normalize_tag,
)
from rediscover.sync.retry import RetryPolicy, Sleep

if TYPE_CHECKING:
    import httpx

log = logging.getLogger(__name__)

# A full listing asks for everything updated up to a day past the run's start: a record
# updated while we list it must not look deleted. The watermark is still the run's start.
FULL_LISTING_SLACK = timedelta(days=1)
# Stored rows a complete full listing reconciles (deleted in the ATS = deleted here).
SWEPT_MODELS: dict[type, type] = {
    CandidateRecord: Candidate,
    ApplicationRecord: Application,
    ScorecardRecord: Scorecard,
    AttachmentRecord: Attachment,
    StageEventRecord: StageEvent,
}
IN_CHUNK = 500  # ids per IN (...) lookup
ANONYMIZED_NAME = "Anonymized"  # what an anonymised record's first name becomes (Greenhouse)
# Tallies of records that come nested in another resource's rows (SOAP candidates, OData
# applications with their status history).
NESTED_TALLIES: dict[type, str] = {
    UserRecord: "users", JobTeamMemberRecord: "job_team", SourceRecord: "sources",
    RejectionReasonRecord: "rejection_reasons", StageRecord: "stages",
    CandidateRecord: "candidates", ApplicationRecord: "applications",
    AttachmentRecord: "attachments", ScorecardRecord: "scorecards",
    StageEventRecord: "application_stages", OfferRecord: "offers", JobRecord: "jobs",
    RejectionDetailRecord: "rejection_details",
}


class Outcome(enum.Enum):
    """What writing one record did."""

    CREATED = "created"
    UPDATED = "updated"
    UNCHANGED = "unchanged"


@dataclass
class Tally:
    """Counts of one resource (or the whole run)."""

    fetched: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    deleted: int = 0
    failed: int = 0

    def add(self, other: Tally) -> None:
        """Add another tally's counts to this one."""
        for name, value in asdict(other).items():
            setattr(self, name, getattr(self, name) + value)


Progress = Callable[[str, "Tally"], None]  # (resource name, run totals so far)


def run_sync(
    connection_id: int,
    session_factory: sessionmaker[Session],
    *,
    full: bool = False,
    transport: httpx.BaseTransport | None = None,
    clock: Clock = time.time,
    sleep: Sleep = time.sleep,
    retry: RetryPolicy | None = None,
    progress: Progress | None = None,
    candidates: Collection[str] | None = None,
) -> SyncRun:
    """Sync one connection into the store and return its finished ``SyncRun`` (detached).

    Args:
        full: list every record (and reconcile deletions) instead of reading from the
            watermark.
        transport: an httpx transport to send requests through (tests, proxies).
        clock: epoch seconds; the run's window end and the rate-limit pacing use it.
        sleep: how to wait (backoff, ``Retry-After``, pacing); tests pass a fake.
        retry: overrides the adapter's retry policy.
        progress: called after each committed page with the resource name and the run's
            running totals (progress bars, lock renewal); a ``FatalSyncError`` it raises
            stops the run with that reason.
        candidates: re-read just these candidates (remote ids) and what hangs off them (a
            webhook said they changed): no checkpoint moves, and what the targeted listings
            no longer have (the candidate itself, its applications, cards, files) is deleted.

    ATS failures are recorded on the run, not raised; unexpected errors are recorded and
    re-raised.

    Raises:
        FatalSyncError: the connection does not exist (there is no run to record it on).
    """
    return _Run(connection_id, session_factory, full=full, transport=transport, clock=clock,
                sleep=sleep, retry=retry, progress=progress, candidates=candidates).execute()


def delete_candidates(session_factory: sessionmaker[Session], connection_id: int,
                      remote_ids: Collection[str]) -> int:
    """Delete these candidates with all that hangs off them (the ATS said they are gone)."""
    with session_factory() as session:
        rows = session.execute(select(Candidate.id, Candidate.person_id).where(
            Candidate.connection_id == connection_id,
            Candidate.remote_id.in_(sorted(set(remote_ids))))).all()
        delete_candidate_rows(session, rows)
        session.commit()
    purge_orphan_files(session_factory)
    return len(rows)


def delete_candidate_rows(session: Session, rows: Iterable[tuple[int, int | None]]) -> None:
    """Delete candidates by ``(id, person_id)`` in the caller's transaction, queueing each."""
    rows = list(rows)
    for chunk in _chunks([cid for cid, _ in rows]):
        session.execute(delete(Candidate).where(Candidate.id.in_(chunk)))
    session.add_all(IndexQueue(candidate_id=cid, person_id=pid) for cid, pid in rows)


def scrub_candidate(session_factory: sessionmaker[Session], connection_id: int,
                    remote_id: str) -> bool:
    """Anonymise a stored candidate now: names, contacts, position, tags and files go.

    The ATS anonymised them; everything personal is dropped whichever fields it listed
    (the record is never searchable again anyway). False when it is not stored.
    """
    with session_factory() as session:
        cand = session.scalar(select(Candidate).where(
            Candidate.connection_id == connection_id, Candidate.remote_id == remote_id))
        if cand is None:
            return False
        _assign(cand, {"first_name": ANONYMIZED_NAME, "last_name": remote_id, "company": None,
                       "title": None, "location": None, "url": None, "anonymized": True})
        cand.emails.clear()
        cand.phones.clear()
        cand.tags.clear()
        cand.attachments.clear()
        for app in cand.applications:
            app.location = app.rejection_note = None
        session.add(IndexQueue(candidate_id=cand.id, person_id=cand.person_id))
        session.commit()
    purge_orphan_files(session_factory)
    return True


def purge_orphan_files(session_factory: sessionmaker[Session]) -> int:
    """Drop cached file bytes and extracted text no attachment refers to any more."""
    with session_factory() as session:
        used = select(Attachment.content_hash).where(Attachment.content_hash.is_not(None))
        blobs = session.execute(delete(FileBlob).where(FileBlob.content_hash.not_in(used)))
        texts = session.execute(delete(ExtractedText).where(
            ExtractedText.content_hash.not_in(used)))
        session.commit()
    return blobs.rowcount + texts.rowcount


class _Run:
    """One sync run: resources, windows, checkpoints and the ``SyncRun`` row."""

    def __init__(self, connection_id: int, session_factory: sessionmaker[Session], *, full: bool,
                 transport: httpx.BaseTransport | None, clock: Clock, sleep: Sleep,
                 retry: RetryPolicy | None, progress: Progress | None = None,
                 candidates: Collection[str] | None = None) -> None:
        self.connection_id = connection_id
        self.progress = progress
        self.targets = sorted(set(candidates)) if candidates is not None else None
        self.session_factory = session_factory
        self.full = full
        self.transport = transport
        self.clock = clock
        self.sleep = sleep
        self.retry = retry
        # To the millisecond, the finest any ATS time filter takes: a window's end is then
        # exactly the instant the next window starts from (less the lookback).
        self.now = _to_millisecond(datetime.fromtimestamp(clock(), tz=timezone.utc))
        self.tallies: dict[str, Tally] = {}
        self.client: ApiClient | None = None
        self.run_id = 0
        self.resource_name = "connection"  # what was being read when something failed
        self.failed_pages = 0
        self.skipped_records = 0
        self.reread: set[str] = set()  # resources whose window stays open for the next sync
        self.pages_in_window = 0
        self.refused: list[str] = []  # optional resources the ATS would not give us

    # ------------------------------------------------------------------ the run

    def execute(self) -> SyncRun:
        """Run every resource of the connection and record the outcome."""
        config, enabled = self._start()
        try:
            if not enabled:
                raise FatalSyncError(
                    f"{config.ats}: connection {config.name!r} is disabled; enable it to sync",
                    ats=config.ats)
            adapter = get_adapter_class(config.ats)(config)
            with adapter.make_client(transport=self.transport, clock=self.clock, sleep=self.sleep,
                                     retry=self.retry) as client:
                self.client = client
                for resource in adapter.resources:
                    self.resource_name = resource.name
                    if self.targets is None:
                        self._sync_resource(adapter, resource)
                    else:
                        self._sync_targeted(adapter, resource)
        except RetryableSyncError as exc:
            self._fail(exc, self._gave_up(exc))
        except FatalSyncError as exc:
            self._fail(exc, exc.message)
        except Exception as exc:
            self._finish(SyncRunStatus.FAILED, f"internal error: {type(exc).__name__}")
            raise
        else:
            if any(t.deleted for t in self.tallies.values()) or \
                    self.tallies.get("attachments", Tally()).updated:
                purge_orphan_files(self.session_factory)  # resume text of what is gone
            self._finish(*self._outcome())
        return self._load_run()

    def _start(self) -> tuple[ConnectionConfig, bool]:
        with self.session_factory() as session:
            conn = session.get(Connection, self.connection_id)
            if conn is None:
                raise FatalSyncError(f"no connection with id {self.connection_id}")
            config = ConnectionConfig(
                id=conn.id, name=conn.name, ats=conn.ats, base_url=conn.base_url,
                token_url=conn.token_url, credentials=dict(conn.credentials or {}),
                settings=dict(conn.settings or {}),
            )
            self._close_stale_runs(session)
            run = SyncRun(connection_id=conn.id, kind=self._kind(session),
                          status=SyncRunStatus.RUNNING.value, started_at=self.now, counts={})
            session.add(run)
            session.commit()
            self.run_id, enabled = run.id, conn.enabled
        log.info("sync run started", extra={"connection_id": self.connection_id,
                                            "run_id": self.run_id, "ats": config.ats})
        return config, enabled

    def _kind(self, session: Session) -> str:
        if self.targets is not None:
            return "targeted"
        synced_before = session.scalar(select(SyncCheckpoint.id).where(
            SyncCheckpoint.connection_id == self.connection_id,
            SyncCheckpoint.watermark.is_not(None)).limit(1))
        return "full" if self.full or synced_before is None else "incremental"

    def _close_stale_runs(self, session: Session) -> None:
        # A run still "running" was killed; this run resumes from its checkpoints.
        session.execute(
            update(SyncRun)
            .where(SyncRun.connection_id == self.connection_id,
                   SyncRun.status == SyncRunStatus.RUNNING.value)
            .values(status=SyncRunStatus.FAILED.value,
                    error="interrupted before finishing; a later run resumed from its checkpoints")
        )

    def _outcome(self) -> tuple[SyncRunStatus, str | None]:
        refused = (f"synced without data the ATS refused: {'; '.join(self.refused)}"
                   if self.refused else "")
        if not (self.failed_pages or self.skipped_records):
            return (SyncRunStatus.PARTIAL, refused) if refused else (SyncRunStatus.SUCCEEDED, None)
        failing = sorted(n for n, t in self.tallies.items() if t.failed)
        again = (f"; the next sync reads again the windows of {', '.join(sorted(self.reread))}"
                 if self.reread else "")
        return SyncRunStatus.PARTIAL, (
            f"{self.skipped_records} record(s) skipped and {self.failed_pages} page(s) unreadable "
            f"in {', '.join(failing)}; each is listed in the run's sync failures{again}"
            + (f"; {refused}" if refused else "")
        )

    def _gave_up(self, exc: RetryableSyncError) -> str:
        return (f"{exc.message} (gave up after {exc.attempts} attempts); the next sync resumes "
                f"from the last saved page")

    def _fail(self, exc: SyncError, error: str) -> None:
        with self.session_factory() as session:
            _record_failure(session, self.run_id, self.resource_name, exc, message=error)
            session.commit()
        self._finish(SyncRunStatus.FAILED, error)

    def _finish(self, status: SyncRunStatus, error: str | None) -> None:
        with self.session_factory() as session:
            run = session.get(SyncRun, self.run_id)
            run.status = status.value
            run.error = error
            run.finished_at = datetime.fromtimestamp(self.clock(), tz=timezone.utc)
            self._save_progress(run)
            session.commit()
        requests = self.client.requests if self.client else 0
        log.info("sync run finished", extra={"run_id": self.run_id, "status": status.value,
                                             "requests": requests})

    def _save_progress(self, run: SyncRun) -> None:
        total = Tally()
        for tally in self.tallies.values():
            total.add(tally)
        run.counts = {**asdict(total), "resources": {n: asdict(t) for n, t in self.tallies.items()}}
        if self.client is not None:
            run.requests = self.client.requests
            run.rate_budget = self.client.rate_budget

    def _load_run(self) -> SyncRun:
        with self.session_factory() as session:
            run = session.get(SyncRun, self.run_id)
            session.refresh(run)
            session.expunge(run)
            return run

    # ------------------------------------------------------------------ resources and windows

    def _sync_resource(self, adapter: Adapter, resource: Resource) -> None:
        self.tallies.setdefault(resource.name, Tally())
        with self.session_factory() as session:
            cp = _checkpoint(session, self.connection_id, resource.name)
            resume = (cp.next_url, cp.window_start, cp.window_end) if cp.next_url else None
            watermark = cp.watermark
        listed_all = False
        if resume and resource.incremental:
            url, start, end = resume
            start, end = start or HISTORY_START, end or self.now
            listed_all = start <= HISTORY_START
            self._resume_window(adapter, resource, start, end, url)
            with self.session_factory() as session:
                watermark = _checkpoint(session, self.connection_id, resource.name).watermark
        if not resource.incremental or watermark is None or (self.full and not listed_all):
            start = HISTORY_START
        else:
            start = max(watermark - adapter.lookback, HISTORY_START)
        self._run_window(adapter, resource, start, self.now)

    def _resume_window(self, adapter: Adapter, resource: Resource, start: datetime,
                       end: datetime, url: str) -> None:
        log.info("sync window resumed", extra={"resource": resource.name, "run_id": self.run_id})
        try:
            self._run_window(adapter, resource, start, end, resume_url=url)
        except FatalSyncError as exc:
            # Cursors expire (422); start the same window over rather than fail the run.
            if exc.status != 422 or self.pages_in_window:
                raise
            log.warning("sync cursor expired, window restarted", extra={"resource": resource.name})
            self._run_window(adapter, resource, start, end)

    def _run_window(self, adapter: Adapter, resource: Resource, start: datetime, end: datetime,
                    *, resume_url: str | None = None) -> None:
        """Read ``[start, end]`` page by page; a full listing also reconciles deletions."""
        full_listing = start <= HISTORY_START
        # A full listing asks past ``end`` so nothing updated meanwhile looks deleted; the
        # watermark it commits is still ``end``.
        upper = end + FULL_LISTING_SLACK if full_listing else end
        params = adapter.first_params(resource, start, upper)
        reconcile = full_listing and not resume_url and self._sweeps(resource)
        window = _Window(resource, start, end, seen={} if reconcile else None)
        self.pages_in_window = 0
        for page in adapter.paginator.iter_pages(self.client, resource.path, params,
                                                 resume_url=resume_url):
            self._take_page(adapter, window, page)
            self.pages_in_window += 1
        if window.seen is not None and window.clean:
            self._reconcile(adapter, window)

    def _sync_targeted(self, adapter: Adapter, resource: Resource) -> None:
        """Read one resource for the target candidates only; sweep within them."""
        scope = self._target_scope()
        params = adapter.target_params(resource, self.targets, self._target_applications())
        if params is None:
            return
        self.tallies.setdefault(resource.name, Tally())
        sweeps = any(t in SWEPT_MODELS for t in resource.record_types)
        window = _Window(resource, self.now, self.now, seen={} if sweeps else None,
                         checkpoint=False)
        for chunk in params:
            first = {**resource.params, adapter.page_size_param: str(adapter.per_page), **chunk}
            for page in adapter.paginator.iter_pages(self.client, resource.path, first):
                self._take_page(adapter, window, page)
        if window.seen is not None and window.clean:
            self._reconcile(adapter, window, scope or {0})

    def _target_scope(self) -> set[int]:
        with self.session_factory() as session:
            return set(session.scalars(select(Candidate.id).where(
                Candidate.connection_id == self.connection_id,
                Candidate.remote_id.in_(self.targets))))

    def _target_applications(self) -> list[str]:
        with self.session_factory() as session:
            return sorted(session.scalars(select(Application.remote_id).join(
                Candidate, Application.candidate_id == Candidate.id).where(
                Candidate.connection_id == self.connection_id,
                Candidate.remote_id.in_(self.targets))))

    def _sweeps(self, resource: Resource) -> bool:
        return bool(resource.team_roles) or any(t in SWEPT_MODELS for t in resource.record_types)

    # ------------------------------------------------------------------ one page

    def _take_page(self, adapter: Adapter, window: _Window, page: Page) -> None:
        """Write one page and its checkpoint in a single transaction."""
        resource, tally = window.resource, self.tallies[window.resource.name]
        rows, skipped, fatal = self._convert(adapter, window, page.items)
        records = [record for row in rows for record in row]
        downloads = self._download(adapter, records)
        with self.session_factory() as session:
            writer = _Writer(session, self.connection_id, adapter.ats, self.now)
            if page.error is not None:
                self._page_failed(session, window, page)
            if page.refused is not None:
                self._refused(session, window, page.refused)
            for exc in skipped:
                self._skip(session, window, exc)
            results = iter(writer.write_page(records, downloads))
            for row in rows:
                results_of_row = [next(results) for _ in row]
                outcome = _row_outcome(resource, row, results_of_row)
                if isinstance(outcome, SkippedRecordError):
                    self._skip(session, window, outcome)
                elif outcome is not None:
                    setattr(tally, outcome.value, getattr(tally, outcome.value) + 1)
                for record, result in zip(row, results_of_row):
                    if not isinstance(record, resource.record_types):
                        self._tally_nested(session, window, record, result)
            writer.finish()
            # Targeted re-reads leave checkpoints alone; a page cut short is read again.
            if window.checkpoint and fatal is None:
                self._save_checkpoint(session, window, page.next_url)
            self._save_progress(session.get(SyncRun, self.run_id))
            session.commit()
        if fatal is not None:
            raise fatal
        log.info("sync page written", extra={"resource": resource.name, "run_id": self.run_id,
                                             "items": len(page.items)})
        if self.progress is not None:
            total = Tally()
            for each in self.tallies.values():
                total.add(each)
            self.progress(resource.name, total)

    def _convert(self, adapter: Adapter, window: _Window, items: list[dict[str, Any]]
                 ) -> tuple[list[tuple[Record, ...]], list[SkippedRecordError], SyncError | None]:
        """Each raw row as its records (one row may be several), the rows skipped, and the
        error that stopped the page early, if one did (a detail fetch refused or given up:
        the rows before it are still written)."""
        rows: list[tuple[Record, ...]] = []
        skipped: list[SkippedRecordError] = []
        for raw in items:
            self.tallies[window.resource.name].fetched += 1
            try:
                records = adapter.to_records(window.resource, raw, self.client)
            except (FatalSyncError, RetryableSyncError) as exc:
                self.tallies[window.resource.name].fetched -= 1
                return rows, skipped, exc
            except SkippedRecordError as exc:
                skipped.append(exc)
                window.whole_rows = False
                if window.seen is not None and exc.remote_id and not exc.gone:
                    # It exists remotely: never sweep it.
                    window.seen.setdefault(window.resource.record, set()).add(exc.remote_id)
                continue
            rows.append(records)
            if window.seen is not None:
                for record in records:
                    window.seen.setdefault(type(record), set()).add(_seen_key(record))
        return rows, skipped, None

    def _download(self, adapter: Adapter, records: list[Record]) -> dict[str, Download | SyncError]:
        """Fetch new or changed files before the page's write transaction opens."""
        results: dict[str, Download | SyncError] = {
            r.remote_id: _inline(r, adapter.attachment_max_bytes)
            for r in records if isinstance(r, AttachmentRecord) and r.content is not None}
        wanted = [r for r in records if isinstance(r, AttachmentRecord) and r.download_url
                  and r.content is None]
        if not wanted or not adapter.download_attachments:
            return results
        with self.session_factory() as session:
            stored = _load(session, Attachment, self.connection_id, [r.remote_id for r in wanted])
        for record in wanted:
            have = stored.get(record.remote_id)
            if have and have.content_hash and have.remote_updated_at == record.updated_at:
                continue
            try:
                results[record.remote_id] = self.client.download(
                    record.download_url, max_bytes=adapter.attachment_max_bytes)
            except SyncError as exc:  # a failed file is recorded on its attachment, not fatal
                log.warning("attachment download failed",
                            extra={"remote_id": record.remote_id, "status": exc.status})
                results[record.remote_id] = exc
        return results

    def _page_failed(self, session: Session, window: _Window, page: Page) -> None:
        window.clean = False
        self.reread.add(window.resource.name)
        self.failed_pages += 1
        self.tallies[window.resource.name].failed += 1
        log.warning("sync page unreadable", extra={"resource": window.resource.name,
                                                   "url": page.url})
        _record_failure(session, self.run_id, window.resource.name, page.error,
                        message=f"{page.error.message} (gave up after {page.error.attempts} "
                                f"attempts)")

    def _tally_nested(self, session: Session, window: _Window, record: Record,
                      result: Outcome | SkippedRecordError) -> None:
        """Count a nested record (an application inside a Workday candidate) under its own
        name; the resource's declared record types are counted once per row instead."""
        if isinstance(result, SkippedRecordError):
            self._skip(session, window, result)
            return
        tally = self.tallies.setdefault(NESTED_TALLIES.get(type(record), "other"), Tally())
        setattr(tally, result.value, getattr(tally, result.value) + 1)

    def _refused(self, session: Session, window: _Window, exc: SyncError) -> None:
        """Record that the ATS would not give part of the data (permission) and go on."""
        log.warning("sync data refused", extra={"resource": window.resource.name,
                                                "run_id": self.run_id, "status": exc.status})
        self.refused.append(exc.message)
        _record_failure(session, self.run_id, window.resource.name, exc,
                        message=f"{exc.message}; the sync goes on without this data")

    def _skip(self, session: Session, window: _Window, exc: SkippedRecordError) -> None:
        name = window.resource.name
        self.tallies[name].failed += 1
        self.skipped_records += 1
        if exc.reread:  # e.g. its parent was on a page we could not read: try again next time
            window.clean = False
            self.reread.add(name)
        log.warning("sync record skipped", extra={"resource": name, "remote_id": exc.remote_id,
                                                  "reread": exc.reread})
        _record_failure(session, self.run_id, name, exc, remote_id=exc.remote_id)

    def _save_checkpoint(self, session: Session, window: _Window, next_url: str | None) -> None:
        cp = _checkpoint(session, self.connection_id, window.resource.name)
        cp.run_id = self.run_id
        if next_url:
            cp.window_start, cp.window_end, cp.next_url = window.start, window.end, next_url
            return
        if window.clean:  # an unread page keeps the watermark, so the window is read again
            cp.watermark = window.end
        cp.window_start = cp.window_end = cp.next_url = None

    def _reconcile(self, adapter: Adapter, window: _Window, scope: set[int] | None = None) -> None:
        """Delete what a complete full listing no longer has (v3 has no deletion feed);
        with ``scope``, only rows of those (local) candidates."""
        resource, seen, deleted = window.resource, window.seen or {}, 0
        with self.session_factory() as session:
            writer = _Writer(session, self.connection_id, adapter.ats, self.now)
            if resource.team_roles:
                deleted += writer.sweep_team(resource.team_roles,
                                             seen.get(JobTeamMemberRecord, set()))
            # A skipped row's other records were never listed: only its own kind is safe.
            kinds = resource.record_types if window.whole_rows else (resource.record,)
            for kind in kinds:
                if kind in SWEPT_MODELS:
                    deleted += writer.sweep_rows(SWEPT_MODELS[kind], seen.get(kind, set()), scope)
            writer.finish()
            session.commit()
        self.tallies[resource.name].deleted += deleted
        if deleted:
            log.info("sync rows deleted", extra={"resource": resource.name, "count": deleted})


@dataclass
class _Window:
    """A time window of one resource being read."""

    resource: Resource
    start: datetime
    end: datetime
    seen: dict[type, set[Any]] | None = None  # keys listed per record type, when reconciling
    clean: bool = True  # every page was read
    checkpoint: bool = True  # targeted re-reads leave the checkpoints alone
    whole_rows: bool = True  # no row was skipped (so every record of every row was listed)


# ---------------------------------------------------------------------- the writer


class _Writer:
    """Upserts one page of records in the caller's transaction and queues changed candidates."""

    def __init__(self, session: Session, connection_id: int, ats: str, now: datetime) -> None:
        self.session = session
        # Lookups go through the caches below; flushing before every query would only
        # slow a page down. The writer flushes itself where it needs new ids.
        session.autoflush = False
        self.connection_id = connection_id
        self.ats = ats
        self.now = now
        self.queued: set[int] = set()
        self.queued_new: list[Candidate] = []  # created in this transaction: ids after flush
        self.people: dict[int, int | None] = {}  # deleted candidate -> its person
        self.jobs_with_new_stages: set[int | None] = set()
        self._stage_by_name: dict[tuple[int, str], int | None] = {}
        self._rows: dict[tuple[type, str], Any] = {}
        self._team: set[tuple[int, str, str]] | None = None  # (job id, user, role) stored
        self._old: dict[str, Any] = {}  # the last upsert's previous values
        self._changed: set[str] = set()  # and the fields it changed

    def write_page(self, records: list[Record], downloads: dict[str, Any]
                   ) -> Iterator[Outcome | SkippedRecordError]:
        """Write each record, yielding what happened to it (in order)."""
        self._prefetch(records)
        for record in records:
            try:
                if isinstance(record, AttachmentRecord):
                    yield self.write_attachment(record, downloads.get(record.remote_id))
                else:
                    yield self._handlers[type(record)](self, record)
            except SkippedRecordError as exc:
                yield exc

    def finish(self) -> None:
        """Apply stage milestones of touched jobs and append the index queue rows."""
        self.session.flush()
        for job_id in self.jobs_with_new_stages:
            self._apply_milestones(job_id)
        self.session.flush()
        ids = self.queued | {c.id for c in self.queued_new}
        self.session.add_all(IndexQueue(candidate_id=cid, person_id=self.people.get(cid))
                             for cid in sorted(ids))

    # ------------------------------------------------------------------ reference data

    def write_user(self, rec: UserRecord) -> Outcome:
        """Upsert an ATS user."""
        _, outcome = self._upsert(ATSUser, rec.remote_id, {
            "name": rec.name, "email": rec.email, "site_admin": rec.site_admin,
            "deactivated": rec.deactivated})
        return outcome

    def write_job(self, rec: JobRecord) -> Outcome:
        """Upsert a job; a changed title, status or confidentiality requeues its applicants."""
        job, outcome = self._upsert(Job, rec.remote_id, {
            "title": rec.title, "requisition_id": rec.requisition_id, "status": rec.status,
            "confidential": rec.confidential, "opened_at": rec.opened_at,
            "closed_at": rec.closed_at, "remote_updated_at": rec.updated_at})
        if outcome is Outcome.UPDATED and self._changed & {"title", "requisition_id",
                                                           "confidential", "status"}:
            self._queue_where(Application.job_id == job.id)
        if outcome is not Outcome.UNCHANGED:
            job.synced_at = self.now
        return outcome

    def write_stage(self, rec: StageRecord) -> Outcome:
        """Upsert a stage; its job's milestones are recomputed when the page finishes."""
        job_id = self._require(Job, rec.job_remote_id, "stage", rec.remote_id) \
            if rec.job_remote_id else None
        _, outcome = self._upsert(Stage, rec.remote_id, {
            "job_id": job_id, "name": rec.name, "sort_order": rec.sort_order,
            "active": rec.active})
        if outcome is not Outcome.UNCHANGED:
            self.jobs_with_new_stages.add(job_id)
            if outcome is Outcome.UPDATED and job_id is not None:
                self._queue_where(Application.job_id == job_id)
        return outcome

    def write_team_member(self, rec: JobTeamMemberRecord) -> Outcome:
        """Add a job team member (removals come from the full listing's sweep)."""
        job = self._row(Job, rec.job_remote_id)
        if job is None:
            raise self._missing("job team member", f"{rec.job_remote_id}/{rec.user_remote_id}",
                                "job", rec.job_remote_id)
        if job.id is None:
            self.session.flush()  # created earlier in this page (a nested payload)
        key = (job.id, rec.user_remote_id, rec.role.value)
        if self._team is None:
            self._team = {tuple(row) for row in self.session.execute(
                select(JobTeamMember.job_id, JobTeamMember.remote_user_id, JobTeamMember.role)
                .join(Job, JobTeamMember.job_id == Job.id)
                .where(Job.connection_id == self.connection_id))}
        if key in self._team:
            return Outcome.UNCHANGED
        self._team.add(key)
        self.session.add(JobTeamMember(job_id=job.id, remote_user_id=rec.user_remote_id,
                                       role=rec.role.value))
        if job.confidential:  # the team only decides visibility on confidential jobs
            self._queue_where(Application.job_id == job.id)
        return Outcome.CREATED

    def write_rejection_reason(self, rec: RejectionReasonRecord) -> Outcome:
        """Upsert a rejection reason; a rename requeues who has it."""
        reason, outcome = self._upsert(RejectionReason, rec.remote_id, {
            "name": rec.name, "type_key": rec.type_key, "type_name": rec.type_name})
        if outcome is Outcome.UPDATED:
            self._queue_where(Application.rejection_reason_id == reason.id)
        return outcome

    def write_source(self, rec: SourceRecord) -> Outcome:
        """Upsert a source; a rename requeues who came from it."""
        source, outcome = self._upsert(Source, rec.remote_id, {
            "name": rec.name, "type_name": rec.type_name})
        if outcome is Outcome.UPDATED:
            self._queue_where(Application.id.in_(select(ApplicationSource.application_id).where(
                ApplicationSource.source_id == source.id)))
        return outcome

    # ------------------------------------------------------------------ candidates

    def write_candidate(self, rec: CandidateRecord) -> Outcome:
        """Upsert a candidate with its emails, phones and tags."""
        cand, outcome = self._upsert(Candidate, rec.remote_id, {
            "first_name": rec.first_name, "last_name": rec.last_name, "company": rec.company,
            "title": rec.title, "location": rec.location, "work_location": rec.work_location,
            "is_private": rec.is_private, "can_email": rec.can_email,
            "anonymized": rec.anonymized, "url": rec.url,
            "remote_created_at": rec.created_at, "remote_updated_at": rec.updated_at,
            "last_activity_at": rec.last_activity_at})
        children = [
            _reconcile(cand.emails, CandidateEmail, lambda c: c.value, _first_wins(
                (e.value, {"value": e.value, "normalized": e.normalized, "type": e.type})
                for e in rec.emails)),
            # Phones are normalised by the merge (country rules); sync keeps them as given.
            _reconcile(cand.phones, CandidatePhone, lambda c: c.value, _first_wins(
                (p.value, {"value": p.value, "normalized": None, "type": p.type})
                for p in rec.phones)),
            _reconcile(cand.tags, CandidateTag, lambda c: c.normalized, _first_wins(
                (normalize_tag(t), {"name": t, "normalized": normalize_tag(t)})
                for t in rec.tags)),
        ]
        if outcome is Outcome.UNCHANGED and any(children):
            outcome = Outcome.UPDATED
        if outcome is not Outcome.UNCHANGED:
            cand.synced_at = self.now
            self._queue(cand)
        return outcome

    def write_application(self, rec: ApplicationRecord) -> Outcome:
        """Upsert an application and its sources."""
        candidate_id = self._require(Candidate, rec.candidate_remote_id, "application",
                                     rec.remote_id)
        job_id = self._require(Job, rec.job_remote_id, "application", rec.remote_id) \
            if rec.job_remote_id else None
        app, outcome = self._upsert(Application, rec.remote_id, {
            "candidate_id": candidate_id, "job_id": job_id, "status": rec.status.value,
            "remote_status": rec.remote_status,
            "current_stage_id": self._current_stage(rec, job_id),
            "current_stage_name": rec.current_stage_name,
            "rejection_reason_id": self._id(RejectionReason, rec.rejection_reason_remote_id),
            "location": rec.location, "url": rec.url, "applied_at": rec.applied_at,
            "rejected_at": rec.rejected_at, "last_activity_at": rec.last_activity_at,
            "remote_updated_at": rec.updated_at})
        source_ids = [s for s in (self._id(Source, r) for r in rec.source_remote_ids) if s]
        sources_changed = _reconcile(app.sources, ApplicationSource, lambda s: s.source_id,
                                     _first_wins((sid, {"source_id": sid, "position": i})
                                                 for i, sid in enumerate(source_ids)))
        if outcome is Outcome.UNCHANGED and sources_changed:
            outcome = Outcome.UPDATED
        if outcome is not Outcome.UNCHANGED:
            app.synced_at = self.now
            self._queue_ids(candidate_id, self._old.get("candidate_id"))
        return outcome

    def write_rejection_detail(self, rec: RejectionDetailRecord) -> Outcome:
        """Set an application's rejection note."""
        app = self._require_row(Application, rec.application_remote_id, "rejection detail",
                                rec.application_remote_id)
        if app.rejection_note == rec.note:
            return Outcome.UNCHANGED
        app.rejection_note = rec.note
        self._queue_ids(app.candidate_id)
        return Outcome.UPDATED

    def write_offer(self, rec: OfferRecord) -> Outcome:
        """Set the hired date of an application from its accepted offer."""
        if not rec.accepted:
            return Outcome.UNCHANGED  # only an accepted offer says when someone was hired
        app = self._require_row(Application, rec.application_remote_id, "offer", rec.remote_id)
        if app.hired_at == rec.resolved_at:
            return Outcome.UNCHANGED
        app.hired_at = rec.resolved_at
        self._queue_ids(app.candidate_id)
        return Outcome.UPDATED

    def write_stage_event(self, rec: StageEventRecord) -> Outcome:
        """Upsert one stay of an application in a stage."""
        app = self._require_row(Application, rec.application_remote_id, "stage event",
                                rec.remote_id)
        stage = self._row(Stage, rec.stage_remote_id) if rec.stage_remote_id else None
        if stage is not None and stage.id is None:
            self.session.flush()  # created earlier in this page (a nested payload)
        values = {"application_id": app.id, "stage_id": stage.id if stage else None,
                  "stage_name": rec.stage_name or (stage.name if stage else None),
                  "entered_at": rec.entered_at, "exited_at": rec.exited_at}
        event = self._rows.get((StageEvent, rec.remote_id))
        if event is None:
            self.session.add(StageEvent(remote_id=rec.remote_id, **values))
            outcome = Outcome.CREATED
        elif _assign(event, values):
            outcome = Outcome.UPDATED
        else:
            return Outcome.UNCHANGED
        self._queue_ids(app.candidate_id)
        return outcome

    def write_scorecard(self, rec: ScorecardRecord) -> Outcome:
        """Upsert a scorecard."""
        app = self._require_row(Application, rec.application_remote_id, "scorecard",
                                rec.remote_id)
        interviewer = self._row(ATSUser, rec.interviewer_remote_id) if rec.interviewer_remote_id \
            else None
        stage = self._row(Stage, rec.stage_remote_id) if rec.stage_remote_id else None
        card, outcome = self._upsert(Scorecard, rec.remote_id, {
            "application_id": app.id, "interviewer_remote_id": rec.interviewer_remote_id,
            "interviewer_name": interviewer.name if interviewer else None,
            "recommendation": rec.recommendation.value if rec.recommendation else None,
            "status": rec.status.value, "stage_id": stage.id if stage else None,
            "stage_name": stage.name if stage else None,
            "interviewed_at": rec.interviewed_at, "submitted_at": rec.submitted_at,
            "remote_updated_at": rec.updated_at})
        if outcome is not Outcome.UNCHANGED:
            self._queue_ids(app.candidate_id)
        return outcome

    def write_attachment(self, rec: AttachmentRecord,
                         download: Download | SyncError | None) -> Outcome:
        """Upsert a file's metadata with what its download gave (hash or error)."""
        candidate_id = self._require(Candidate, rec.candidate_remote_id, "attachment",
                                     rec.remote_id)
        # A file of an unknown application must not fall back to the candidate: that would
        # show a confidential application's resume to everyone.
        application_id = self._require(Application, rec.application_remote_id, "attachment",
                                       rec.remote_id) if rec.application_remote_id else None
        values = {"candidate_id": candidate_id, "application_id": application_id,
                  "filename": rec.filename, "type": rec.type, "remote_created_at": rec.created_at,
                  "remote_updated_at": rec.updated_at}
        values.update(self._file_values(download, rec))
        att, outcome = self._upsert(Attachment, rec.remote_id, values)
        if outcome is not Outcome.UNCHANGED:
            self._queue_ids(candidate_id, self._old.get("candidate_id"))
        return outcome

    def _file_values(self, download: Download | SyncError | None, rec: AttachmentRecord) -> dict:
        if download is None:
            return {}
        if isinstance(download, SyncError):
            stored = self._rows.get((Attachment, rec.remote_id))
            same_file = stored is not None and stored.remote_updated_at == rec.updated_at
            return {"download_error": download.message[:1000],
                    **({} if same_file else {"content_hash": None, "size": None})}
        if self.session.get(FileBlob, download.sha256) is None:
            self.session.add(FileBlob(content_hash=download.sha256, data=download.data,
                                      filename=rec.filename, content_type=download.content_type))
            self.session.flush()
        return {"content_hash": download.sha256, "size": len(download.data),
                "content_type": download.content_type, "download_error": None}

    _handlers: dict[type, Callable[[_Writer, Any], Outcome]] = {
        UserRecord: write_user,
        JobRecord: write_job,
        StageRecord: write_stage,
        JobTeamMemberRecord: write_team_member,
        RejectionReasonRecord: write_rejection_reason,
        SourceRecord: write_source,
        CandidateRecord: write_candidate,
        ApplicationRecord: write_application,
        RejectionDetailRecord: write_rejection_detail,
        OfferRecord: write_offer,
        StageEventRecord: write_stage_event,
        ScorecardRecord: write_scorecard,
    }

    # ------------------------------------------------------------------ deletions

    def sweep_rows(self, model: type, seen: set[str], scope: set[int] | None = None) -> int:
        """Delete this connection's ``model`` rows whose remote id a full listing lacked
        (only rows of the candidates in ``scope``, when given)."""
        if model is Candidate:
            query = select(model.id, model.remote_id, model.id)
        elif model in (Scorecard, StageEvent):
            query = select(model.id, model.remote_id, Application.candidate_id).join(
                Application, model.application_id == Application.id)
        else:
            query = select(model.id, model.remote_id, model.candidate_id)
        owner = Application if model is StageEvent else model  # stage events have no connection
        rows = self.session.execute(query.where(owner.connection_id == self.connection_id)).all()
        gone = [(row_id, cand_id) for row_id, rid, cand_id in rows
                if rid not in seen and (scope is None or cand_id in scope)]
        if model is Candidate and gone:
            self.people.update(self.session.execute(select(Candidate.id, Candidate.person_id).where(
                Candidate.id.in_([g[0] for g in gone]))).all())
        for chunk in _chunks([g[0] for g in gone]):
            self.session.execute(delete(model).where(model.id.in_(chunk)))
        self._queue_ids(*(cand_id for _, cand_id in gone))
        return len(gone)

    def sweep_team(self, roles: frozenset, seen: set[Any]) -> int:
        """Remove team members of ``roles`` that a complete team listing no longer has."""
        rows = self.session.execute(
            select(JobTeamMember.id, Job.id, Job.remote_id, JobTeamMember.remote_user_id,
                   JobTeamMember.role, Job.confidential)
            .join(Job, JobTeamMember.job_id == Job.id)
            .where(Job.connection_id == self.connection_id,
                   JobTeamMember.role.in_([r.value for r in roles]))).all()
        gone = [r for r in rows if (r[2], r[3], r[4]) not in seen]
        for chunk in _chunks([r[0] for r in gone]):
            self.session.execute(delete(JobTeamMember).where(JobTeamMember.id.in_(chunk)))
        for job_id in {r[1] for r in gone if r[5]}:
            self._queue_where(Application.job_id == job_id)
        return len(gone)

    # ------------------------------------------------------------------ milestones

    def _apply_milestones(self, job_id: int | None) -> None:
        """Default milestones for a job's stages; admin-edited ones stay and raise the floor."""
        stages = self.session.scalars(select(Stage).where(
            Stage.connection_id == self.connection_id,
            Stage.job_id == job_id if job_id is not None else Stage.job_id.is_(None))).all()
        exact = DEFAULT_STAGE_MILESTONES.get(self.ats, {})
        specs = [StageSpec(name=_name_for_rules(s.name, exact), sort_order=s.sort_order,
                           override=s.milestone if s.milestone_source == "admin" else None)
                 for s in stages]
        changed = False
        for stage, milestone in zip(stages, default_milestones(specs)):
            if stage.milestone_source != "admin" and stage.milestone != milestone:
                stage.milestone = milestone
                changed = True
        if changed and job_id is not None:
            self._queue_where(Application.job_id == job_id)

    # ------------------------------------------------------------------ lookups and upserts

    def _prefetch(self, records: list[Record]) -> None:
        """Load, in a few queries, the rows a page's records refer to or update."""
        wanted: dict[type, set[str]] = {}

        def want(model: type, *ids: str | None) -> None:
            wanted.setdefault(model, set()).update(i for i in ids if i)

        for r in records:
            for model, ids in _references(r):
                want(model, *ids)
        for model, ids in wanted.items():
            found = _load(self.session, model, self.connection_id, ids,
                          *_LOAD_OPTIONS.get(model, ()))
            for rid in ids:  # remember misses too: a new record must not query again
                self._rows[(model, rid)] = found.get(rid)
        events = [r.remote_id for r in records if isinstance(r, StageEventRecord)]
        for chunk in _chunks(events):
            for event in self.session.scalars(select(StageEvent).join(
                    Application, StageEvent.application_id == Application.id).where(
                    Application.connection_id == self.connection_id,
                    StageEvent.remote_id.in_(chunk))):
                self._rows[(StageEvent, event.remote_id)] = event

    def _upsert(self, model: type, remote_id: str, values: dict[str, Any]) -> tuple[Any, Outcome]:
        row = self._row(model, remote_id)
        self._old: dict[str, Any] = {}
        self._changed: set[str] = set()
        if row is None:
            row = model(connection_id=self.connection_id, remote_id=remote_id, **values)
            self.session.add(row)
            self._rows[(model, remote_id)] = row
            return row, Outcome.CREATED
        self._old = {k: getattr(row, k) for k in values}
        self._changed = {k for k, v in values.items() if getattr(row, k) != v}
        return row, Outcome.UPDATED if _assign(row, values) else Outcome.UNCHANGED

    def _row(self, model: type, remote_id: str | None) -> Any:
        if not remote_id:
            return None
        key = (model, remote_id)
        if key not in self._rows:
            self._rows[key] = self.session.scalar(select(model).where(
                model.connection_id == self.connection_id, model.remote_id == remote_id))
        return self._rows[key]

    def _id(self, model: type, remote_id: str | None) -> int | None:
        row = self._row(model, remote_id)
        if row is not None and row.id is None:
            self.session.flush()  # created earlier in this page
        return row.id if row is not None else None

    def _require(self, model: type, remote_id: str, what: str, what_id: str) -> int:
        found = self._id(model, remote_id)
        if found is None:
            raise self._missing(what, what_id, model.__tablename__.rstrip("s"), remote_id)
        return found

    def _require_row(self, model: type, remote_id: str, what: str, what_id: str) -> Any:
        row = self._row(model, remote_id)
        if row is None:
            raise self._missing(what, what_id, model.__tablename__.rstrip("s"), remote_id)
        if row.id is None:
            self.session.flush()  # created earlier in this page
        return row

    def _missing(self, what: str, what_id: str, kind: str, remote_id: str | None
                 ) -> SkippedRecordError:
        # Ids only: a failure message never carries names, emails or other PII.
        return SkippedRecordError(
            f"{self.ats}: {what} {what_id} refers to {kind} {remote_id}, which is not in the store",
            remote_id=what_id, reread=True)

    def _current_stage(self, rec: ApplicationRecord, job_id: int | None) -> int | None:
        if rec.current_stage_remote_id:
            return self._id(Stage, rec.current_stage_remote_id)
        if job_id is None or not rec.current_stage_name:
            return None
        # Terminal applications carry only the stage's name in v3; find it in the job's plan.
        key = (job_id, rec.current_stage_name)
        if key not in self._stage_by_name:
            self._stage_by_name[key] = self.session.scalar(
                select(Stage.id).where(Stage.job_id == job_id, Stage.name == rec.current_stage_name)
                .order_by(Stage.active.desc(), Stage.sort_order).limit(1))
        return self._stage_by_name[key]

    # ------------------------------------------------------------------ the index queue

    def _queue(self, candidate: Candidate) -> None:
        if candidate.id is None:
            self.queued_new.append(candidate)
        else:
            self.queued.add(candidate.id)

    def _queue_ids(self, *candidate_ids: int | None) -> None:
        self.queued.update(c for c in candidate_ids if c)

    def _queue_where(self, condition: Any) -> None:
        self.queued.update(self.session.scalars(
            select(Application.candidate_id).where(condition).distinct()))


def _references(record: Record) -> Iterator[tuple[type, Iterable[str | None]]]:
    """Which stored rows (by model and remote id) writing ``record`` reads or updates."""
    own = {UserRecord: ATSUser, JobRecord: Job, StageRecord: Stage,
           RejectionReasonRecord: RejectionReason, SourceRecord: Source,
           CandidateRecord: Candidate, ApplicationRecord: Application, ScorecardRecord: Scorecard,
           AttachmentRecord: Attachment}.get(type(record))
    if own is not None:
        yield own, [record.remote_id]
    if isinstance(record, ApplicationRecord):
        yield Candidate, [record.candidate_remote_id]
        yield Job, [record.job_remote_id]
        yield Stage, [record.current_stage_remote_id]
        yield RejectionReason, [record.rejection_reason_remote_id]
        yield Source, record.source_remote_ids
    elif isinstance(record, (StageEventRecord, ScorecardRecord, RejectionDetailRecord,
                             OfferRecord)):
        yield Application, [record.application_remote_id]
        if isinstance(record, StageEventRecord):
            yield Stage, [record.stage_remote_id]
        if isinstance(record, ScorecardRecord):
            yield ATSUser, [record.interviewer_remote_id]
    elif isinstance(record, AttachmentRecord):
        yield Candidate, [record.candidate_remote_id]
        yield Application, [record.application_remote_id]
    elif isinstance(record, (StageRecord, JobTeamMemberRecord)):
        yield Job, [record.job_remote_id]


_LOAD_OPTIONS = {
    Candidate: (selectinload(Candidate.emails), selectinload(Candidate.phones),
                selectinload(Candidate.tags)),
    Application: (selectinload(Application.sources),),
}


def _load(session: Session, model: type, connection_id: int, remote_ids: Iterable[str],
          *options: Any) -> dict[str, Any]:
    rows: dict[str, Any] = {}
    for chunk in _chunks(sorted(set(remote_ids))):
        query = select(model).where(model.connection_id == connection_id,
                                    model.remote_id.in_(chunk)).options(*options)
        rows.update((row.remote_id, row) for row in session.scalars(query))
    return rows


def _assign(row: Any, values: dict[str, Any]) -> bool:
    """Set the attributes that differ; True when anything did (unchanged rows stay clean)."""
    changed = False
    for name, value in values.items():
        if getattr(row, name) != value:
            setattr(row, name, value)
            changed = True
    return changed


def _reconcile(collection: list, model: type, key: Callable[[Any], Any],
               wanted: dict[Any, dict[str, Any]]) -> bool:
    """Make a child collection match ``wanted`` (by key), touching only what differs."""
    changed = False
    have = {key(child): child for child in collection}
    for k, child in have.items():
        if k not in wanted:
            collection.remove(child)
            changed = True
    for k, values in wanted.items():
        child = have.get(k)
        if child is None:
            collection.append(model(**values))
            changed = True
        elif _assign(child, values):
            changed = True
    return changed


def _first_wins(pairs: Iterable[tuple[Any, dict[str, Any]]]) -> dict[Any, dict[str, Any]]:
    """Key → values, keeping the first of duplicate keys (and the ATS's order)."""
    result: dict[Any, dict[str, Any]] = {}
    for key, values in pairs:
        result.setdefault(key, values)
    return result


def _name_for_rules(name: str, exact: dict[str, str]) -> str:
    # An exact-name default stands in as that milestone's label, which the name rules map
    # back to the same milestone; ``default_milestones`` then keeps it from going down.
    milestone = exact.get(stage_key(name))
    return LABELS[milestone] if milestone else name


def _checkpoint(session: Session, connection_id: int, resource: str) -> SyncCheckpoint:
    cp = session.scalar(select(SyncCheckpoint).where(
        SyncCheckpoint.connection_id == connection_id, SyncCheckpoint.resource == resource))
    if cp is None:
        cp = SyncCheckpoint(connection_id=connection_id, resource=resource)
        session.add(cp)
    return cp


def _record_failure(session: Session, run_id: int, resource: str, exc: SyncError, *,
                    remote_id: str | None = None, message: str | None = None) -> None:
    session.add(SyncFailure(run_id=run_id, resource=resource, remote_id=remote_id, url=exc.url,
                            status=exc.status, message=(message or exc.message)[:2000]))


def _inline(record: AttachmentRecord, max_bytes: int) -> Download | SyncError:
    """A file that came inside the response (SOAP base64), hashed like a download."""
    data = record.content or b""
    if len(data) > max_bytes:
        return SkippedRecordError(f"attachment {record.remote_id} is {len(data)} bytes, over "
                                  f"the {max_bytes}-byte limit", remote_id=record.remote_id)
    return Download(data, hashlib.sha256(data).hexdigest(), record.content_type)


def _to_millisecond(moment: datetime) -> datetime:
    return moment.replace(microsecond=moment.microsecond // 1000 * 1000)


def _row_outcome(resource: Resource, row: tuple[Record, ...],
                 results: list[Outcome | SkippedRecordError]
                 ) -> Outcome | SkippedRecordError | None:
    """What writing one raw row did to the resource's own record types (``record`` and
    ``also``): the first decides created; any change, updated. Nested records of other
    types are counted under their own names (``NESTED_TALLIES``)."""
    own = [r for rec, r in zip(row, results) if isinstance(rec, resource.record_types)]
    for result in own:
        if isinstance(result, SkippedRecordError):
            return result
    if not own:
        return None
    if own[0] is Outcome.CREATED:
        return Outcome.CREATED
    if any(r is not Outcome.UNCHANGED for r in own):
        return Outcome.UPDATED
    return Outcome.UNCHANGED


def _seen_key(record: Record) -> Any:
    if isinstance(record, JobTeamMemberRecord):
        return (record.job_remote_id, record.user_remote_id, record.role.value)
    return getattr(record, "remote_id", None)


def _chunks(items: list[Any], size: int = IN_CHUNK) -> Iterator[list[Any]]:
    for i in range(0, len(items), size):
        yield items[i:i + size]


__all__ = ["Outcome", "Tally", "delete_candidates", "purge_orphan_files", "run_sync",
           "scrub_candidate"]
