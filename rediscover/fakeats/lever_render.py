"""Render a logical ``Dataset`` in Lever Data API v1 shapes (the same history as Greenhouse).

``render_lever(dataset)`` returns what ``rediscover.fakeats.lever.create_app`` serves:
``users``, ``postings``, ``stages``, ``archive_reasons``, ``sources``, ``tags`` and
``opportunities`` as list rows (keys and value formats of the shared Lever fixtures: camelCase,
epoch milliseconds, UUID ids), ``feedback``/``resumes``/``files`` keyed by opportunity id, and
``blobs``: file id -> bytes.

How the logical model becomes Lever's:

- each application is one opportunity of the person's contact (a prospect entry is an
  opportunity with ``applications: []``); a person with no application has no opportunity;
- stages are account-wide: every distinct stage name of every job's plan, in plan order,
  after Lever's own "New lead" (where leads sit);
- rejected = archived with the application's reason; hired = archived with "Hired" (the
  reason whose ``type`` is ``hired``);
- scorecards become feedback forms whose overall rating is ``"<1-4> - <label>"`` (a
  no-decision card is a completed form with no rating, a draft is not completed);
- resumes go to ``/resumes``, other files (cover letters, offer letters) to ``/files``;
- private candidates are not rendered: Lever has no per-candidate private flag, and a
  Greenhouse private candidate is one our API key never sees.

Docs: https://hire.lever.co/developer/documentation
"""
from __future__ import annotations

import uuid
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from rediscover.fakeats.greenhouse_render import render_pdf

if TYPE_CHECKING:
    from rediscover.fakeats.dataset import (
        Dataset,
        LogicalApplication,
        LogicalJob,
        LogicalPerson,
        LogicalScorecard,
    )

Row = dict[str, Any]

NAMESPACE = uuid.UUID("6f1d3c2e-0a47-4c55-9a57-3c1be0e1a7f0")
LEAD_STAGE: Row = {"id": "lead-new", "text": "New lead"}
OFFER_STAGE_ID = "offer"
HIRED_REASON: Row = {"id": "d9580da3-2036-5951-a81f-8a5aa457bdb6", "text": "Hired",
                     "status": "active", "type": "hired"}
RATING_TEXT: dict[str, str] = {
    "strong_yes": "4 - Strong Hire", "yes": "3 - Hire", "no": "2 - No Hire",
    "strong_no": "1 - Strong No Hire",
}
RATING_OPTIONS = [{"text": text} for text in RATING_TEXT.values()]
APP_URL = "https://hire.lever.co"


def lever_id(kind: str, logical_id: int | str) -> str:
    """The (deterministic) Lever UUID of a logical record."""
    return str(uuid.uuid5(NAMESPACE, f"{kind}:{logical_id}"))


def to_ms(moment: datetime | None) -> int | None:
    """Epoch milliseconds, as Lever writes every timestamp."""
    if moment is None:
        return None
    return int(moment.astimezone(timezone.utc).timestamp() * 1000)


# ---------------------------------------------------------------------- account-level lists


def render_users(ds: Dataset) -> list[Row]:
    """``/users`` rows (site admins are super admins)."""
    return [{"id": lever_id("user", u.id), "name": u.name, "username": u.email.split("@")[0],
             "email": u.email, "accessRole": "super admin" if u.site_admin else "team member",
             "photo": None, "createdAt": to_ms(u.created_at),
             "deactivatedAt": to_ms(u.updated_at) if u.deactivated else None,
             "externalDirectoryId": None, "linkedContactIds": None, "jobTitle": u.job_title,
             "managerId": None} for u in ds.users]


def render_postings(ds: Dataset) -> list[Row]:
    """``/postings?confidentiality=all`` rows: owner, hiring manager and followers."""
    return [_posting(job) for job in ds.jobs]


def _posting(job: LogicalJob) -> Row:
    first = (lambda ids: lever_id("user", ids[0]) if ids else None)
    return {
        "id": lever_id("posting", job.id), "text": job.title,
        "state": "published" if job.closed_at is None else "closed",
        "distributionChannels": ["internal"] if job.confidential else ["public", "internal"],
        "user": first(job.recruiter_ids), "owner": first(job.recruiter_ids),
        "hiringManager": first(job.hiring_manager_ids),
        "categories": {"commitment": "Full-time", "department": job.family.title(),
                       "level": None, "location": None, "team": None, "allLocations": []},
        "tags": [], "country": None,
        "followers": [lever_id("user", uid) for uid in job.team_ids],
        "reqCode": job.requisition_id, "requisitionCodes": [job.requisition_id],
        "confidentiality": "confidential" if job.confidential else "non-confidential",
        "createdAt": to_ms(job.created_at), "updatedAt": to_ms(job.closed_at or job.opened_at),
        "workplaceType": "unspecified",
    }


def render_stages(ds: Dataset) -> list[Row]:
    """``/stages``: "New lead", then every plan stage name once, in plan order."""
    seen: dict[str, tuple[int, str]] = {}
    for stage in ds.stages:
        seen.setdefault(stage.name, (stage.sort_order, stage.name))
    names = sorted(seen, key=lambda n: seen[n])
    return [dict(LEAD_STAGE), *({"id": stage_id(n), "text": n} for n in names)]


def stage_id(name: str) -> str:
    """A stage's id: Lever's slug for "Offer", a UUID for custom stages."""
    return OFFER_STAGE_ID if name == "Offer" else lever_id("stage", name)


def render_archive_reasons(ds: Dataset) -> list[Row]:
    """``/archive_reasons``: the dataset's reasons (non-hired) and "Hired"."""
    return [*({"id": lever_id("reason", r.id), "text": r.name, "status": "active",
               "type": "non-hired"} for r in ds.rejection_reasons), dict(HIRED_REASON)]


def render_sources(ds: Dataset) -> list[Row]:
    """``/sources`` (``{text, count}``, no ids)."""
    counts: dict[int, int] = {}
    for app in ds.applications:
        if app.source_id:
            counts[app.source_id] = counts.get(app.source_id, 0) + 1
    return [{"text": s.name, "count": counts.get(s.id, 0)} for s in ds.sources]


def render_tags(ds: Dataset) -> list[Row]:
    """``/tags`` (``{text, count}``)."""
    return [{"text": t.name, "count": sum(t.name in p.tags for p in ds.people)} for t in ds.tags]


# ---------------------------------------------------------------------- opportunities


def render_opportunities(ds: Dataset) -> list[Row]:
    """One opportunity per application of every non-private person, oldest first."""
    people = {p.id: p for p in ds.people if not p.private}
    rows = [_opportunity(ds, people[a.person_id], a) for a in ds.applications
            if a.person_id in people]
    return sorted(rows, key=lambda r: (r["createdAt"], r["id"]))


def _opportunity(ds: Dataset, person: LogicalPerson, app: LogicalApplication) -> Row:
    oid = lever_id("opportunity", app.id)
    job = ds.job(app.job_id) if app.job_id and not app.prospect else None
    changes = [{"toStageId": stage_id(ds.stage(v.stage_id).name), "toStageIndex": i,
                "updatedAt": to_ms(v.entered_at), "userId": None}
               for i, v in enumerate(app.visits)]
    archived = _archived(app)
    source = next((s.name for s in ds.sources if s.id == app.source_id), None)
    updated = max(m for m in (app.created_at, app.last_activity_at, app.closed_at) if m)
    return {
        "id": oid, "name": person.name, "contact": lever_id("contact", person.id),
        "headline": person.title or "",
        "stage": changes[-1]["toStageId"] if changes else LEAD_STAGE["id"],
        "confidentiality": "confidential" if job and job.confidential else "non-confidential",
        "location": person.addresses[0].value if person.addresses else "",
        "phones": [{"type": p.type, "value": p.value} for p in person.phones],
        "emails": [e.value for e in person.emails], "links": [w.value for w in person.websites],
        "archived": archived, "tags": list(person.tags), "sources": [source] if source else [],
        "stageChanges": changes, "origin": "sourced" if job is None else "applied",
        "sourcedBy": None, "owner": None, "followers": [],
        "applications": [_application(person, app, oid, job, archived)] if job else [],
        "createdAt": to_ms(app.created_at), "updatedAt": to_ms(updated),
        "lastInteractionAt": to_ms(app.last_activity_at or app.created_at),
        "lastAdvancedAt": changes[-1]["updatedAt"] if changes else to_ms(app.created_at),
        "snoozedUntil": None,
        "urls": {"list": f"{APP_URL}/candidates", "show": f"{APP_URL}/candidates/{oid}"},
        "isAnonymized": False, "dataProtection": None,
        "opportunityLocation": app.location or "unspecified",
    }


def _archived(app: LogicalApplication) -> Row | None:
    if app.status == "rejected":
        return {"reason": lever_id("reason", app.rejection_reason_id)
                if app.rejection_reason_id else None, "archivedAt": to_ms(app.rejected_at)}
    if app.status == "hired":
        return {"reason": HIRED_REASON["id"], "archivedAt": to_ms(app.hired_at)}
    return None


def _application(person: LogicalPerson, app: LogicalApplication, oid: str, job: LogicalJob,
                 archived: Row | None) -> Row:
    return {
        "id": lever_id("application", app.id), "opportunityId": oid, "candidateId": oid,
        "createdAt": to_ms(app.created_at), "type": "posting",
        "posting": lever_id("posting", job.id), "postingHiringManager": None,
        "postingOwner": None, "user": None, "name": person.name,
        "email": person.emails[0].value if person.emails else None,
        "phone": {"type": None, "value": person.phones[0].value} if person.phones else None,
        "requisitionForHire": None, "ownerId": None, "hiringManager": None,
        "company": person.company, "links": [], "comments": None, "customQuestions": [],
        "archived": archived,
    }


# ---------------------------------------------------------------------- per opportunity


def render_feedback(ds: Dataset) -> dict[str, list[Row]]:
    """Feedback forms per opportunity id."""
    out: dict[str, list[Row]] = {}
    for card in ds.scorecards:
        out.setdefault(lever_id("opportunity", card.application_id), []).append(
            _feedback(ds, card))
    return out


def _feedback(ds: Dataset, card: LogicalScorecard) -> Row:
    complete = card.status == "complete"
    value = RATING_TEXT.get(card.rating or "") if complete else None
    return {
        "id": lever_id("feedback", card.id), "type": "interview",
        "text": f"{ds.stage(card.stage_id).name} feedback", "instructions": "",
        "fields": [{"id": lever_id("field", card.id), "type": "score-system", "text": "Rating",
                    "description": "", "required": True, "value": value,
                    "prompt": "Select one", "options": RATING_OPTIONS},
                   {"id": lever_id("notes", card.id), "type": "textarea",
                    "text": "Notes / Comments", "description": "", "required": False,
                    "value": card.notes if complete else None}],
        "baseTemplateId": lever_id("template", card.stage_id), "interview": None,
        "panel": None, "user": lever_id("user", card.interviewer_id),
        "createdAt": to_ms(card.interviewed_at),
        "updatedAt": to_ms(card.submitted_at or card.interviewed_at),
        "completedAt": to_ms(card.submitted_at) if complete else None, "deletedAt": None,
    }


def render_files(ds: Dataset) -> tuple[dict[str, list[Row]], dict[str, list[Row]],
                                       dict[str, bytes]]:
    """Resumes and other files per opportunity id, and every file's bytes."""
    private = {p.id for p in ds.people if p.private}
    resumes: dict[str, list[Row]] = {}
    files: dict[str, list[Row]] = {}
    blobs: dict[str, bytes] = {}
    for f in ds.resumes:
        if f.person_id in private or f.application_id is None:
            continue
        oid, fid = lever_id("opportunity", f.application_id), lever_id("file", f.id)
        blobs[fid] = render_pdf(f.text, title=f.filename)
        if f.kind == "resume":
            resumes.setdefault(oid, []).append({
                "id": fid, "createdAt": to_ms(f.created_at),
                "file": {"name": f.filename, "ext": "pdf", "uploadedAt": to_ms(f.created_at),
                         "downloadUrl": f"{APP_URL}/candidates/{oid}/resumes/{fid}/download",
                         "status": "processed", "size": len(blobs[fid])}})
        else:
            files.setdefault(oid, []).append({
                "id": fid, "downloadUrl": f"{APP_URL}/candidates/{oid}/files/{fid}/download",
                "ext": ".pdf", "name": f.filename, "uploadedAt": to_ms(f.created_at),
                "status": "processed", "size": len(blobs[fid])})
    return resumes, files, blobs


def render_lever(dataset: Dataset) -> dict[str, Any]:
    """Everything the fake Lever server serves for ``dataset``."""
    resumes, files, blobs = render_files(dataset)
    return {
        "users": render_users(dataset), "postings": render_postings(dataset),
        "stages": render_stages(dataset), "archive_reasons": render_archive_reasons(dataset),
        "sources": render_sources(dataset), "tags": render_tags(dataset),
        "opportunities": render_opportunities(dataset), "deleted": [],
        "feedback": render_feedback(dataset), "resumes": resumes, "files": files,
        "blobs": blobs,
    }
