"""Store rows -> search documents: one ``PersonDocument`` per searchable person, or None.

A person gets no document at all (DESIGN "Population") when any of their records is private,
anonymised or hired (through any application, seen or not), or when they have no application
other than prospect ones. Prospect applications (status ``prospect`` or no job) are dropped
entirely: no filter, column, keyword, activity or "active" flag comes from them.
"""
from __future__ import annotations

import re
from collections import deque
from collections.abc import Iterable, Iterator
from dataclasses import replace
from datetime import datetime, timezone
from typing import TYPE_CHECKING

from sqlalchemy import select

from rediscover.core.enums import (
    FINISHED_EVALUATION_STATUSES,
    ApplicationStatus,
    EvaluationKind,
    ExtractionStatus,
    Recommendation,
    ScorecardStatus,
)
from rediscover.core.milestones import RANK
from rediscover.core.models import (
    Application,
    Attachment,
    Candidate,
    Evaluation,
    ExtractedText,
    Person,
    RejectionReason,
    Scorecard,
    Stage,
)
from rediscover.indexer.batches import chunked
from rediscover.indexer.documents import ApplicationDoc, PersonDocument
from rediscover.indexer.geo import UNRESOLVED, Locator, Place, default_locator
from rediscover.indexer.rowgraph import load_people
from rediscover.indexer.text import normalize_email, normalize_label
from rediscover.mappings.reasons import default_reason, is_safe

if TYPE_CHECKING:
    from multiprocessing.pool import AsyncResult

    from sqlalchemy.orm import Session, sessionmaker

BATCH = 500  # people loaded per round trip
AHEAD = 2  # batches in flight per document worker process (bounds their memory)
# Attachment types whose text is searchable; None = the ATS did not say (most send "resume").
TEXT_ATTACHMENT_TYPES = (None, "resume", "cv", "cover_letter")
INDEXED_STATUSES = (ApplicationStatus.OPEN.value, ApplicationStatus.CLOSED.value)
_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)



def build_document(
    session: Session, person_id: int, locator: Locator | None = None
) -> PersonDocument | None:
    """The search document of one person, or None when they must not be searchable."""
    return build_documents(session, [person_id], locator)[person_id]


def build_documents(
    session: Session, person_ids: Iterable[int], locator: Locator | None = None
) -> dict[int, PersonDocument | None]:
    """Documents of several people (None for those not searchable or gone), batched."""
    out: dict[int, PersonDocument | None] = {}
    for chunk in chunked(sorted(set(person_ids)), BATCH):
        out.update(dict.fromkeys(chunk))
        # Plain rows wired like the ORM graph: ~3x faster than hydrating instances (bench).
        people = load_people(session, chunk)
        hashes = {f.content_hash for p in people for c in p.candidates for f in c.attachments}
        texts = _texts(session, hashes)
        for person in people:
            out[person.id] = person_document(person, texts, locator)
    return out


def iter_documents(
    session_factory: sessionmaker[Session],
    person_ids: Iterable[int],
    locator: Locator | None = None,
) -> Iterator[PersonDocument]:
    """Yield the documents of searchable people, a batch per short-lived session (bulk loads)."""
    for chunk in chunked(person_ids, BATCH):
        with session_factory() as session:
            docs = build_documents(session, chunk, locator)
        yield from (doc for doc in docs.values() if doc is not None)


def iter_documents_parallel(
    session_factory: sessionmaker[Session], person_ids: list[int], workers: int
) -> Iterator[PersonDocument]:
    """``iter_documents`` with the default locator, assembled by ``workers`` other processes.

    Document assembly is Python-bound (profiled: ~70 % of a rebuild once FTS5 writes are
    lean), so a whole-index rebuild moves it to worker processes that each read the store
    through their own engine, while the caller writes the documents they send back, in
    ``person_ids`` order. Falls back to ``iter_documents`` (this process) where workers cannot
    help: none asked for, one batch, or a store no other process can open (in-memory SQLite).
    """
    bind = session_factory.kw.get("bind")
    url = bind.url if bind is not None else None
    shareable = url is not None and not (url.get_backend_name() == "sqlite"
                                         and url.database in (None, "", ":memory:"))
    if workers < 1 or len(person_ids) <= BATCH or not shareable:
        yield from iter_documents(session_factory, person_ids)
        return
    from rediscover.indexer.extract import worker_context

    ctx = worker_context(__name__)
    pending: deque[AsyncResult[list[PersonDocument]]] = deque()
    with ctx.Pool(workers, initializer=_start_worker,
                  initargs=(url.render_as_string(hide_password=False),)) as pool:
        for chunk in chunked(person_ids, BATCH):
            # A bounded window of batches in flight: documents wait for the writer in memory.
            if len(pending) >= AHEAD * workers:
                yield from pending.popleft().get()
            pending.append(pool.apply_async(_worker_documents, (chunk,)))
        while pending:
            yield from pending.popleft().get()


_WORKER_SESSIONS: sessionmaker[Session] | None = None  # one per document worker process


def _start_worker(url: str) -> None:
    from rediscover.core.db import make_engine, make_session_factory

    global _WORKER_SESSIONS
    _WORKER_SESSIONS = make_session_factory(make_engine(url))


def _worker_documents(person_ids: list[int]) -> list[PersonDocument]:
    assert _WORKER_SESSIONS is not None
    with _WORKER_SESSIONS() as session:
        docs = build_documents(session, person_ids)
    return [doc for doc in docs.values() if doc is not None]


def _texts(session: Session, hashes: set[str | None]) -> dict[str, str]:
    wanted = [h for h in hashes if h]
    texts: dict[str, str] = {}
    for chunk in chunked(wanted):
        rows = session.execute(
            select(ExtractedText.content_hash, ExtractedText.text).where(
                ExtractedText.content_hash.in_(chunk),
                ExtractedText.status == ExtractionStatus.OK.value,
            )
        )
        texts.update({h: t for h, t in rows})
    return texts


# --------------------------------------------------------------------------- person


def person_document(
    person: Person, texts: dict[str, str], locator: Locator | None = None
) -> PersonDocument | None:
    """Build one person's document from loaded rows; None when they must not appear."""
    candidates = list(person.candidates)
    if not candidates or any(is_hidden(c) for c in candidates):
        return None
    applications = [a for c in candidates for a in c.applications]
    if any(a.status == ApplicationStatus.HIRED.value for a in applications):
        return None
    indexed = [a for a in applications if not is_prospect(a)]
    if not indexed:
        return None
    by_recency = sorted(candidates, key=_recency, reverse=True)
    latest = by_recency[0]
    attachments = [f for c in candidates for f in c.attachments]
    doc = PersonDocument(
        person_id=person.id,
        team_id=person.team_id,
        name=latest.name,
        emails=_emails(by_recency),
        origins=sorted({c.connection.name for c in candidates}),
        has_open=any(a.status == ApplicationStatus.OPEN.value for a in indexed),
        resume_text=_attachment_text([f for f in attachments if f.application_id is None], texts),
        as_of=max((c.synced_at for c in candidates if c.synced_at), default=None),
        applications=[application_document(a, attachments, texts) for a in indexed],
    )
    doc.has_resume_text = bool(doc.resume_text)
    set_location(doc, by_recency, indexed, locator or default_locator())
    doc.title, doc.company = _position(by_recency)
    doc.tags, doc.tag_keys = _tags(by_recency)
    doc.applications.sort(key=lambda a: a.application_id)
    return doc


def set_location(
    doc: PersonDocument, by_recency: list[Candidate], applications: list[Application],
    locator: Locator,
) -> None:
    """Fill the document's location: as written, and normalised by ``indexer.geo``.

    Stated sources, newest record first: a structured address, the candidate's location, the
    location given on an application (newest first). The first one that places the person in
    a city wins, else the first that resolves at all. Only when none is stated does the
    newest work entry's location count, and the result says it was derived: the ATS's work
    location, else the place the resume gives next to the current employer (iCIMS work
    history has no location field: "Cabify, Madrid - Platform Engineer").
    """
    stated = [(c.location, locator.locate_address(c.address)) for c in by_recency if c.address]
    stated += [(c.location, locator.locate(c.location)) for c in by_recency if c.location]
    newest = sorted(applications, key=lambda a: (last_activity(a) or _EPOCH, a.id), reverse=True)
    stated += [(a.location, locator.locate(a.location)) for a in newest if a.location]
    texts = [text for text, _ in stated if text] + [_address_text(c) for c in by_recency]
    doc.location = next((t for t in texts if t), None)
    place = next((p for _, p in stated if p.has_point), None) or next(
        (p for _, p in stated if p.category != "unresolved"), UNRESOLVED
    )
    if place is UNRESOLVED and not any(t for t in texts):  # nothing stated: derive one
        work = next((c.work_location for c in by_recency if c.work_location), None) or \
            resume_work_location([c.company for c in by_recency if c.company], doc.resume_text)
        if work:
            doc.location = work
            place = replace(locator.locate(work), derived=True)
    _apply_place(doc, place)


# "Employer, Place - Title", "Employer, Place (2021 - )", "Employer, Place | ...": the place
# runs from the comma to a dash, bracket, bar, bullet or the end of the line.
_RESUME_PLACE = r"^[ \t•*·-]*{company}[ \t]*,[ \t]*([^\n|()•–—]{{2,60}}?)[ \t]*(?:[-–—|(•]|$)"


def resume_work_location(companies: Iterable[str], resume_text: str | None) -> str | None:
    """The place a resume writes next to one of ``companies`` at the start of a line, or None."""
    if not resume_text:
        return None
    for company in companies:
        name = " ".join(company.split())
        if not name:
            continue
        pattern = _RESUME_PLACE.format(company=r"\s+".join(map(re.escape, name.split())))
        match = re.search(pattern, resume_text, flags=re.IGNORECASE | re.MULTILINE)
        if match and any(ch.isalpha() for ch in match.group(1)):
            return match.group(1).strip(" .,;")
    return None


def _apply_place(doc: PersonDocument, place: Place) -> None:
    doc.city, doc.region, doc.country_code = place.city, place.region, place.country_code
    if place.has_point:
        doc.latitude, doc.longitude = place.latitude, place.longitude
    doc.geo_precision = place.precision
    doc.remote = place.remote
    doc.location_derived = place.derived


def _address_text(candidate: Candidate) -> str | None:
    address = candidate.address or {}
    parts = [address.get(k) for k in ("city", "state", "region", "country")]
    return ", ".join(str(p) for p in parts if p) or None


def is_hidden(candidate: Candidate) -> bool:
    """A record that hides its whole person: private or anonymised in its ATS."""
    return candidate.is_private or is_anonymized(candidate)


def is_anonymized(candidate: Candidate) -> bool:
    """Anonymised by the ATS (flag, or Greenhouse's "Anonymized" + remote id as last name)."""
    greenhouse_style = (
        candidate.first_name == "Anonymized" and candidate.last_name == candidate.remote_id
    )
    return candidate.anonymized or greenhouse_style


def is_prospect(application: Application) -> bool:
    """Prospect (no job, prospect status) or anything that is not open/closed."""
    return application.job_id is None or application.status not in INDEXED_STATUSES


def _recency(candidate: Candidate) -> tuple[datetime, int]:
    return (candidate.remote_updated_at or candidate.synced_at or _EPOCH, candidate.id)


def _position(by_recency: list[Candidate]) -> tuple[str | None, str | None]:
    # Title and company from the newest record that has either, so they stay a pair.
    for candidate in by_recency:
        if candidate.title or candidate.company:
            return candidate.title or None, candidate.company or None
    return None, None


def _emails(by_recency: list[Candidate]) -> list[str]:
    emails = (normalize_email(e.normalized or e.value) for c in by_recency for e in c.emails)
    return list(dict.fromkeys(e for e in emails if e))


def _tags(by_recency: list[Candidate]) -> tuple[list[str], list[str]]:
    tags: dict[str, str] = {}
    for candidate in by_recency:
        for tag in candidate.tags:
            key = normalize_label(tag.name)
            if key:
                tags.setdefault(key, " ".join(tag.name.split()))
    return list(tags.values()), list(tags.keys())


def _attachment_text(attachments: list[Attachment], texts: dict[str, str]) -> str:
    hashes = dict.fromkeys(
        f.content_hash
        for f in sorted(attachments, key=lambda f: f.id)
        if f.type in TEXT_ATTACHMENT_TYPES and f.content_hash in texts
    )
    return "\n\n".join(texts[h] for h in hashes)


# --------------------------------------------------------------------------- application


def application_document(
    app: Application, attachments: list[Attachment], texts: dict[str, str]
) -> ApplicationDoc:
    """One indexed (open or closed) application of a person."""
    job = app.job
    assert job is not None  # prospects (no job) never get here
    stage_name, milestone = furthest_stage(app)
    reason = app.rejection_reason
    sources = [s.source.name for s in sorted(app.sources, key=lambda s: s.position)]
    doc = ApplicationDoc(
        application_id=app.id,
        connection_id=app.connection_id,
        job_id=job.id,
        job_title=job.title or "",
        status=app.status,
        confidential=bool(job.confidential),
        access=sorted({f"{job.connection_id}:{m.remote_user_id}" for m in job.team_members}),
        requisition_id=job.requisition_id,
        stage_name=stage_name,
        milestone=milestone,
        milestone_rank=RANK.get(milestone or "", 0),
        rejection_reason=reason.name if reason else None,
        rejection_reason_key=normalize_label(reason.name) if reason else None,
        rejection_type=reason.type_key if reason else None,
        reason_category=reason_category(reason),
        sources=sources,
        source_keys=[normalize_label(s) for s in sources],
        applied_at=app.applied_at,
        rejected_at=app.rejected_at,
        last_activity_at=last_activity(app),
        resume_text=_attachment_text([f for f in attachments if f.application_id == app.id], texts),
    )
    doc.has_resume_text = bool(doc.resume_text)
    doc.reengage_safe = is_safe(doc.reason_category)
    _count_scorecards(doc, app.scorecards)
    _summarise_evaluations(doc, app.evaluations)
    return doc


def reason_category(reason: RejectionReason | None) -> str | None:
    """The shared reason of an ATS reason: the admin's choice, else the default rule."""
    if reason is None:
        return None
    return reason.category or default_reason(reason.name, reason.type_key)


def _summarise_evaluations(doc: ApplicationDoc, evaluations: list[Evaluation]) -> None:
    finished = [e for e in evaluations if e.status in FINISHED_EVALUATION_STATUSES]
    shares = [e.share for e in finished if e.kind == EvaluationKind.ASSESSMENT.value]
    best = max((s for s in shares if s is not None), default=None)
    if best is not None:
        doc.assessment_pct = round(best * 100, 4)
        doc.assessment_tenths = int(best * 10 + 0.5)
    kinds = {e.kind for e in finished}
    doc.video_completed = EvaluationKind.VIDEO_INTERVIEW.value in kinds
    doc.references_completed = EvaluationKind.REFERENCE_CHECK.value in kinds


def furthest_stage(app: Application) -> tuple[str | None, str | None]:
    """The furthest stage reached (name, milestone): highest milestone, then stage order.

    Looks at the stage history, the current stage and the stages scorecards were written in
    (an interview happened there even if the ATS kept no history).
    """
    stages: list[Stage] = [e.stage for e in app.stage_events if e.stage is not None]
    stages += [app.current_stage] if app.current_stage is not None else []
    stages += [s.stage for s in app.scorecards if s.stage is not None]
    if not stages:
        named = [e.stage_name for e in app.stage_events if e.stage_name]
        return (app.current_stage_name or (named[-1] if named else None)), None
    best = max(stages, key=lambda s: (RANK.get(s.milestone or "", 0), s.sort_order, s.id))
    return best.name, best.milestone


def last_activity(app: Application) -> datetime | None:
    """When the application last moved: the ATS's value, else its newest known date."""
    if app.last_activity_at:
        return app.last_activity_at
    dates = [app.rejected_at, app.applied_at]
    dates += [d for e in app.stage_events for d in (e.entered_at, e.exited_at)]
    return max((d for d in dates if d), default=None)


def _count_scorecards(doc: ApplicationDoc, scorecards: list[Scorecard]) -> None:
    # Only submitted cards count for or against; drafts and pending ones are "pending";
    # no-decision cards count nowhere (DESIGN "Scorecards").
    for card in scorecards:
        if card.status != ScorecardStatus.SUBMITTED.value:
            doc.pending += 1
            continue
        rec = card.recommendation
        if rec in (Recommendation.YES.value, Recommendation.STRONG_YES.value):
            doc.positive += 1
            doc.strong_yes += rec == Recommendation.STRONG_YES.value
        elif rec in (Recommendation.NO.value, Recommendation.STRONG_NO.value):
            doc.negative += 1
            doc.strong_no += rec == Recommendation.STRONG_NO.value
