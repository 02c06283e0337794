"""Render a logical ``Dataset`` in iCIMS REST shapes (the same history).

``render_icims(dataset)`` returns what ``rediscover.fakeats.icims.create_app`` serves:
``people``, ``jobs`` and ``applicantworkflows`` (id -> profile) and ``resumes`` (person id ->
``{"data", "content_type", "filename"}``). Shapes follow the shared fixtures: lower-case
field ids, empty fields omitted, list fields as ``{"id", "value", "formattedvalue"}``,
profile links as ``{"profile", "id", "value"}``, UTC ``yyyy-mm-dd hh:mm AM`` datetimes.

How the logical model becomes iCIMS':

- one person per logical person with a job application; prospect entries are not rendered,
  nor are private people, nor applications to confidential jobs: iCIMS has no private or
  confidential flag, what security rules hide from the integration user is absent from its
  results (the fixtures cover a secured profile a search still lists);
- each application is a recruiting workflow showing its *current* status only (iCIMS has no
  history API): the last stage visited as "Bin: Stage name" ("Candidate" for the first
  stage, "Screening" for a recruiter screen, "Offer" for the offer, else "Interview"); a
  rejection is "Rejected: <reason>" (or "Candidate Withdrew: <reason>" when they rejected
  us) in the Rejected/Withdrawn bin, a hire "Hired";
- the address is the person's first one, typed into ``addresscity`` as entered; the current
  title and company are an open-ended work entry; the newest resume is the resume binary
  (iCIMS holds one); cover letters, tags and scorecards are not rendered (iCIMS has no tags
  and no interview feedback).
"""
from __future__ import annotations

import zlib
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from rediscover.fakeats.greenhouse_render import render_pdf

if TYPE_CHECKING:
    from rediscover.fakeats.dataset import Dataset, LogicalApplication, LogicalPerson

Row = dict[str, Any]

API = "https://api.icims.com/customers/4321"
PERSON_BASE, JOB_BASE, WORKFLOW_BASE = 1000, 100, 50000
HIRED = {"id": "C36015", "value": "Hired"}


def format_dt(moment: datetime | None) -> str | None:
    """A datetime as iCIMS writes one (UTC, to the minute)."""
    if moment is None:
        return None
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%d %I:%M %p")


def list_node(prefix: str, label: str) -> Row:
    """A list field value with a stable node id derived from its label."""
    return {"id": f"{prefix}{zlib.crc32(label.encode()) % 10**6:06d}", "value": label,
            "formattedvalue": label}


def _link(kind: str, rid: int, value: str) -> Row:
    return {"profile": f"{API}/{kind}/{rid}", "id": rid, "value": value}


def _links(kind: str, rid: int) -> list[Row]:
    return [{"rel": "self", "title": "The current profile being viewed.",
             "url": f"{API}/{kind}/{rid}"}]


def render_jobs(ds: Dataset) -> dict[int, Row]:
    """Job profiles (iCIMS has no confidential flag; a confidential job's workflows are
    secured, see ``render_icims``)."""
    return {JOB_BASE + job.id: {
        "folder": list_node("D31", "Approved" if job.closed_at is None else "Closed (Filled)"),
        "jobtitle": job.title,
        "department": list_node("D25", job.family.title()),
        "jobid": job.requisition_id,
        "createddate": format_dt(job.created_at),
        "updateddate": format_dt(job.closed_at or job.opened_at),
        "links": _links("jobs", JOB_BASE + job.id),
    } for job in ds.jobs}


def _bin(ds: Dataset, stage_id: int) -> str:
    stage = ds.stage(stage_id)
    if stage.sort_order == 0:
        return "Candidate"
    return {"recruiter_screen": "Screening", "offer": "Offer"}.get(stage.milestone, "Interview")


def _status(ds: Dataset, app: LogicalApplication) -> tuple[Row, Row]:
    """The workflow's (status, bin) now."""
    if app.status == "hired":
        return {**HIRED, "formattedvalue": "Hired"}, list_node("B", "Hired")
    if app.status == "rejected":
        reason = ds.reason(app.rejection_reason_id) if app.rejection_reason_id else None
        withdrew = reason is not None and reason.type == "they_rejected_us"
        head = "Candidate Withdrew" if withdrew else "Rejected"
        label = f"{head}: {reason.name if reason else 'No Reason Given'}"
        return list_node("C", label), list_node("B", "Withdrawn" if withdrew else "Rejected")
    if not app.visits:
        return {"id": "D10100", "value": "Recently Applied",
                "formattedvalue": "Recently Applied"}, list_node("B", "Candidate")
    stage = ds.stage(app.visits[-1].stage_id)
    bin_name = _bin(ds, stage.id)
    return list_node("C", f"{bin_name}: {stage.name}"), list_node("B", bin_name)


def _workflow(ds: Dataset, app: LogicalApplication, person_id: int, name: str) -> Row:
    job = ds.job(app.job_id)
    status, bin_ = _status(ds, app)
    row: Row = {"baseprofile": _link("jobs", JOB_BASE + job.id, job.title),
                "associatedprofile": _link("people", person_id, name),
                "status": status, "bin": bin_}
    source = next((s for s in ds.sources if s.id == app.source_id), None)
    if source is not None:
        row["source"] = list_node("C4", source.name)
    updated = app.last_activity_at or app.rejected_at or app.hired_at or app.created_at
    row |= {"createddate": format_dt(app.created_at), "updateddate": format_dt(updated),
            "links": _links("applicantworkflows", WORKFLOW_BASE + app.id)}
    return row


def _person(ds: Dataset, person: LogicalPerson, apps: list[LogicalApplication],
            out: dict[str, Any]) -> None:
    pid = PERSON_BASE + person.id
    row: Row = {"folder": list_node("C10", "Candidate: Active"),
                "firstname": person.first_name, "lastname": person.last_name}
    if person.emails:
        row["email"] = person.emails[0].value
    if person.phones:
        row["phones"] = [{"entry": pid * 10 + i, "phonetype": list_node("D84", p.type or "Other"),
                          "phonenumber": p.value} for i, p in enumerate(person.phones)]
    if person.addresses:
        row["addresses"] = [{"entry": pid * 10 + 5, "addresstype": list_node("D84", "Home"),
                             "addresscity": person.addresses[0].value, "primary": True}]
    if person.title or person.company:
        row["workexperience"] = [{"entry": pid * 10 + 7,
                                  **({"workemployer": person.company} if person.company else {}),
                                  **({"worktitle": person.title} if person.title else {})}]
    updated = max(a.last_activity_at or a.rejected_at or a.hired_at or a.created_at for a in apps)
    row |= {"createddate": format_dt(person.created_at), "updateddate": format_dt(updated),
            "links": _links("people", pid)}
    out["people"][pid] = row
    name = f"{person.first_name} {person.last_name}"
    for app in apps:
        out["applicantworkflows"][WORKFLOW_BASE + app.id] = _workflow(ds, app, pid, name)
    files = sorted((f for f in ds.resumes if f.person_id == person.id and f.kind == "resume"),
                   key=lambda f: (f.created_at, f.id))
    if files:
        newest = files[-1]
        out["resumes"][pid] = {"data": render_pdf(newest.text, title=newest.filename),
                               "content_type": "application/pdf", "filename": newest.filename}


def render_icims(dataset: Dataset) -> dict[str, Any]:
    """Everything the fake iCIMS server serves for ``dataset``."""
    out: dict[str, Any] = {"people": {}, "jobs": render_jobs(dataset),
                           "applicantworkflows": {}, "resumes": {}}
    by_person: dict[int, list[LogicalApplication]] = {}
    for app in dataset.applications:
        # A confidential search is secured in iCIMS: its workflows never reach the API user.
        if not app.prospect and app.job_id and not dataset.job(app.job_id).confidential:
            by_person.setdefault(app.person_id, []).append(app)
    for person in dataset.people:
        if not person.private and person.id in by_person:
            _person(dataset, person, by_person[person.id], out)
    return out
