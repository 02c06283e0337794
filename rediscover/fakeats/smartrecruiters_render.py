"""Render a logical ``Dataset`` in SmartRecruiters Customer API shapes (the same history).

``render_smartrecruiters(dataset)`` returns what ``rediscover.fakeats.smartrecruiters.
create_app`` serves: ``jobs`` and ``candidates`` (list summaries), ``details`` per candidate,
``history`` and ``sources`` per application (``"<candidate id>/<job id>"``),
``attachments`` (candidate files) and ``app_attachments`` (application files), and
``blobs``: attachment id -> bytes. Shapes and formats follow the shared fixtures (UUIDs,
ISO 8601 with milliseconds, optional fields omitted rather than null).

How the logical model becomes SmartRecruiters':

- one candidate per person; each application to a job is an assignment (the newest is the
  primary one); prospect entries are not rendered (``/candidates`` lists only people with a
  job application), nor are private people (no private flag; our key never sees them);
- a plan's stages become statuses: "Application Review" is ``NEW``, the recruiter screen
  ``IN_REVIEW`` and the middle stages ``INTERVIEW``, each with the stage's name as
  sub-status, "Offer" is ``OFFERED``; a rejection is ``REJECTED`` with its reason, a hire
  ``HIRED``;
- a confidential job is a ``PRIVATE`` posting; scorecards are not rendered (the Candidate
  API has none).

Docs: https://developers.smartrecruiters.com/
"""
from __future__ import annotations

import uuid
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from rediscover.fakeats.greenhouse_render import render_pdf

if TYPE_CHECKING:
    from rediscover.fakeats.dataset import Dataset, LogicalApplication, LogicalPerson

Row = dict[str, Any]

NAMESPACE = uuid.UUID("0b8f3d2a-5c1e-4e0f-8f63-2a7d4d0c9e11")
FIRST_STAGE, LAST_STAGE = 0, 5  # "Application Review" and "Offer" in every plan
ATTACHMENT_TYPES = {"resume": "RESUME", "cover_letter": "COVER_LETTER"}


def sr_id(kind: str, logical_id: int | str) -> str:
    """The (deterministic) SmartRecruiters UUID of a logical record."""
    return str(uuid.uuid5(NAMESPACE, f"{kind}:{logical_id}"))


def format_ts(moment: datetime | None) -> str | None:
    """ISO 8601 UTC with milliseconds, as SmartRecruiters writes timestamps."""
    if moment is None:
        return None
    utc = moment.astimezone(timezone.utc)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"


def render_jobs(ds: Dataset) -> list[Row]:
    """``/jobs`` rows (a confidential job is a ``PRIVATE`` posting)."""
    return [{
        "id": sr_id("job", job.id), "title": job.title, "refNumber": job.requisition_id,
        "createdOn": format_ts(job.created_at),
        "updatedOn": format_ts(job.closed_at or job.opened_at),
        "department": {"id": sr_id("department", job.department_id),
                       "label": job.family.title()},
        "status": "SOURCING" if job.closed_at is None else "FILLED",
        "postingStatus": "PRIVATE" if job.confidential else "PUBLIC",
        "language": {"code": "en", "label": "English", "labelNative": "English (US)"},
    } for job in ds.jobs]


def _status_of(position: int, name: str) -> Row:
    if position == FIRST_STAGE:
        return {"status": "NEW"}
    if position == LAST_STAGE:
        return {"status": "OFFERED"}
    return {"status": "IN_REVIEW" if position == 1 else "INTERVIEW", "subStatus": name}


def _history(ds: Dataset, app: LogicalApplication) -> list[Row]:
    entries = [{"changedOn": format_ts(v.entered_at),
                **_status_of(ds.stage(v.stage_id).sort_order, ds.stage(v.stage_id).name)}
               for v in app.visits]
    if app.status == "rejected":
        entries.append({"changedOn": format_ts(app.rejected_at), "status": "REJECTED"})
    elif app.status == "hired":
        entries.append({"changedOn": format_ts(app.hired_at), "status": "HIRED"})
    return entries


def _assignment(ds: Dataset, app: LogicalApplication, history: list[Row]) -> Row:
    job = ds.job(app.job_id)
    last = history[-1] if history else {"status": "NEW"}
    out: Row = {"job": {"id": sr_id("job", job.id), "title": job.title},
                "status": last["status"]}
    if last.get("subStatus"):
        out["subStatus"] = last["subStatus"]
    source = next((s.name for s in ds.sources if s.id == app.source_id), None)
    if source:
        out["source"] = source
    if app.status == "rejected" and app.rejection_reason_id:
        reason = ds.reason(app.rejection_reason_id)
        out["reasonOfRejection"] = {"id": sr_id("reason", reason.id), "label": reason.name}
    if app.status == "hired":
        out["startsOn"] = format_ts(app.hired_at)
    return out


def _candidate(ds: Dataset, person: LogicalPerson, apps: list[LogicalApplication],
               out: dict[str, Any]) -> None:
    cid = sr_id("candidate", person.id)
    apps = sorted(apps, key=lambda a: (a.last_activity_at or a.created_at, a.id), reverse=True)
    assignments = []
    for app in apps:
        history = _history(ds, app)
        key = f"{cid}/{sr_id('job', app.job_id)}"
        out["history"][key] = history
        assignments.append(_assignment(ds, app, history))
        _files(ds, app, key, out)
    updated = max(max(a.last_activity_at or a.created_at, a.closed_at or a.created_at)
                  for a in apps)
    summary: Row = {"id": cid, "internal": False, "firstName": person.first_name,
                    "lastName": person.last_name}
    if person.emails:
        summary["email"] = person.emails[0].value
    summary |= {"createdOn": format_ts(person.created_at), "updatedOn": format_ts(updated)}
    if person.addresses:
        summary["location"] = {"city": person.addresses[0].value}
    summary["tags"] = list(person.tags)
    details = {**summary, "primaryAssignment": assignments[0],
               "secondaryAssignments": assignments[1:]}
    if person.phones:
        details["phoneNumber"] = person.phones[0].value
    if person.title or person.company:
        details["experience"] = [{k: v for k, v in (("title", person.title),
                                                    ("company", person.company)) if v}
                                 | {"current": True}]
    summary["primaryAssignment"] = {k: v for k, v in assignments[0].items()
                                    if k in ("job", "status", "subStatus")}
    summary["secondaryAssignments"] = [{"job": {"id": a["job"]["id"]}} for a in assignments[1:]]
    out["candidates"].append(summary)
    out["details"][cid] = details


def _files(ds: Dataset, app: LogicalApplication, key: str, out: dict[str, Any]) -> None:
    for f in ds.resumes:
        if f.application_id != app.id:
            continue
        aid = sr_id("attachment", f.id)
        out["blobs"][aid] = render_pdf(f.text, title=f.filename)
        out["app_attachments"].setdefault(key, []).append({
            "id": aid, "name": f.filename, "type": ATTACHMENT_TYPES.get(f.kind, "OTHER"),
            "contentType": "application/pdf"})


def render_smartrecruiters(dataset: Dataset) -> dict[str, Any]:
    """Everything the fake SmartRecruiters server serves for ``dataset``."""
    out: dict[str, Any] = {"jobs": render_jobs(dataset), "candidates": [], "details": {},
                           "history": {}, "sources": {}, "attachments": {},
                           "app_attachments": {}, "blobs": {}}
    by_person: dict[int, list[LogicalApplication]] = {}
    for app in dataset.applications:
        if not app.prospect and app.job_id:
            by_person.setdefault(app.person_id, []).append(app)
    for person in dataset.people:
        if not person.private and person.id in by_person:
            _candidate(dataset, person, by_person[person.id], out)
    out["candidates"].sort(key=lambda c: (c["createdOn"], c["id"]))
    return out
