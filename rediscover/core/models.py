"""The store: SQLAlchemy models for teams, ATS data, people and sync bookkeeping.

Everything synced from an ATS is keyed by ``(connection_id, remote_id)``; remote ids are
strings because several vendors use non-numeric ids. ``sync/runner.py`` is the only writer
of synced rows; the indexer owns ``people`` (the merge) and the ``index_queue`` consumer side.
"""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from rediscover.core.types import UTCDateTime, utcnow

# Identity columns: BIGINT on PostgreSQL, INTEGER on SQLite (so it stays the rowid alias).
BigID = BigInteger().with_variant(Integer, "sqlite")
REMOTE_ID = String(128)


class Base(DeclarativeBase):
    """Declarative base with a naming convention so migrations name constraints stably."""

    metadata = MetaData(
        naming_convention={
            "ix": "ix_%(column_0_label)s",
            "uq": "uq_%(table_name)s_%(column_0_name)s",
            "ck": "ck_%(table_name)s_%(constraint_name)s",
            "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
            "pk": "pk_%(table_name)s",
        }
    )


def _id() -> Mapped[int]:
    return mapped_column(BigID, primary_key=True, autoincrement=True)


def _created() -> Mapped[datetime]:
    return mapped_column(UTCDateTime, default=utcnow, nullable=False)


# --------------------------------------------------------------------------- teams and users


class Team(Base):
    """A recruiting team: owns its connections, people and users."""

    __tablename__ = "teams"
    id: Mapped[int] = _id()
    name: Mapped[str] = mapped_column(String(200), unique=True)
    created_at: Mapped[datetime] = _created()


class User(Base):
    """A Rediscover user (recruiter or admin) of one team."""

    __tablename__ = "users"
    id: Mapped[int] = _id()
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"), index=True)
    email: Mapped[str] = mapped_column(String(320), unique=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    role: Mapped[str] = mapped_column(String(20), default="recruiter")
    password_hash: Mapped[str | None] = mapped_column(String(256))
    # sha256 of the API token; the token itself is shown once and never stored.
    api_token_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = _created()

    team: Mapped[Team] = relationship()
    ats_identities: Mapped[list[UserATSIdentity]] = relationship(
        back_populates="user", cascade="all, delete-orphan"
    )


class UserATSIdentity(Base):
    """Which ATS user a Rediscover user is, per connection (decides confidential visibility)."""

    __tablename__ = "user_ats_identities"
    __table_args__ = (UniqueConstraint("user_id", "connection_id"),)
    id: Mapped[int] = _id()
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    connection_id: Mapped[int] = mapped_column(ForeignKey("connections.id", ondelete="CASCADE"))
    remote_user_id: Mapped[str] = mapped_column(REMOTE_ID)

    user: Mapped[User] = relationship(back_populates="ats_identities")


# --------------------------------------------------------------------------- connections


class Connection(Base):
    """One connected ATS account.

    ``credentials`` holds what the adapter needs to authenticate (client id/secret, API key);
    ``settings`` holds adapter options (per-page size, default phone country, …).
    """

    __tablename__ = "connections"
    id: Mapped[int] = _id()
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    ats: Mapped[str] = mapped_column(String(32))
    base_url: Mapped[str] = mapped_column(String(500))
    token_url: Mapped[str | None] = mapped_column(String(500))
    credentials: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    settings: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = _created()

    team: Mapped[Team] = relationship()


class ATSUser(Base):
    """A user of the ATS itself (interviewers, hiring managers, recruiters)."""

    __tablename__ = "ats_users"
    __table_args__ = (UniqueConstraint("connection_id", "remote_id"),)
    id: Mapped[int] = _id()
    connection_id: Mapped[int] = mapped_column(ForeignKey("connections.id", ondelete="CASCADE"))
    remote_id: Mapped[str] = mapped_column(REMOTE_ID)
    name: Mapped[str] = mapped_column(String(200), default="")
    email: Mapped[str | None] = mapped_column(String(320))
    site_admin: Mapped[bool] = mapped_column(Boolean, default=False)
    deactivated: Mapped[bool] = mapped_column(Boolean, default=False)


# --------------------------------------------------------------------------- jobs and stages


class Job(Base):
    """A job (requisition / posting) of one connection."""

    __tablename__ = "jobs"
    __table_args__ = (UniqueConstraint("connection_id", "remote_id"),)
    id: Mapped[int] = _id()
    connection_id: Mapped[int] = mapped_column(ForeignKey("connections.id", ondelete="CASCADE"))
    remote_id: Mapped[str] = mapped_column(REMOTE_ID)
    title: Mapped[str] = mapped_column(String(500), default="")
    requisition_id: Mapped[str | None] = mapped_column(String(200))
    status: Mapped[str | None] = mapped_column(String(40))  # open / closed / draft … as the ATS says
    confidential: Mapped[bool] = mapped_column(Boolean, default=False)
    opened_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    remote_updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    synced_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    seen_run_id: Mapped[int | None] = mapped_column(BigID)

    team_members: Mapped[list[JobTeamMember]] = relationship(
        back_populates="job", cascade="all, delete-orphan"
    )
    stages: Mapped[list[Stage]] = relationship(back_populates="job", cascade="all, delete-orphan")


class JobTeamMember(Base):
    """An ATS user on a job's team: hiring manager, owner, or holder of a per-job permission."""

    __tablename__ = "job_team_members"
    __table_args__ = (UniqueConstraint("job_id", "remote_user_id", "role"),)
    id: Mapped[int] = _id()
    job_id: Mapped[int] = mapped_column(ForeignKey("jobs.id", ondelete="CASCADE"), index=True)
    remote_user_id: Mapped[str] = mapped_column(REMOTE_ID)
    role: Mapped[str] = mapped_column(String(32))

    job: Mapped[Job] = relationship(back_populates="team_members")


class Stage(Base):
    """An interview stage; per job where the ATS has job-specific plans, else job_id is null.

    ``milestone`` is the shared milestone this stage counts as (see ``core.milestones``);
    ``milestone_source`` is ``default`` (inferred from names and order) or ``admin`` (edited,
    kept across re-syncs).
    """

    __tablename__ = "stages"
    __table_args__ = (UniqueConstraint("connection_id", "remote_id"),)
    id: Mapped[int] = _id()
    connection_id: Mapped[int] = mapped_column(ForeignKey("connections.id", ondelete="CASCADE"))
    job_id: Mapped[int | None] = mapped_column(ForeignKey("jobs.id", ondelete="CASCADE"), index=True)
    remote_id: Mapped[str] = mapped_column(REMOTE_ID)
    name: Mapped[str] = mapped_column(String(300))
    sort_order: Mapped[int] = mapped_column(Integer, default=0)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    milestone: Mapped[str | None] = mapped_column(String(40))
    milestone_source: Mapped[str] = mapped_column(String(10), default="default")

    job: Mapped[Job | None] = relationship(back_populates="stages")


class RejectionReason(Base):
    """A rejection / archive / disposition reason as the ATS names it."""

    __tablename__ = "rejection_reasons"
    __table_args__ = (UniqueConstraint("connection_id", "remote_id"),)
    id: Mapped[int] = _id()
    connection_id: Mapped[int] = mapped_column(ForeignKey("connections.id", ondelete="CASCADE"))
    remote_id: Mapped[str] = mapped_column(REMOTE_ID)
    name: Mapped[str] = mapped_column(String(300))
    type_key: Mapped[str | None] = mapped_column(String(64))  # e.g. WE_REJECTED_THEM
    type_name: Mapped[str | None] = mapped_column(String(200))
    # The shared reason (mappings.reasons) an admin chose; None = the default rule decides.
    category: Mapped[str | None] = mapped_column(String(40))


class Source(Base):
    """Where an application came from (job board, referral, agency, …)."""

    __tablename__ = "sources"
    __table_args__ = (UniqueConstraint("connection_id", "remote_id"),)
    id: Mapped[int] = _id()
    connection_id: Mapped[int] = mapped_column(ForeignKey("connections.id", ondelete="CASCADE"))
    remote_id: Mapped[str] = mapped_column(REMOTE_ID)
    name: Mapped[str] = mapped_column(String(300))
    type_name: Mapped[str | None] = mapped_column(String(200))


# --------------------------------------------------------------------------- people and candidates


class Person(Base):
    """One real person: the merge of one or more ATS candidate records (owned by the indexer)."""

    __tablename__ = "people"
    id: Mapped[int] = _id()
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = _created()
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    candidates: Mapped[list[Candidate]] = relationship(back_populates="person")


class Candidate(Base):
    """One candidate record of one connection."""

    __tablename__ = "candidates"
    __table_args__ = (UniqueConstraint("connection_id", "remote_id"),)
    id: Mapped[int] = _id()
    connection_id: Mapped[int] = mapped_column(ForeignKey("connections.id", ondelete="CASCADE"))
    remote_id: Mapped[str] = mapped_column(REMOTE_ID)
    person_id: Mapped[int | None] = mapped_column(
        ForeignKey("people.id", ondelete="SET NULL"), index=True
    )
    first_name: Mapped[str] = mapped_column(String(200), default="")
    last_name: Mapped[str] = mapped_column(String(200), default="")
    company: Mapped[str | None] = mapped_column(String(300))
    title: Mapped[str | None] = mapped_column(String(300))
    location: Mapped[str | None] = mapped_column(Text)  # raw, as synced
    # Structured address where the ATS gives one ({"street", "city", "state", "postal_code",
    # "country"}); preferred over the free-text location when both are there.
    address: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    # Location of the newest work entry (employer), for ATSs with no candidate location: the
    # indexer uses it as a fallback and marks the result derived.
    work_location: Mapped[str | None] = mapped_column(Text)
    is_private: Mapped[bool] = mapped_column(Boolean, default=False)
    can_email: Mapped[bool] = mapped_column(Boolean, default=True)
    anonymized: Mapped[bool] = mapped_column(Boolean, default=False)
    url: Mapped[str | None] = mapped_column(String(500))  # link back to the ATS record
    remote_created_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    remote_updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_activity_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    synced_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # last confirmed from the ATS
    seen_run_id: Mapped[int | None] = mapped_column(BigID)  # for mark-and-sweep on full syncs

    connection: Mapped[Connection] = relationship()
    person: Mapped[Person | None] = relationship(back_populates="candidates")
    emails: Mapped[list[CandidateEmail]] = relationship(cascade="all, delete-orphan")
    phones: Mapped[list[CandidatePhone]] = relationship(cascade="all, delete-orphan")
    tags: Mapped[list[CandidateTag]] = relationship(cascade="all, delete-orphan")
    applications: Mapped[list[Application]] = relationship(
        back_populates="candidate", cascade="all, delete-orphan"
    )
    attachments: Mapped[list[Attachment]] = relationship(
        back_populates="candidate", cascade="all, delete-orphan"
    )

    @property
    def name(self) -> str:
        return " ".join(p for p in (self.first_name, self.last_name) if p).strip()


class CandidateEmail(Base):
    __tablename__ = "candidate_emails"
    id: Mapped[int] = _id()
    candidate_id: Mapped[int] = mapped_column(
        ForeignKey("candidates.id", ondelete="CASCADE"), index=True
    )
    value: Mapped[str] = mapped_column(String(320))
    normalized: Mapped[str] = mapped_column(String(320), index=True)
    type: Mapped[str | None] = mapped_column(String(32))


class CandidatePhone(Base):
    __tablename__ = "candidate_phones"
    id: Mapped[int] = _id()
    candidate_id: Mapped[int] = mapped_column(
        ForeignKey("candidates.id", ondelete="CASCADE"), index=True
    )
    value: Mapped[str] = mapped_column(String(100))
    normalized: Mapped[str | None] = mapped_column(String(32), index=True)
    type: Mapped[str | None] = mapped_column(String(32))


class CandidateTag(Base):
    __tablename__ = "candidate_tags"
    __table_args__ = (UniqueConstraint("candidate_id", "normalized"),)
    id: Mapped[int] = _id()
    candidate_id: Mapped[int] = mapped_column(
        ForeignKey("candidates.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(200))
    normalized: Mapped[str] = mapped_column(String(200))  # casefolded, whitespace collapsed


class MergeKey(Base):
    """A key one record can be joined by (normalised email or E.164 phone), per team.

    Derived by the merger from the record's emails and phones (Gmail folding and the
    connection's default phone country applied), so it can find other records by key.
    """

    __tablename__ = "merge_keys"
    __table_args__ = (Index("ix_merge_keys_lookup", "team_id", "kind", "value"),)
    id: Mapped[int] = _id()
    candidate_id: Mapped[int] = mapped_column(
        ForeignKey("candidates.id", ondelete="CASCADE"), index=True
    )
    team_id: Mapped[int] = mapped_column(BigID)
    kind: Mapped[str] = mapped_column(String(16))  # email / phone
    value: Mapped[str] = mapped_column(String(320))


class MergeLink(Base):
    """Why a record belongs to its person: the shared key that joined it to another record.

    Written by the merger: the edges that joined a person's records (a person of n records
    has n - 1). It is the merge's explanation: "record A joined record B by email x".
    """

    __tablename__ = "merge_links"
    id: Mapped[int] = _id()
    candidate_id: Mapped[int] = mapped_column(
        ForeignKey("candidates.id", ondelete="CASCADE"), index=True
    )
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), index=True)
    linked_candidate_id: Mapped[int] = mapped_column(
        ForeignKey("candidates.id", ondelete="CASCADE")
    )
    kind: Mapped[str] = mapped_column(String(16))  # email / phone
    value: Mapped[str] = mapped_column(String(320))  # the normalised key both records carry
    created_at: Mapped[datetime] = _created()


class MergeSplit(Base):
    """An admin's "never join these two records" rule; the merger honours it on every run.

    Stored with ``candidate_id < other_candidate_id`` so a pair is recorded once.
    """

    __tablename__ = "merge_splits"
    __table_args__ = (UniqueConstraint("candidate_id", "other_candidate_id"),)
    id: Mapped[int] = _id()
    candidate_id: Mapped[int] = mapped_column(
        ForeignKey("candidates.id", ondelete="CASCADE"), index=True
    )
    other_candidate_id: Mapped[int] = mapped_column(
        ForeignKey("candidates.id", ondelete="CASCADE"), index=True
    )
    created_by: Mapped[str | None] = mapped_column(String(320))
    created_at: Mapped[datetime] = _created()


# --------------------------------------------------------------------------- applications


class Application(Base):
    """One application of a candidate to a job (or a prospect application)."""

    __tablename__ = "applications"
    __table_args__ = (UniqueConstraint("connection_id", "remote_id"),)
    id: Mapped[int] = _id()
    connection_id: Mapped[int] = mapped_column(ForeignKey("connections.id", ondelete="CASCADE"))
    remote_id: Mapped[str] = mapped_column(REMOTE_ID)
    candidate_id: Mapped[int] = mapped_column(
        ForeignKey("candidates.id", ondelete="CASCADE"), index=True
    )
    job_id: Mapped[int | None] = mapped_column(ForeignKey("jobs.id", ondelete="SET NULL"), index=True)
    status: Mapped[str] = mapped_column(String(16))  # core.enums.ApplicationStatus
    remote_status: Mapped[str | None] = mapped_column(String(64))  # as the ATS spells it
    current_stage_id: Mapped[int | None] = mapped_column(ForeignKey("stages.id", ondelete="SET NULL"))
    current_stage_name: Mapped[str | None] = mapped_column(String(300))
    rejection_reason_id: Mapped[int | None] = mapped_column(
        ForeignKey("rejection_reasons.id", ondelete="SET NULL")
    )
    rejection_note: Mapped[str | None] = mapped_column(Text)
    location: Mapped[str | None] = mapped_column(Text)
    url: Mapped[str | None] = mapped_column(String(500))
    applied_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    rejected_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    hired_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_activity_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    remote_updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    synced_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    seen_run_id: Mapped[int | None] = mapped_column(BigID)

    candidate: Mapped[Candidate] = relationship(back_populates="applications")
    job: Mapped[Job | None] = relationship()
    current_stage: Mapped[Stage | None] = relationship()
    rejection_reason: Mapped[RejectionReason | None] = relationship()
    sources: Mapped[list[ApplicationSource]] = relationship(
        cascade="all, delete-orphan", order_by="ApplicationSource.position"
    )
    stage_events: Mapped[list[StageEvent]] = relationship(
        cascade="all, delete-orphan", order_by="StageEvent.entered_at"
    )
    scorecards: Mapped[list[Scorecard]] = relationship(
        back_populates="application", cascade="all, delete-orphan"
    )
    evaluations: Mapped[list[Evaluation]] = relationship(
        back_populates="application", cascade="all, delete-orphan", order_by="Evaluation.id"
    )


class ApplicationSource(Base):
    """An application's sources in the ATS's order (Lever allows several; position 0 is shown)."""

    __tablename__ = "application_sources"
    __table_args__ = (UniqueConstraint("application_id", "source_id"),)
    id: Mapped[int] = _id()
    application_id: Mapped[int] = mapped_column(
        ForeignKey("applications.id", ondelete="CASCADE"), index=True
    )
    source_id: Mapped[int] = mapped_column(ForeignKey("sources.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer, default=0)

    source: Mapped[Source] = relationship()


class StageEvent(Base):
    """One stay of an application in a stage (its stage history)."""

    __tablename__ = "stage_events"
    __table_args__ = (UniqueConstraint("application_id", "remote_id"),)
    id: Mapped[int] = _id()
    application_id: Mapped[int] = mapped_column(
        ForeignKey("applications.id", ondelete="CASCADE"), index=True
    )
    remote_id: Mapped[str] = mapped_column(REMOTE_ID)
    stage_id: Mapped[int | None] = mapped_column(ForeignKey("stages.id", ondelete="SET NULL"))
    stage_name: Mapped[str | None] = mapped_column(String(300))
    entered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    exited_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    stage: Mapped[Stage | None] = relationship()


class Scorecard(Base):
    """An interviewer's scorecard on an application."""

    __tablename__ = "scorecards"
    __table_args__ = (UniqueConstraint("connection_id", "remote_id"),)
    id: Mapped[int] = _id()
    connection_id: Mapped[int] = mapped_column(ForeignKey("connections.id", ondelete="CASCADE"))
    remote_id: Mapped[str] = mapped_column(REMOTE_ID)
    application_id: Mapped[int] = mapped_column(
        ForeignKey("applications.id", ondelete="CASCADE"), index=True
    )
    interviewer_remote_id: Mapped[str | None] = mapped_column(REMOTE_ID)
    interviewer_name: Mapped[str | None] = mapped_column(String(200))
    recommendation: Mapped[str | None] = mapped_column(String(16))  # core.enums.Recommendation
    status: Mapped[str] = mapped_column(String(16))  # core.enums.ScorecardStatus
    stage_id: Mapped[int | None] = mapped_column(ForeignKey("stages.id", ondelete="SET NULL"))
    stage_name: Mapped[str | None] = mapped_column(String(300))
    interviewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    remote_updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    seen_run_id: Mapped[int | None] = mapped_column(BigID)

    application: Mapped[Application] = relationship(back_populates="scorecards")
    stage: Mapped[Stage | None] = relationship()


class Evaluation(Base):
    """A normalised evaluation result on an application: assessment, video interview, references.

    Comes from ATS data or the signed intake endpoint; one row per (team, provider, external
    id), so a resent result updates instead of duplicating.
    """

    __tablename__ = "evaluations"
    __table_args__ = (UniqueConstraint("team_id", "provider", "external_id"),)
    id: Mapped[int] = _id()
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"))
    application_id: Mapped[int] = mapped_column(
        ForeignKey("applications.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(20))  # core.enums.EvaluationKind
    provider: Mapped[str] = mapped_column(String(64))
    external_id: Mapped[str] = mapped_column(REMOTE_ID)
    status: Mapped[str] = mapped_column(String(20))  # core.enums.EvaluationStatus
    score: Mapped[float | None] = mapped_column(Float)
    max_score: Mapped[float | None] = mapped_column(Float)
    result_url: Mapped[str | None] = mapped_column(String(1000))
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    origin: Mapped[str] = mapped_column(String(10), default="intake")  # intake / ats
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    application: Mapped[Application] = relationship(back_populates="evaluations")

    @property
    def share(self) -> float | None:
        """score / max_score, when both are known."""
        if self.score is None or not self.max_score:
            return None
        return max(0.0, min(1.0, self.score / self.max_score))


# --------------------------------------------------------------------------- files


class Attachment(Base):
    """A file on a candidate (and optionally one application): resume, cover letter, …

    Sync downloads the bytes into ``FileBlob`` keyed by content hash; the indexer extracts the
    text once per hash into ``ExtractedText`` and may then drop the blob.
    """

    __tablename__ = "attachments"
    __table_args__ = (UniqueConstraint("connection_id", "remote_id"),)
    id: Mapped[int] = _id()
    connection_id: Mapped[int] = mapped_column(ForeignKey("connections.id", ondelete="CASCADE"))
    remote_id: Mapped[str] = mapped_column(REMOTE_ID)
    candidate_id: Mapped[int] = mapped_column(
        ForeignKey("candidates.id", ondelete="CASCADE"), index=True
    )
    application_id: Mapped[int | None] = mapped_column(
        ForeignKey("applications.id", ondelete="CASCADE"), index=True
    )
    filename: Mapped[str] = mapped_column(String(500), default="")
    type: Mapped[str | None] = mapped_column(String(64))  # resume, cover_letter, …
    content_type: Mapped[str | None] = mapped_column(String(200))
    content_hash: Mapped[str | None] = mapped_column(String(64), index=True)  # sha256 hex
    size: Mapped[int | None] = mapped_column(BigInteger)
    download_error: Mapped[str | None] = mapped_column(Text)
    remote_created_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    remote_updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    seen_run_id: Mapped[int | None] = mapped_column(BigID)

    candidate: Mapped[Candidate] = relationship(back_populates="attachments")


class FileBlob(Base):
    """Downloaded file bytes awaiting text extraction, keyed by sha256."""

    __tablename__ = "file_blobs"
    content_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    data: Mapped[bytes] = mapped_column(LargeBinary)
    filename: Mapped[str | None] = mapped_column(String(500))
    content_type: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = _created()


class ExtractedText(Base):
    """Text extracted from one file content (by hash): extracted once, ever."""

    __tablename__ = "extracted_texts"
    content_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    status: Mapped[str] = mapped_column(String(16))  # core.enums.ExtractionStatus
    text: Mapped[str] = mapped_column(Text, default="")
    error: Mapped[str | None] = mapped_column(Text)
    pages: Mapped[int | None] = mapped_column(Integer)
    extracted_at: Mapped[datetime] = _created()


# --------------------------------------------------------------------------- sync bookkeeping


class SyncRun(Base):
    """One sync of one connection, with its counts and outcome."""

    __tablename__ = "sync_runs"
    id: Mapped[int] = _id()
    connection_id: Mapped[int] = mapped_column(
        ForeignKey("connections.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(16))  # full / incremental
    status: Mapped[str] = mapped_column(String(16))  # core.enums.SyncRunStatus
    started_at: Mapped[datetime] = _created()
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    counts: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    requests: Mapped[int] = mapped_column(Integer, default=0)
    rate_budget: Mapped[float | None] = mapped_column(Float)  # requests per second the ATS advertised
    error: Mapped[str | None] = mapped_column(Text)


class SyncCheckpoint(Base):
    """Where a resource's sync stands: the committed watermark and an in-flight window.

    ``watermark`` only advances when a whole window completed (Greenhouse v3 pages by id,
    not time). ``next_url`` is the page to resume from inside the current window.
    """

    __tablename__ = "sync_checkpoints"
    __table_args__ = (UniqueConstraint("connection_id", "resource"),)
    id: Mapped[int] = _id()
    connection_id: Mapped[int] = mapped_column(ForeignKey("connections.id", ondelete="CASCADE"))
    resource: Mapped[str] = mapped_column(String(64))
    watermark: Mapped[datetime | None] = mapped_column(UTCDateTime)
    window_start: Mapped[datetime | None] = mapped_column(UTCDateTime)
    window_end: Mapped[datetime | None] = mapped_column(UTCDateTime)
    next_url: Mapped[str | None] = mapped_column(Text)
    run_id: Mapped[int | None] = mapped_column(BigID)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class SyncFailure(Base):
    """A page or record a sync could not take: recorded, never silently dropped."""

    __tablename__ = "sync_failures"
    id: Mapped[int] = _id()
    run_id: Mapped[int] = mapped_column(ForeignKey("sync_runs.id", ondelete="CASCADE"), index=True)
    resource: Mapped[str] = mapped_column(String(64))
    remote_id: Mapped[str | None] = mapped_column(REMOTE_ID)
    url: Mapped[str | None] = mapped_column(Text)
    status: Mapped[int | None] = mapped_column(Integer)
    message: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = _created()


class SyncLock(Base):
    """Who is syncing a connection right now: one row per connection, taken atomically.

    ``owner`` is ``host:pid:token``; a lock whose ``expires_at`` passed (or whose owner
    process is gone, on the same host) may be taken over. Every sync entry point (CLI,
    schedule, webhooks) goes through it, so one connection never syncs twice at once.
    """

    __tablename__ = "sync_locks"
    connection_id: Mapped[int] = mapped_column(
        ForeignKey("connections.id", ondelete="CASCADE"), primary_key=True
    )
    owner: Mapped[str | None] = mapped_column(String(200))
    acquired_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class WebhookEvent(Base):
    """One webhook delivery, kept for idempotency (by the vendor's event id) and for operators.

    Only the action and the ids it named are kept, never the body (it carries PII).
    """

    __tablename__ = "webhook_events"
    __table_args__ = (UniqueConstraint("connection_id", "event_id"),)
    id: Mapped[int] = _id()
    connection_id: Mapped[int] = mapped_column(
        ForeignKey("connections.id", ondelete="CASCADE"), index=True
    )
    event_id: Mapped[str] = mapped_column(String(200))
    action: Mapped[str] = mapped_column(String(64))
    remote_ids: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    status: Mapped[str] = mapped_column(String(16))  # pending / applied / ignored / failed
    error: Mapped[str | None] = mapped_column(Text)
    received_at: Mapped[datetime] = _created()
    processed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class ErasureLog(Base):
    """The audit line of a GDPR erase: when, by whom, how much, and never whose data."""

    __tablename__ = "erasure_log"
    id: Mapped[int] = _id()
    requested_at: Mapped[datetime] = _created()
    actor: Mapped[str] = mapped_column(String(200))
    candidates: Mapped[int] = mapped_column(Integer, default=0)
    people: Mapped[int] = mapped_column(Integer, default=0)
    files: Mapped[int] = mapped_column(Integer, default=0)
    connections: Mapped[list[str]] = mapped_column(JSON, default=list)


# --------------------------------------------------------------------------- indexing


class IndexQueue(Base):
    """Change log of candidate records whose search documents must be rebuilt.

    Sync appends a row whenever a candidate (or anything hanging off it, or a job it applied
    to) changes; the indexer processes rows in id order and remembers the last id per backend
    in ``IndexCursor``. Ids are monotonic, so a rebuild can replay what arrived meanwhile.
    """

    __tablename__ = "index_queue"
    id: Mapped[int] = _id()
    candidate_id: Mapped[int] = mapped_column(BigID, index=True)  # no FK: deletions are queued too
    person_id: Mapped[int | None] = mapped_column(BigID)  # the person it belonged to, if known
    created_at: Mapped[datetime] = _created()


class IndexCursor(Base):
    """The last ``IndexQueue`` id a search backend has applied."""

    __tablename__ = "index_cursors"
    backend: Mapped[str] = mapped_column(String(64), primary_key=True)
    last_queue_id: Mapped[int] = mapped_column(BigID, default=0)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


# --------------------------------------------------------------------------- saved searches


class SavedSearch(Base):
    """A named filter set of one user, with when they last looked and an optional daily digest."""

    __tablename__ = "saved_searches"
    __table_args__ = (UniqueConstraint("user_id", "name"),)
    id: Mapped[int] = _id()
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    filters: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # SearchRequest.to_dict()
    last_viewed_at: Mapped[datetime] = _created()
    digest_webhook_url: Mapped[str | None] = mapped_column(String(1000))
    last_digest_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = _created()


Index("ix_applications_status_job", Application.status, Application.job_id)


# --------------------------------------------------------------------------- acting on results


class Sequence(Base):
    """An outreach sequence (``kind="sequence"``: name, steps, webhook) or a project (a list).

    Enrollments are delivered to ``webhook_url`` (when set), signed with ``webhook_secret``.
    """

    __tablename__ = "sequences"
    __table_args__ = (UniqueConstraint("team_id", "name"),)
    id: Mapped[int] = _id()
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(16), default="sequence")  # sequence / project
    name: Mapped[str] = mapped_column(String(200))
    steps: Mapped[str] = mapped_column(Text, default="")
    webhook_url: Mapped[str | None] = mapped_column(String(1000))
    webhook_secret: Mapped[str | None] = mapped_column(String(128))
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = _created()


class Enrollment(Base):
    """One person added to one sequence or project (at most once: the unique key)."""

    __tablename__ = "enrollments"
    __table_args__ = (UniqueConstraint("sequence_id", "person_id"),)
    id: Mapped[int] = _id()
    sequence_id: Mapped[int] = mapped_column(
        ForeignKey("sequences.id", ondelete="CASCADE"), index=True
    )
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"))
    added_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    bulk_job_id: Mapped[int | None] = mapped_column(BigID)
    created_at: Mapped[datetime] = _created()


class BulkJob(Base):
    """A bulk add-to-sequence run: its request, progress and report (polled by the UI).

    ``(user_id, idempotency_key)`` is unique, so a retried request finds the first job.
    """

    __tablename__ = "bulk_jobs"
    __table_args__ = (UniqueConstraint("user_id", "idempotency_key"),)
    id: Mapped[int] = _id()
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    sequence_id: Mapped[int] = mapped_column(ForeignKey("sequences.id", ondelete="CASCADE"))
    idempotency_key: Mapped[str] = mapped_column(String(200))
    request: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    status: Mapped[str] = mapped_column(String(16), default="queued")  # queued/running/done/failed
    total: Mapped[int] = mapped_column(Integer, default=0)
    processed: Mapped[int] = mapped_column(Integer, default=0)
    added: Mapped[int] = mapped_column(Integer, default=0)
    already: Mapped[int] = mapped_column(Integer, default=0)
    skipped: Mapped[int] = mapped_column(Integer, default=0)
    # {"skipped": [{"person_id", "reason"}], "reasons": {reason: count}}
    report: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    error: Mapped[str | None] = mapped_column(Text)
    # the people resolved when the job started, in order (a resumed job goes on from ``processed``)
    person_ids: Mapped[list[int] | None] = mapped_column(JSON)
    # renewed as the job works; a job left running or queued whose heartbeat went stale is resumed
    heartbeat_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = _created()
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class WebhookDelivery(Base):
    """One signed POST of enrollments to a sequence's webhook, with its attempts and outcome."""

    __tablename__ = "webhook_deliveries"
    id: Mapped[int] = _id()
    sequence_id: Mapped[int] = mapped_column(
        ForeignKey("sequences.id", ondelete="CASCADE"), index=True
    )
    bulk_job_id: Mapped[int | None] = mapped_column(BigID)
    url: Mapped[str] = mapped_column(String(1000))
    body: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default="pending")  # pending/delivered/failed
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    response_status: Mapped[int | None] = mapped_column(Integer)
    error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = _created()
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class AuditEvent(Base):
    """Who did what: searched (filters), opened a person, exported, enrolled, changed settings."""

    __tablename__ = "audit_events"
    id: Mapped[int] = _id()
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    action: Mapped[str] = mapped_column(String(40))
    target: Mapped[str | None] = mapped_column(String(200))
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = _created()
