"""Benchmark data: N generated people written straight into a store, chunk by chunk.

The logical generator (``rediscover.fakeats.dataset``) is seeded and deterministic; large sizes
are built as chunks of ``CHUNK`` people with seeds ``seed + i`` and disjoint id ranges, so each
chunk brings its own jobs and users (a million people then spread over ~1,100 jobs, as a
large company's would) and memory stays bounded. Rows go in with SQLAlchemy Core
``executemany`` — the sync runner's per-row upserts are measured separately (``bench.sync``).
Resume text is stored as already-extracted text (extraction has its own benchmark).
"""
from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from sqlalchemy import Engine, insert

from rediscover.core import models as m
from rediscover.core.enums import ApplicationStatus, Recommendation, ScorecardStatus, TeamRole
from rediscover.fakeats.dataset import Dataset, generate
from rediscover.indexer.text import normalize_email, normalize_label

CHUNK = 20_000  # people per generated chunk
ID_SPAN = 10_000_000  # id range reserved per chunk, per table
STATUS = {"open": ApplicationStatus.OPEN, "rejected": ApplicationStatus.CLOSED,
          "hired": ApplicationStatus.HIRED}
RATING = {"strong_yes": Recommendation.STRONG_YES, "yes": Recommendation.YES,
          "no": Recommendation.NO, "strong_no": Recommendation.STRONG_NO,
          "no_decision": Recommendation.NO_DECISION}


@dataclass
class LoadStats:
    people: int = 0
    candidates: int = 0
    applications: int = 0
    scorecards: int = 0
    resumes: int = 0


def iter_chunks(n_people: int, seed: int = 7) -> Iterator[tuple[int, Dataset]]:
    """(chunk index, dataset) pairs that together hold ``n_people`` humans."""
    done, index = 0, 0
    while done < n_people:
        size = min(CHUNK, n_people - done)
        yield index, generate(size, seed=seed + index)
        done += size
        index += 1


def create_connection(engine: Engine, name: str = "bench") -> int:
    """A team and a Greenhouse connection to hang the generated records on."""
    with engine.begin() as conn:
        team_id = conn.execute(insert(m.Team).values(name=f"{name}-team")).inserted_primary_key[0]
        return conn.execute(insert(m.Connection).values(
            team_id=team_id, name=name, ats="greenhouse", base_url="http://bench.invalid/v3",
            credentials={}, settings={}, enabled=True, created_at=_now(),
        )).inserted_primary_key[0]


def load_store(engine: Engine, n_people: int, *, seed: int = 7) -> LoadStats:
    """Generate ``n_people`` and write them into the store of ``engine``."""
    connection_id = create_connection(engine)
    stats = LoadStats()
    for index, ds in iter_chunks(n_people, seed):
        rows = chunk_rows(ds, connection_id, offset=index * ID_SPAN)
        with engine.begin() as conn:
            for model, values in rows.items():
                if values:
                    conn.execute(insert(model), values)
        stats.people += sum(1 for p in ds.people if p.same_as is None)
        stats.candidates += len(ds.people)
        stats.applications += len(ds.applications)
        stats.scorecards += len(ds.scorecards)
        stats.resumes += len(ds.resumes)
    return stats


def chunk_rows(ds: Dataset, connection_id: int, *, offset: int) -> dict[type, list[dict[str, Any]]]:
    """Store rows of one generated chunk, ids shifted by ``offset`` (parents before children)."""
    rows: dict[type, list[dict[str, Any]]] = {model: [] for model in (
        m.ATSUser, m.Job, m.JobTeamMember, m.Stage, m.RejectionReason, m.Source, m.Candidate,
        m.CandidateEmail, m.CandidateTag, m.Application, m.ApplicationSource, m.StageEvent,
        m.Scorecard, m.Attachment, m.ExtractedText)}
    ids = _Ids(connection_id, offset)
    _reference_rows(ds, ids, rows)
    _people_rows(ds, ids, rows)
    _application_rows(ds, ids, rows)
    _resume_rows(ds, ids, rows)
    return rows


class _Ids:
    """Shifts logical ids into this chunk's range and stamps the connection on each row."""

    def __init__(self, connection_id: int, offset: int) -> None:
        self.connection_id, self.offset = connection_id, offset

    def __call__(self, logical_id: int | None) -> int | None:
        return None if logical_id is None else logical_id + self.offset

    def remote(self, logical_id: int) -> str:
        return str(logical_id + self.offset)

    def email(self, value: str) -> str:
        """An email unique to this chunk's humans: a chunk's generator only avoids its own
        emails, so without a tag other chunks reuse them (maria.garcia@…) and the merge would
        join different humans (a first 1M run merged 1.03M records into 343k people)."""
        chunk = self.offset // ID_SPAN
        if not chunk or "@" not in value:
            return value
        local, _, domain = value.rpartition("@")
        return f"{local}-c{chunk}@{domain}"  # no dot or plus: Gmail folding keeps it distinct

    def base(self, logical_id: int) -> dict[str, Any]:
        return {"id": self(logical_id), "connection_id": self.connection_id,
                "remote_id": self.remote(logical_id)}


def _reference_rows(ds: Dataset, ids: _Ids, rows: dict) -> None:
    for u in ds.users:
        rows[m.ATSUser].append({**ids.base(u.id), "name": u.name, "email": u.email,
                                "site_admin": u.site_admin, "deactivated": u.deactivated})
    for r in ds.rejection_reasons:
        rows[m.RejectionReason].append({**ids.base(r.id), "name": r.name,
                                        "type_key": r.type.upper(), "type_name": r.type})
    for s in ds.sources:
        rows[m.Source].append({**ids.base(s.id), "name": s.name, "type_name": s.type})
    for job in ds.jobs:
        rows[m.Job].append({**ids.base(job.id), "title": job.title, "requisition_id": job.requisition_id,
                            "status": job.status, "confidential": job.confidential,
                            "opened_at": job.opened_at, "closed_at": job.closed_at})
        for role, members in ((TeamRole.HIRING_MANAGER, job.hiring_manager_ids),
                              (TeamRole.RECRUITER, job.recruiter_ids),
                              (TeamRole.COORDINATOR, job.coordinator_ids),
                              (TeamRole.SOURCER, job.sourcer_ids)):
            rows[m.JobTeamMember].extend({"job_id": ids(job.id), "remote_user_id": ids.remote(uid),
                                          "role": str(role)} for uid in members)
        for st in job.stages:
            rows[m.Stage].append({**ids.base(st.id), "job_id": ids(job.id), "name": st.name,
                                  "sort_order": st.sort_order, "active": True,
                                  "milestone": st.milestone, "milestone_source": "default"})


def _people_rows(ds: Dataset, ids: _Ids, rows: dict) -> None:
    for p in ds.people:
        rows[m.Candidate].append({
            **ids.base(p.id), "first_name": p.first_name, "last_name": p.last_name,
            "company": p.company, "title": p.title, "location": p.city or None,
            "is_private": p.private, "can_email": p.can_email, "anonymized": False,
            "remote_created_at": p.created_at, "remote_updated_at": p.updated_at,
            "last_activity_at": p.last_activity_at, "synced_at": p.updated_at})
        emails = [ids.email(e.value) for e in p.emails]
        rows[m.CandidateEmail].extend({"candidate_id": ids(p.id), "value": value,
                                       "normalized": normalize_email(value), "type": e.type}
                                      for value, e in zip(emails, p.emails))
        keys = {}
        for tag in p.tags:
            keys.setdefault(normalize_label(tag), tag)
        rows[m.CandidateTag].extend({"candidate_id": ids(p.id), "name": name, "normalized": key}
                                    for key, name in keys.items())


def _application_rows(ds: Dataset, ids: _Ids, rows: dict) -> None:
    for a in ds.applications:
        status = ApplicationStatus.PROSPECT if a.prospect else STATUS[a.status]
        last = a.last_stage_id
        rows[m.Application].append({
            **ids.base(a.id), "candidate_id": ids(a.person_id), "job_id": ids(a.job_id),
            "status": str(status), "remote_status": a.status,
            "current_stage_id": ids(a.current_stage_id),
            "current_stage_name": ds.stage(last).name if last else None,
            "rejection_reason_id": ids(a.rejection_reason_id), "rejection_note": a.rejection_note,
            "location": a.location, "applied_at": a.created_at, "rejected_at": a.rejected_at,
            "hired_at": a.hired_at, "last_activity_at": a.last_activity_at})
        if a.source_id:
            rows[m.ApplicationSource].append({"application_id": ids(a.id),
                                              "source_id": ids(a.source_id), "position": 0})
        rows[m.StageEvent].extend({"application_id": ids(a.id), "remote_id": f"{ids(a.id)}-{i}",
                                   "stage_id": ids(v.stage_id), "entered_at": v.entered_at,
                                   "exited_at": v.exited_at} for i, v in enumerate(a.visits))
    for c in ds.scorecards:
        rows[m.Scorecard].append({
            **ids.base(c.id), "application_id": ids(c.application_id),
            "interviewer_remote_id": ids.remote(c.interviewer_id),
            "recommendation": str(RATING[c.rating]) if c.rating else None,
            "status": str(ScorecardStatus.SUBMITTED if c.status == "complete" else ScorecardStatus.DRAFT),
            "stage_id": ids(c.stage_id), "interviewed_at": c.interviewed_at,
            "submitted_at": c.submitted_at})


def _resume_rows(ds: Dataset, ids: _Ids, rows: dict) -> None:
    for r in ds.resumes:
        digest = hashlib.sha256(f"{ids(r.id)}:{r.text}".encode()).hexdigest()
        rows[m.Attachment].append({
            **ids.base(r.id), "candidate_id": ids(r.person_id),
            "application_id": ids(r.application_id), "filename": r.filename, "type": r.kind,
            "content_type": "application/pdf", "content_hash": digest,
            "remote_created_at": r.created_at})
        rows[m.ExtractedText].append({"content_hash": digest, "status": "ok", "text": r.text,
                                      "extracted_at": _now()})


def _now() -> datetime:
    return datetime.now(timezone.utc)
