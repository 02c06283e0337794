"""factory_boy factories for the store, plus helpers that build a person in a line or two.

Factories write through the session bound with ``bind_session`` (the ``db`` fixtures of
``tests/indexer`` and ``tests/query`` do it) and flush, so ids exist right away; tests commit
before indexing. The helpers at the bottom speak the domain: ``make_job`` gives a job with
one stage per milestone, ``make_application(..., reached="onsite", rejection="Other
candidate hired", cards=["yes", "strong_no"])`` writes the stage history, reason and
scorecards behind those words.
"""
from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta, timezone
from typing import Any

import factory
from factory.alchemy import SQLAlchemyModelFactory
from sqlalchemy import select
from sqlalchemy.orm import Session

from rediscover.core.milestones import MILESTONES, RANK
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
    Evaluation,
    FileBlob,
    IndexQueue,
    Job,
    JobTeamMember,
    RejectionReason,
    Scorecard,
    Source,
    Stage,
    StageEvent,
    Team,
)
from rediscover.indexer.text import normalize_email, normalize_label

_bound: list[Session] = []
BASE_TIME = datetime(2024, 1, 1, tzinfo=timezone.utc)


def bind_session(session: Session | None) -> None:
    """Make factories write through ``session`` (None unbinds)."""
    _bound.clear()
    if session is not None:
        _bound.append(session)


def _session() -> Session:
    if not _bound:
        raise RuntimeError("factories need a session: use the db fixture (bind_session)")
    return _bound[0]


class BaseFactory(SQLAlchemyModelFactory):
    class Meta:
        abstract = True
        sqlalchemy_session_factory = _session
        sqlalchemy_session_persistence = "flush"


class TeamFactory(BaseFactory):
    class Meta:
        model = Team

    name = factory.Sequence(lambda n: f"Team {n}")


class ConnectionFactory(BaseFactory):
    class Meta:
        model = Connection

    team = factory.SubFactory(TeamFactory)
    name = factory.Sequence(lambda n: f"ats-{n}")
    ats = "greenhouse"
    base_url = "http://ats.invalid"


class ATSUserFactory(BaseFactory):
    class Meta:
        model = ATSUser

    class Params:
        connection = factory.SubFactory(ConnectionFactory)

    connection_id = factory.LazyAttribute(lambda o: o.connection.id)
    remote_id = factory.Sequence(lambda n: f"user-{n}")
    name = factory.Sequence(lambda n: f"Interviewer {n}")


class JobFactory(BaseFactory):
    class Meta:
        model = Job

    class Params:
        connection = factory.SubFactory(ConnectionFactory)

    connection_id = factory.LazyAttribute(lambda o: o.connection.id)
    remote_id = factory.Sequence(lambda n: f"job-{n}")
    title = "Software Engineer"
    status = "closed"
    confidential = False


class JobTeamMemberFactory(BaseFactory):
    class Meta:
        model = JobTeamMember

    job = factory.SubFactory(JobFactory)
    remote_user_id = factory.Sequence(lambda n: f"user-{n}")
    role = "hiring_manager"


class StageFactory(BaseFactory):
    class Meta:
        model = Stage

    job = factory.SubFactory(JobFactory)
    connection_id = factory.LazyAttribute(lambda o: o.job.connection_id)
    remote_id = factory.Sequence(lambda n: f"stage-{n}")
    name = "Application Review"
    sort_order = 0
    milestone = "application_review"


class RejectionReasonFactory(BaseFactory):
    class Meta:
        model = RejectionReason

    class Params:
        connection = factory.SubFactory(ConnectionFactory)

    connection_id = factory.LazyAttribute(lambda o: o.connection.id)
    remote_id = factory.Sequence(lambda n: f"reason-{n}")
    name = "Other candidate hired"
    type_key = "WE_REJECTED_THEM"


class SourceFactory(BaseFactory):
    class Meta:
        model = Source

    class Params:
        connection = factory.SubFactory(ConnectionFactory)

    connection_id = factory.LazyAttribute(lambda o: o.connection.id)
    remote_id = factory.Sequence(lambda n: f"source-{n}")
    name = "LinkedIn"


class CandidateFactory(BaseFactory):
    class Meta:
        model = Candidate

    connection = factory.SubFactory(ConnectionFactory)
    remote_id = factory.Sequence(lambda n: f"cand-{n}")
    first_name = factory.Sequence(lambda n: f"Person{n}")
    last_name = "Example"
    remote_updated_at = BASE_TIME
    synced_at = BASE_TIME


class CandidateEmailFactory(BaseFactory):
    class Meta:
        model = CandidateEmail

    candidate_id = factory.LazyAttribute(lambda o: o.candidate.id)
    value = factory.Sequence(lambda n: f"person{n}@example.com")
    normalized = factory.LazyAttribute(lambda o: normalize_email(o.value))

    class Params:
        candidate = factory.SubFactory(CandidateFactory)


class CandidatePhoneFactory(BaseFactory):
    class Meta:
        model = CandidatePhone

    candidate_id = factory.LazyAttribute(lambda o: o.candidate.id)
    value = "+1 650 253 0000"
    normalized = None  # as a sync that leaves E.164 parsing to the merger stores it

    class Params:
        candidate = factory.SubFactory(CandidateFactory)


class CandidateTagFactory(BaseFactory):
    class Meta:
        model = CandidateTag

    class Params:
        candidate = factory.SubFactory(CandidateFactory)

    candidate_id = factory.LazyAttribute(lambda o: o.candidate.id)
    name = "Python"
    normalized = factory.LazyAttribute(lambda o: normalize_label(o.name))


class ApplicationFactory(BaseFactory):
    class Meta:
        model = Application

    candidate = factory.SubFactory(CandidateFactory)
    connection_id = factory.LazyAttribute(lambda o: o.candidate.connection_id)
    remote_id = factory.Sequence(lambda n: f"app-{n}")
    job = factory.SubFactory(JobFactory, connection=factory.SelfAttribute("..candidate.connection"))
    status = "closed"
    applied_at = BASE_TIME
    last_activity_at = BASE_TIME


class StageEventFactory(BaseFactory):
    class Meta:
        model = StageEvent

    application_id = factory.LazyAttribute(lambda o: o.application.id)
    remote_id = factory.Sequence(lambda n: f"event-{n}")

    class Params:
        application = factory.SubFactory(ApplicationFactory)


class ScorecardFactory(BaseFactory):
    class Meta:
        model = Scorecard

    application = factory.SubFactory(ApplicationFactory)
    connection_id = factory.LazyAttribute(lambda o: o.application.connection_id)
    remote_id = factory.Sequence(lambda n: f"card-{n}")
    recommendation = "yes"
    status = "submitted"


class ApplicationSourceFactory(BaseFactory):
    class Meta:
        model = ApplicationSource

    application_id = factory.LazyAttribute(lambda o: o.application.id)
    source = factory.SubFactory(SourceFactory)
    position = 0

    class Params:
        application = factory.SubFactory(ApplicationFactory)


class AttachmentFactory(BaseFactory):
    class Meta:
        model = Attachment

    candidate = factory.SubFactory(CandidateFactory)
    connection_id = factory.LazyAttribute(lambda o: o.candidate.connection_id)
    remote_id = factory.Sequence(lambda n: f"file-{n}")
    filename = "resume.pdf"
    type = "resume"
    content_type = "application/pdf"


# --------------------------------------------------------------------------- domain helpers

STAGE_NAMES = {
    "application_review": "Application Review",
    "recruiter_screen": "Recruiter Screen",
    "hiring_manager_screen": "Hiring Manager Screen",
    "assessment": "Take-home Assessment",
    "onsite": "Final Round (Onsite)",
    "offer": "Offer",
}


def at(days: float = 0, hours: float = 0) -> datetime:
    """A fixed UTC instant, ``days`` after 2024-01-01 (tests never depend on the clock)."""
    return BASE_TIME + timedelta(days=days, hours=hours)


def make_job(
    connection: Connection,
    title: str = "Software Engineer",
    *,
    confidential: bool = False,
    team: Iterable[tuple[str, str]] = (),
) -> Job:
    """A job with one stage per milestone (in order) and the given (remote user, role) team."""
    job = JobFactory(connection=connection, title=title, confidential=confidential)
    # build + one flush: a flush per row makes big datasets slow
    rows = [
        StageFactory.build(job=job, name=STAGE_NAMES[m], sort_order=order, milestone=m)
        for order, m in enumerate(MILESTONES)
    ]
    rows += [JobTeamMemberFactory.build(job=job, remote_user_id=u, role=r) for u, r in team]
    _session().add_all(rows)
    _session().flush()
    return job


def stage_of(job: Job, milestone: str) -> Stage:
    """The stage of ``job`` mapped to ``milestone``."""
    return next(s for s in job.stages if s.milestone == milestone)


def make_candidate(
    connection: Connection,
    name: str = "Ada Lovelace",
    *,
    emails: Sequence[str] = (),
    tags: Sequence[str] = (),
    phones: Sequence[str] = (),
    **fields: Any,
) -> Candidate:
    """A candidate record with emails, phones and tags (``fields`` go to the model)."""
    first, _, last = name.partition(" ")
    candidate = CandidateFactory(connection=connection, first_name=first, last_name=last, **fields)
    rows = [CandidateEmailFactory.build(candidate=candidate, value=e) for e in emails]
    rows += [CandidateTagFactory.build(candidate=candidate, name=t) for t in tags]
    rows += [CandidatePhoneFactory.build(candidate=candidate, value=p) for p in phones]
    _session().add_all(rows)
    _session().flush()
    return candidate


def make_application(
    candidate: Candidate,
    job: Job | None,
    *,
    status: str = "closed",
    reached: str | None = "application_review",
    current: str | None = None,
    rejection: str | None = None,
    sources: Sequence[str] = (),
    cards: Sequence[str | tuple[str | None, str]] = (),
    last_activity: datetime | None = BASE_TIME,
    applied: datetime | None = BASE_TIME,
    resume_text: str | None = None,
) -> Application:
    """An application; ``reached`` writes a stage history up to that milestone.

    ``current`` sets the current stage (default: the reached one); ``cards`` are
    recommendations (submitted) or ``(recommendation, status)`` pairs; ``resume_text`` is
    attached to this application as a plain-text file awaiting extraction.
    """
    app = ApplicationFactory(
        candidate=candidate,
        job=job,
        status=status,
        last_activity_at=last_activity,
        applied_at=applied,
        rejected_at=last_activity if status == "closed" else None,
    )
    rows: list[Any] = []
    if job is not None and reached:
        rows += [
            StageEventFactory.build(application=app, stage_id=stage_of(job, milestone).id)
            for milestone in MILESTONES[: RANK[reached]]
        ]
        app.current_stage_id = stage_of(job, current or reached).id
    if rejection:
        app.rejection_reason_id = _reason(candidate.connection, rejection).id
    for position, name in enumerate(sources):
        ApplicationSourceFactory(
            application=app, source=_source(candidate.connection, name), position=position
        )
    for card in cards:
        recommendation, card_status = card if isinstance(card, tuple) else (card, "submitted")
        rows.append(
            ScorecardFactory.build(
                application=app, recommendation=recommendation, status=card_status
            )
        )
    _session().add_all(rows)
    if resume_text is not None:
        attach_text(candidate, resume_text, application=app)
    _session().flush()
    return app


def attach_text(
    candidate: Candidate, text: str, *, application: Application | None = None
) -> Attachment:
    """A plain-text resume on a candidate (or one of their applications), bytes in FileBlob."""
    return attach_file(
        candidate, text.encode(), "resume.txt", "text/plain", application=application
    )


def attach_file(
    candidate: Candidate,
    data: bytes,
    filename: str,
    content_type: str | None,
    *,
    application: Application | None = None,
) -> Attachment:
    """A downloaded file: an ``Attachment`` plus its bytes in ``FileBlob`` (shared by hash)."""
    session = _session()
    digest = hashlib.sha256(data).hexdigest()
    if session.get(FileBlob, digest) is None:
        session.add(
            FileBlob(content_hash=digest, data=data, filename=filename, content_type=content_type)
        )
    return AttachmentFactory(
        candidate=candidate,
        application_id=application.id if application else None,
        filename=filename,
        content_type=content_type,
        content_hash=digest,
        size=len(data),
    )


def make_person(
    connection: Connection,
    name: str,
    *apps: dict[str, Any],
    emails: Sequence[str] | None = None,
    **fields: Any,
) -> Candidate:
    """A candidate with applications, each given as ``make_application`` keywords.

    Every ``apps`` dict needs a ``job`` (None for a prospect). Emails default to one derived
    from the name, so people never merge by accident.
    """
    if emails is None:
        emails = [name.lower().replace(" ", ".") + "@example.com"]
    candidate = make_candidate(connection, name, emails=emails, **fields)
    for spec in apps:
        make_application(candidate, **spec)
    return candidate


def enqueue_all(session: Session) -> None:
    """Queue every candidate for indexing, as a sync run would."""
    for cid in session.scalars(select(Candidate.id).order_by(Candidate.id)):
        session.add(IndexQueue(candidate_id=cid))
    session.flush()


def enqueue(session: Session, *candidates: Candidate) -> None:
    """Queue some candidates for indexing (what sync does when they change)."""
    for candidate in candidates:
        session.add(IndexQueue(candidate_id=candidate.id, person_id=candidate.person_id))
    session.flush()


def _reason(connection: Connection, name: str) -> RejectionReason:
    found = _session().scalar(
        select(RejectionReason).where(
            RejectionReason.connection_id == connection.id, RejectionReason.name == name
        )
    )
    return found or RejectionReasonFactory(connection=connection, name=name)


def _source(connection: Connection, name: str) -> Source:
    found = _session().scalar(
        select(Source).where(Source.connection_id == connection.id, Source.name == name)
    )
    return found or SourceFactory(connection=connection, name=name)


def make_evaluation(
    app: Application,
    kind: str = "assessment",
    *,
    status: str = "completed",
    score: float | None = None,
    max_score: float | None = 100,
    provider: str = "imocha",
    external_id: str | None = None,
    result_url: str | None = None,
) -> Evaluation:
    """A normalised evaluation result on an application (as the intake endpoint stores it)."""
    session = _session()
    team_id = session.get(Connection, app.connection_id).team_id
    row = Evaluation(
        team_id=team_id,
        application_id=app.id,
        kind=kind,
        provider=provider,
        external_id=external_id or f"{provider}-{app.id}-{kind}-{score}",
        status=status,
        score=score,
        max_score=max_score if score is not None else None,
        result_url=result_url,
    )
    session.add(row)
    session.flush()
    return row
