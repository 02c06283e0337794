"""Bulk add to a sequence or project: an idempotent background job with progress in the store.

The request names people (``person_ids``) or a search (``filters``: "all N matching"). The job
resolves the ids, re-checks every person's eligibility at that moment, adds the eligible ones
(the ``(sequence, person)`` unique key makes a second add impossible), keeps counts and reasons
in its ``bulk_jobs`` row as it goes (the UI polls it), then delivers the new enrollments to the
sequence's webhook. ``(user, idempotency key)`` is unique: a retried request returns the first job.
A job cut off by a restart is picked up again (``resume_interrupted``, run by the scheduler and at
``rediscover serve`` start) and goes on from its last committed chunk.
"""
from __future__ import annotations

import hashlib
import json
import logging
import threading
import time
from collections import Counter
from collections.abc import Iterator
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from rediscover.core.models import BulkJob, Enrollment, Sequence, User, WebhookDelivery
from rediscover.core.types import utcnow
from rediscover.query import eligibility, search as search_mod
from rediscover.query.filters import MAX_LIMIT, SearchRequest, Viewer
from rediscover.query.people import person_summaries
from rediscover.query.saved import viewer_of
from rediscover.web import audit, outbound

if TYPE_CHECKING:
    from rediscover.web.wiring import Services

log = logging.getLogger(__name__)

CHUNK = 200  # people checked and written per transaction (progress moves this often)
MAX_PEOPLE = 50_000  # one job's ceiling; "all matching" beyond it is refused up front
MAX_SKIPPED_LISTED = 1000  # skipped people listed by id in the report (counts are always full)
WEBHOOK_BATCH = 100  # enrollments per webhook delivery
# a queued or running job whose heartbeat is this old was cut off (a live one beats every chunk and
# delivery; one delivery's retries take at most about a minute)
STALE_AFTER = timedelta(minutes=5)


class IdempotencyConflict(Exception):
    """The idempotency key was used before with a different request."""


def request_fingerprint(sequence_id: int, body: dict[str, Any]) -> str:
    """A stable hash of what was asked (to tell a retry from a reused key)."""
    raw = json.dumps({"sequence_id": sequence_id, **body}, sort_keys=True, default=str)
    return hashlib.sha256(raw.encode()).hexdigest()


def start_bulk_add(svc: Services, user_id: int, team_id: int, sequence_id: int, key: str,
                   body: dict[str, Any], viewer: Viewer, *, run_async: bool = True
                   ) -> tuple[BulkJob, bool]:
    """Create the job (or find the one this key already made) and start it; (job, created)."""
    fingerprint = request_fingerprint(sequence_id, body)
    try:
        with svc.session_factory.begin() as db:
            job = BulkJob(team_id=team_id, user_id=user_id, sequence_id=sequence_id,
                          idempotency_key=key, request={**body, "fingerprint": fingerprint})
            db.add(job)
    except IntegrityError:
        with svc.session_factory() as db:
            job = db.scalar(select(BulkJob).where(BulkJob.user_id == user_id,
                                                  BulkJob.idempotency_key == key))
        if job is None or job.request.get("fingerprint") != fingerprint:
            raise IdempotencyConflict(key) from None
        return job, False
    if run_async:
        threading.Thread(target=run_bulk_add, args=(svc, job.id, viewer),
                         name=f"bulk-add:{job.id}", daemon=True).start()
    else:
        run_bulk_add(svc, job.id, viewer)
    return job, True


def run_bulk_add(svc: Services, job_id: int, viewer: Viewer) -> None:
    """Run (or go on with) one job to the end; a crash marks it failed with the reason."""
    try:
        _run(svc, job_id, viewer)
    except Exception as exc:  # the job row is the only place a background error can surface
        log.exception("bulk add failed", extra={"job": job_id})
        with svc.session_factory.begin() as db:
            job = db.get(BulkJob, job_id)
            job.status, job.error, job.finished_at = "failed", str(exc)[:1000], utcnow()


def _run(svc: Services, job_id: int, viewer: Viewer) -> None:
    """Each step commits with the progress it made, so a resumed job neither repeats nor skips.

    The people are resolved once and stored on the job; chunks go on from ``processed`` (a chunk's
    enrollments and its counts commit together); the audit event is recorded once; webhook
    deliveries already created are re-driven and only people not yet sent get new ones.
    """
    with svc.session_factory.begin() as db:
        job = db.get(BulkJob, job_id)
        job.status, job.heartbeat_at = "running", utcnow()
        request, sequence_id, user_id = dict(job.request), job.sequence_id, job.user_id
        ids, done = job.person_ids, job.processed
    if ids is None:
        ids, done = _resolve_ids(svc, request, viewer), 0
        with svc.session_factory.begin() as db:
            job = db.get(BulkJob, job_id)
            job.person_ids, job.total = ids, len(ids)
    for start in range(done, len(ids), CHUNK):
        _add_chunk(svc, job_id, sequence_id, user_id, ids[start:start + CHUNK], viewer)
    with svc.session_factory.begin() as db:
        job = db.get(BulkJob, job_id)
        added = list(db.scalars(select(Enrollment.person_id).where(Enrollment.bulk_job_id == job_id)
                                .order_by(Enrollment.id)))
        if not (job.report or {}).get("audited"):
            audit.record(db, job.team_id, user_id, audit.ENROLL, f"sequence:{sequence_id}",
                         job_id=job_id, added=added, already=job.already, skipped=job.skipped)
            job.report = {**(job.report or {}), "audited": True}
    _deliver(svc, job_id, sequence_id, added)
    with svc.session_factory.begin() as db:
        job = db.get(BulkJob, job_id)
        job.status, job.finished_at = "done", utcnow()


def resume_interrupted(svc: Services, *, stale_after: timedelta | None = None) -> list[int]:
    """Claim and run to the end every job a stopped process left queued or running.

    A job is interrupted when its heartbeat (or, never started, its creation) is older than
    ``stale_after`` (default ``STALE_AFTER``); a live job renews its heartbeat every chunk and webhook delivery. The claim
    is a compare-and-set on the heartbeat, so two processes resuming at once never both run a job.
    Each job goes on as its owner sees people now (access re-checked). Returns the ids resumed.
    """
    cutoff = utcnow() - (STALE_AFTER if stale_after is None else stale_after)
    with svc.session_factory() as db:
        rows = db.execute(select(BulkJob.id, BulkJob.user_id, BulkJob.heartbeat_at).where(
            BulkJob.status.in_(("queued", "running")),
            func.coalesce(BulkJob.heartbeat_at, BulkJob.created_at) < cutoff,
        ).order_by(BulkJob.id)).all()
    resumed = []
    for job_id, user_id, beat in rows:
        with svc.session_factory.begin() as db:
            claimed = db.execute(update(BulkJob).where(
                BulkJob.id == job_id, BulkJob.status.in_(("queued", "running")),
                BulkJob.heartbeat_at.is_(None) if beat is None else BulkJob.heartbeat_at == beat,
            ).values(heartbeat_at=utcnow())).rowcount
            user = db.get(User, user_id) if claimed else None
            viewer = viewer_of(user) if user is not None and user.active else None
        if not claimed:
            continue  # another process took it
        log.info("resuming bulk add", extra={"job": job_id})
        if viewer is None:
            with svc.session_factory.begin() as db:
                job = db.get(BulkJob, job_id)
                job.status, job.finished_at = "failed", utcnow()
                job.error = "interrupted, and its owner can no longer sign in: not resumed"
            continue
        run_bulk_add(svc, job_id, viewer)
        resumed.append(job_id)
    return resumed


def _resolve_ids(svc: Services, request: dict[str, Any], viewer: Viewer) -> list[int]:
    """The people asked for, in order, without repeats."""
    if "person_ids" in request:
        return list(dict.fromkeys(int(i) for i in request["person_ids"]))[:MAX_PEOPLE]
    return list(dict.fromkeys(iter_matching(svc, request.get("filters") or {}, viewer)))[:MAX_PEOPLE]


def iter_matching(svc: Services, filters: dict[str, Any], viewer: Viewer) -> Iterator[int]:
    """Every person id a search matches, page by page (cursor), as ``viewer`` sees them."""
    clean = {k: v for k, v in filters.items() if k not in ("cursor", "limit")}
    req = SearchRequest.from_dict({**clean, "limit": MAX_LIMIT})
    seen = 0
    while seen < MAX_PEOPLE:
        page = search_mod.search(svc.backend, req, viewer)
        yield from (row.person_id for row in page.results)
        seen += len(page.results)
        if not page.next_cursor:
            return
        req = req.with_cursor(page.next_cursor)


def _add_chunk(svc: Services, job_id: int, sequence_id: int, user_id: int, ids: list[int],
               viewer: Viewer) -> None:
    """Check and add one chunk in one transaction; counts and reasons go on the job row."""
    with svc.session_factory.begin() as db:
        verdicts = eligibility.check_people(db, ids, viewer)
        enrolled = set(db.scalars(select(Enrollment.person_id).where(
            Enrollment.sequence_id == sequence_id, Enrollment.person_id.in_(ids))))
        eligible = [p for p in ids if verdicts.get(p) is None and p not in enrolled]
        added, raced = _insert(db, sequence_id, user_id, job_id, eligible)
        job = db.get(BulkJob, job_id)
        job.heartbeat_at = utcnow()
        skipped = [(p, verdicts[p]) for p in ids if verdicts.get(p) is not None and p not in enrolled]
        _tally(job, len(ids), added, len(enrolled & set(ids)) + raced, skipped)


def _insert(db: Session, sequence_id: int, user_id: int, job_id: int,
            person_ids: list[int]) -> tuple[list[int], int]:
    """Insert enrollments; a concurrent job that got there first counts as already there."""
    rows = [Enrollment(sequence_id=sequence_id, person_id=p, added_by=user_id, bulk_job_id=job_id)
            for p in person_ids]
    try:
        with db.begin_nested():
            db.add_all(rows)
        return person_ids, 0
    except IntegrityError:
        added = []
        for row in rows:  # one by one, to tell which were taken meanwhile
            try:
                with db.begin_nested():
                    db.add(Enrollment(sequence_id=sequence_id, person_id=row.person_id,
                                      added_by=user_id, bulk_job_id=job_id))
                added.append(row.person_id)
            except IntegrityError:
                pass
        return added, len(person_ids) - len(added)


def _tally(job: BulkJob, processed: int, added: list[int], already: int,
           skipped: list[tuple[int, str]]) -> None:
    job.processed += processed
    job.added += len(added)
    job.already += already
    job.skipped += len(skipped)
    report = dict(job.report or {})
    reasons = Counter(report.get("reasons", {}))
    reasons.update(reason for _, reason in skipped)
    listed = list(report.get("skipped", []))
    room = MAX_SKIPPED_LISTED - len(listed)
    listed += [{"person_id": p, "reason": r} for p, r in skipped[:max(room, 0)]]
    job.report = {"reasons": dict(reasons), "skipped": listed}


def _deliver(svc: Services, job_id: int, sequence_id: int, added: list[int]) -> None:
    """Send the new enrollments to the sequence's webhook, a batch per signed delivery.

    Deliveries this job already created (before an interruption) are re-driven if still pending,
    and their people are not sent again.
    """
    with svc.session_factory() as db:
        seq = db.get(Sequence, sequence_id)
        url, secret, name = seq.webhook_url, seq.webhook_secret or "", seq.name
        earlier = db.execute(select(WebhookDelivery.id, WebhookDelivery.status, WebhookDelivery.body)
                             .where(WebhookDelivery.bulk_job_id == job_id)
                             .order_by(WebhookDelivery.id)).all()
    sent = {p["person_id"] for _, _, body in earlier for p in json.loads(body)["people"]}
    sleep = svc.config.get("WEBHOOK_SLEEP") or time.sleep
    for delivery_id, status, _ in earlier:
        if status == "pending":
            _beat(svc, job_id)
            outbound.deliver(svc.session_factory, delivery_id, secret, sleep=sleep)
    pending = [p for p in added if p not in sent]
    if not url or not pending:
        return
    for start in range(0, len(pending), WEBHOOK_BATCH):
        batch = pending[start:start + WEBHOOK_BATCH]
        _beat(svc, job_id)
        with svc.session_factory.begin() as db:
            people = person_summaries(db, batch)
            payload = {"event": "enrollments.created", "sequence": {"id": sequence_id, "name": name},
                       "bulk_job_id": job_id, "enrolled_at": utcnow().isoformat(),
                       "people": [{"person_id": p, **people.get(p, {})} for p in batch]}
            delivery_id = outbound.create_delivery(db, sequence_id, url, payload, job_id).id
        outbound.deliver(svc.session_factory, delivery_id, secret, sleep=sleep)


def _beat(svc: Services, job_id: int) -> None:
    with svc.session_factory.begin() as db:
        db.get(BulkJob, job_id).heartbeat_at = utcnow()


def job_dict(job: BulkJob) -> dict[str, Any]:
    """The job as the API shows it (the report the UI renders)."""
    return {
        "id": job.id, "sequence_id": job.sequence_id, "status": job.status,
        "total": job.total, "processed": job.processed, "added": job.added,
        "already_there": job.already, "skipped": job.skipped,
        "skipped_reasons": (job.report or {}).get("reasons", {}),
        "skipped_people": (job.report or {}).get("skipped", []),
        "error": job.error, "created_at": job.created_at.isoformat() if job.created_at else None,
        "finished_at": job.finished_at.isoformat() if job.finished_at else None,
    }
