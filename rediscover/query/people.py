"""The person view: one person with every application the viewer may see, read from the store."""
from __future__ import annotations

from dataclasses import asdict
from datetime import datetime, timezone
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from rediscover.core.models import (
    Application,
    ATSUser,
    Evaluation,
    Person,
    Scorecard,
    StageEvent,
)
from rediscover.indexer.build import build_document
from rediscover.indexer.documents import ApplicationDoc, PersonDocument
from rediscover.indexer.extract import resume_files
from rediscover.indexer.merge import explain_person, record_labels, suggest_duplicates
from rediscover.query.filters import Viewer
from rediscover.query.ranking import RankingWeights, best_application, describe
from rediscover.query.search import start_of_day

RESUME_CHARS = 20_000  # enough for any real resume; bounds the response size


def may_see(app: ApplicationDoc, viewer: Viewer) -> bool:
    """DESIGN: an application is seen unless its job is confidential and the viewer is off its team."""
    return not app.confidential or not viewer.access_tokens.isdisjoint(app.access)


def person_detail(
    session: Session,
    person_id: int,
    viewer: Viewer,
    *,
    weights: RankingWeights | None = None,
    now: datetime | None = None,
) -> dict[str, Any] | None:
    """The person as ``viewer`` may see them, or None when they do not exist for the viewer.

    Nobody sees a person search never shows (private, hired, only prospects, anonymised); a
    person whose only applications are on confidential jobs off the viewer's teams does not
    exist for that viewer. Open applications are shown, flagged ``active``.
    """
    person = session.get(Person, person_id)
    if person is None or person.team_id != viewer.team_id:
        return None
    doc = build_document(session, person_id)
    if doc is None:
        return None
    seen = [a for a in doc.applications if may_see(a, viewer)]
    if not seen:
        return None
    details = _application_details(session, [a.application_id for a in seen])
    names = _interviewer_names(session, [c for row in details.values() for c in row.scorecards])
    seen.sort(key=lambda a: a.last_activity_at.timestamp() if a.last_activity_at else 0, reverse=True)
    return {
        **_person_fields(doc),
        "active": any(a.status == "open" for a in seen),
        "best_match": _best_match(seen, weights or RankingWeights(), now),
        "applications": [_application(a, details.get(a.application_id), names) for a in seen],
        "resume_text": _resume(doc, seen),
        **_data_quality(session, doc, seen, viewer),
    }


def _data_quality(
    session: Session, doc: PersonDocument, seen: list[ApplicationDoc], viewer: Viewer
) -> dict[str, Any]:
    """Resume extraction status per file, why the records merged, probable duplicates.

    Files on applications the viewer may not see are left out, like their text; duplicates
    are only people who exist for this viewer.
    """
    seen_ids = {a.application_id for a in seen}
    files = [f for f in resume_files(session, doc.person_id)
             if f.application_id is None or f.application_id in seen_ids]
    duplicates = [d for d in suggest_duplicates(session, doc.person_id)
                  if _exists_for(session, d.person_id, viewer)]
    reasons = explain_person(session, doc.person_id)
    labels = record_labels(session, {i for r in reasons for i in (r.candidate_id,
                                                                 r.linked_candidate_id)})
    return {
        "has_resume_text": bool(doc.resume_text) or any(a.has_resume_text for a in seen),
        "resume_files": [
            {"filename": f.filename, "type": f.type, "status": f.status, "error": f.error,
             "pages": f.pages, "application_id": f.application_id}
            for f in files
        ],
        "merged_by": [
            {"record": labels.get(r.candidate_id), "joined": labels.get(r.linked_candidate_id),
             "key": r.kind, "value": r.value}
            for r in reasons
        ],
        "duplicates": [
            {"person_id": d.person_id, "name": d.name, "score": round(d.score, 1),
             "shared": list(d.reasons)}
            for d in duplicates
        ],
    }


def _exists_for(session: Session, person_id: int, viewer: Viewer) -> bool:
    doc = build_document(session, person_id)
    return doc is not None and any(may_see(a, viewer) for a in doc.applications)


def _best_match(
    seen: list[ApplicationDoc], w: RankingWeights, now: datetime | None
) -> dict[str, Any]:
    """The person's best-match points without keywords, per factor, and why (as search shows)."""
    day = start_of_day(now or datetime.now(timezone.utc))
    apps = [{**asdict(a), "ratio_tenths": a.ratio_tenths} for a in seen]
    best, points = best_application(apps, w, day)
    contributions, why = describe(best, sum(points.values()), w, day)
    return {"score": sum(points.values()), "contributions": contributions, "why": why}


def evaluation_dict(row: Evaluation) -> dict[str, Any]:
    """An evaluation as the API and the person view show it, with the link to the result."""
    iso = lambda d: d.isoformat() if d else None  # noqa: E731
    share = row.share
    return {
        "kind": row.kind,
        "provider": row.provider,
        "external_id": row.external_id,
        "status": row.status,
        "score": row.score,
        "max_score": row.max_score,
        "percent": round(share * 100, 2) if share is not None else None,
        "result_url": row.result_url,
        "completed_at": iso(row.completed_at),
        "expires_at": iso(row.expires_at),
    }


def _person_fields(doc: PersonDocument) -> dict[str, Any]:
    return {
        "person_id": doc.person_id,
        "name": doc.name,
        "title": doc.title,
        "company": doc.company,
        "emails": doc.emails,
        "tags": doc.tags,
        "location": doc.location,
        "origins": doc.origins,
        "as_of": doc.as_of.isoformat() if doc.as_of else None,
    }


def _application(
    app: ApplicationDoc, row: Application | None, names: dict[tuple[int, str], str]
) -> dict[str, Any]:
    iso = lambda d: d.isoformat() if d else None  # noqa: E731
    return {
        "application_id": app.application_id,
        "job_id": app.job_id,
        "job_title": app.job_title,
        "requisition_id": app.requisition_id,
        "status": app.status,
        "stage": app.stage_name,
        "milestone": app.milestone,
        "current_stage": row.current_stage_name if row else None,
        "rejection_reason": app.rejection_reason,
        "rejection_type": app.rejection_type,
        "rejection_note": row.rejection_note if row else None,
        "sources": app.sources,
        "applied_at": iso(app.applied_at),
        "rejected_at": iso(app.rejected_at),
        "last_activity_at": iso(app.last_activity_at),
        "url": row.url if row else None,
        "scorecard_counts": {
            "positive": app.positive, "negative": app.negative,
            "strong_no": app.strong_no, "pending": app.pending,
        },
        "stages": [
            {"stage": e.stage.name if e.stage else e.stage_name,
             "milestone": e.stage.milestone if e.stage else None,
             "entered_at": iso(e.entered_at), "exited_at": iso(e.exited_at)}
            for e in (row.stage_events if row else [])
        ],
        "scorecards": [_scorecard(s, names) for s in (row.scorecards if row else [])],
        "shared_reason": app.reason_category,
        "safe_to_reengage": app.reengage_safe,
        "evaluations": [evaluation_dict(e) for e in (row.evaluations if row else [])],
    }


def _scorecard(card: Scorecard, names: dict[tuple[int, str], str]) -> dict[str, Any]:
    key = (card.connection_id, card.interviewer_remote_id or "")
    return {
        "interviewer": card.interviewer_name or names.get(key) or card.interviewer_remote_id,
        "recommendation": card.recommendation,
        "status": card.status,
        "stage": card.stage.name if card.stage else card.stage_name,
        "submitted_at": card.submitted_at.isoformat() if card.submitted_at else None,
    }


def _application_details(session: Session, ids: list[int]) -> dict[int, Application]:
    rows = session.scalars(
        select(Application)
        .where(Application.id.in_(ids))
        .options(
            selectinload(Application.stage_events).selectinload(StageEvent.stage),
            selectinload(Application.scorecards).selectinload(Scorecard.stage),
            selectinload(Application.evaluations),
        )
    ).all()
    return {row.id: row for row in rows}


def _interviewer_names(session: Session, cards: list[Scorecard]) -> dict[tuple[int, str], str]:
    """Display names of interviewers whose cards carry only their ATS user id."""
    wanted = {c.interviewer_remote_id for c in cards if not c.interviewer_name and c.interviewer_remote_id}
    if not wanted:
        return {}
    rows = session.execute(
        select(ATSUser.connection_id, ATSUser.remote_id, ATSUser.name).where(
            ATSUser.remote_id.in_(wanted)
        )
    ).all()
    return {(conn, rid): name for conn, rid, name in rows if name}


def _resume(doc: PersonDocument, seen: list[ApplicationDoc]) -> str:
    parts = [doc.resume_text] + [a.resume_text for a in seen]
    text = "\n\n".join(p for p in dict.fromkeys(parts) if p and p.strip())
    return text[:RESUME_CHARS]


def person_summaries(session: Session, person_ids: list[int]) -> dict[int, dict[str, Any]]:
    """Name, emails, title, company and ATS links per person, from their newest record.

    Person-level fields only (no application data), for exports and webhook payloads.
    """
    from rediscover.core.models import Candidate

    rows = session.scalars(
        select(Candidate).where(Candidate.person_id.in_(person_ids))
        .options(selectinload(Candidate.emails), selectinload(Candidate.connection))
    ).all()
    out: dict[int, dict[str, Any]] = {}
    # Oldest first, so the newest record's name and position win.
    newest_last = sorted(rows, key=lambda c: (
        c.remote_updated_at.timestamp() if c.remote_updated_at else 0.0, c.id))
    for cand in newest_last:
        entry = out.setdefault(cand.person_id, {"emails": [], "ats_records": []})
        entry.update(name=cand.name, title=cand.title, company=cand.company)
        entry["emails"] = list(dict.fromkeys([*(e.normalized for e in cand.emails), *entry["emails"]]))
        entry["ats_records"].append({"connection": cand.connection.name, "remote_id": cand.remote_id,
                                     "url": cand.url})
    return out
