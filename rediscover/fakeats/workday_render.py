"""Render a logical ``Dataset`` as Workday Recruiting (WWS v42.0) SOAP elements.

``render_workday(dataset)`` returns what ``fakeats.workday.create_app`` serves: ``wd:Candidate``
and ``wd:Job_Requisition`` elements in the shapes of the shared fixtures
(``shared/ats/fixtures/workday``), ``wd:Interview_Feedback`` elements per (candidate,
requisition), each record's last transaction time, and the step-history RaaS report
(``{"Report_Entry": [...]}``, field aliases as in the fixture report).

Choices that follow the fixtures: every reference carries a 32-hex ``WID`` (derived from the
logical id, so renders are stable); a declined application sits at the step "Declined" in the
fixed stage where it was decided, with its ``Disposition_Reference``; a hire stands at "Ready
for Hire" with a ``Pre-Hire_Reference``; resumes ride inline as base64 PDFs; one email and one
phone per candidate (Workday keeps one of each); the person's typed address goes to ``City``.
The tenant runs on UTC here, so ``xsd:date`` values carry ``+00:00``.
"""
from __future__ import annotations

import base64
import hashlib
import xml.etree.ElementTree as ET
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

WD = "urn:com.workday/bsvc"

# Milestone of a plan stage -> Workday's fixed recruiting stage it belongs to.
MILESTONE_STAGE: dict[str, tuple[str, str]] = {
    "application_review": ("REVIEW", "Review"),
    "recruiter_screen": ("SCREEN", "Screen"),
    "hiring_manager_screen": ("INTERVIEW", "Interview"),
    "assessment": ("ASSESSMENT", "Assessment"),
    "onsite": ("INTERVIEW", "Interview"),
    "offer": ("OFFER", "Offer"),
}
HIRED_STAGE = ("READY_FOR_HIRE", "Ready for Hire")
RATING_LABELS: dict[str, str] = {
    "strong_yes": "Strong Hire", "yes": "Hire", "no": "No Hire", "strong_no": "Strong No Hire",
    "no_decision": "No Decision",
}
TEAM_ROLES = (("hiring_manager_ids", "Hiring_Manager", "Hiring Manager"),
              ("recruiter_ids", "Recruiter", "Recruiter"),
              ("coordinator_ids", "Recruiting_Coordinator", "Recruiting Coordinator"),
              ("sourcer_ids", "Sourcer", "Sourcer"),
              ("interviewer_ids", "Interviewer", "Interviewer"))
TEXT_FILE_KINDS = ("resume", "cover_letter")  # what Workday keeps as resume attachments


def wid(kind: str, key: object) -> str:
    """The WID of a logical record (32 hex digits, stable for the same kind and key)."""
    return hashlib.md5(f"{kind}:{key}".encode()).hexdigest()  # noqa: S324 - an id, not security


def _q(tag: str) -> str:
    return f"{{{WD}}}{tag}"


def _sub(parent: ET.Element, tag: str, text: object = None) -> ET.Element:
    node = ET.SubElement(parent, _q(tag))
    if text is not None:
        node.text = str(text)
    return node


def _ref(parent: ET.Element, tag: str, wid_value: str, descriptor: str | None = None,
         **typed: str) -> ET.Element:
    node = _sub(parent, tag)
    if descriptor is not None:
        node.set(_q("Descriptor"), descriptor)
    ET.SubElement(node, _q("ID"), {_q("type"): "WID"}).text = wid_value
    for kind, value in typed.items():
        ET.SubElement(node, _q("ID"), {_q("type"): kind}).text = value
    return node


def stamp(moment: datetime | None) -> str | None:
    """An ``xsd:dateTime`` with millis and the tenant's (UTC) offset."""
    if moment is None:
        return None
    utc = moment.astimezone(timezone.utc)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}+00:00"


def day(moment: datetime) -> str:
    """An ``xsd:date`` with the tenant's offset."""
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%d") + "+00:00"


# ---------------------------------------------------------------------- requisitions


def render_requisition(ds: Dataset, job: LogicalJob) -> ET.Element:
    """One ``wd:Job_Requisition`` with its status, confidentiality and role assignments."""
    req = ET.Element(_q("Job_Requisition"))
    _ref(req, "Job_Requisition_Reference", wid("job", job.id), f"{job.requisition_id} {job.title}",
         Job_Requisition_ID=job.requisition_id)
    data = _sub(req, "Job_Requisition_Data")
    status = job.status.title()
    _ref(data, "Job_Requisition_Status_Reference", wid("status", status), status,
         Job_Requisition_Status_ID=status)
    detail = _sub(data, "Job_Requisition_Detail_Data")
    _sub(detail, "Job_Posting_Title", job.title)
    _sub(detail, "Confidential_Job_Requisition", int(job.confidential))
    hiring = _sub(data, "Hiring_Requirement_Data")
    _sub(hiring, "Recruiting_Start_Date", day(job.opened_at))
    users = {u.id: u for u in ds.users}  # small: a few dozen users
    for attr, role_id, label in TEAM_ROLES:
        for uid in getattr(job, attr):
            role = _sub(data, "Role_Assignment_Data")
            _ref(role, "Role_Assignee_Reference", wid("user", uid), users[uid].name)
            _ref(role, "Role_Reference", wid("role", role_id), label,
                 Organization_Role_ID=role_id)
    return req


# ---------------------------------------------------------------------- candidates


def render_candidate(ds: Dataset, person: LogicalPerson,
                     apps: list[LogicalApplication]) -> ET.Element:
    """One ``wd:Candidate`` with its job applications (prospect entries are not applications)."""
    cand = ET.Element(_q("Candidate"))
    _ref(cand, "Candidate_Reference", wid("candidate", person.id), person.name,
         Candidate_ID=f"C{person.id:06d}")
    data = _sub(cand, "Candidate_Data")
    _sub(data, "Candidate_ID", f"C{person.id:06d}")
    if any(a.status == "hired" for a in apps):
        _ref(data, "Pre-Hire_Reference", wid("prehire", person.id), person.name,
             Applicant_ID=f"P-{person.id:05d}")
    name = _sub(_sub(_sub(data, "Name_Data"), "Legal_Name"), "Name_Detail_Data")
    name.set(_q("Formatted_Name"), person.name)
    _sub(name, "First_Name", person.first_name)
    _sub(name, "Last_Name", person.last_name)
    _contact(data, person)
    status = _sub(data, "Status_Data")
    _sub(status, "Do_Not_Hire", 0)
    _sub(status, "Withdrawn", 0)
    for app in apps:
        _application(ds, data, person, app)
    prospect = _sub(data, "Prospect_Data")
    _sub(prospect, "Prospect", int(not apps))
    _sub(prospect, "Confidential", int(person.private))
    for tag in person.tags:
        _ref(data, "Candidate_Tag_Reference", wid("tag", tag), tag)
    return cand


def _contact(data: ET.Element, person: LogicalPerson) -> None:
    contact = _sub(data, "Contact_Data")
    if person.phones:
        _sub(contact, "Phone_Number", person.phones[0].value)
    if person.emails:
        _sub(contact, "Email_Address", person.emails[0].value)
    if person.addresses:
        _sub(_sub(contact, "Location_Data"), "City", person.addresses[0].value)


def _application(ds: Dataset, data: ET.Element, person: LogicalPerson,
                 app: LogicalApplication) -> None:
    job = ds.job(app.job_id)
    node = _sub(data, "Job_Application_Data")
    app_id = f"JOB_APPLICATION-{app.id}"
    _ref(node, "Job_Application_Reference", wid("application", app.id),
         f"Job Application: {person.name} – {job.requisition_id} {job.title}",
         Job_Application_ID=app_id)
    applied = _sub(node, "Job_Applied_To_Data")
    _sub(applied, "Job_Application_ID", app_id)
    _ref(applied, "Job_Requisition_Reference", wid("job", job.id),
         f"{job.requisition_id} {job.title}", Job_Requisition_ID=job.requisition_id)
    _sub(applied, "Job_Application_Date", day(app.created_at))
    _stage(ds, applied, app)
    _sub(applied, "Status_Timestamp", stamp(app.last_activity_at or app.created_at))
    if app.source_id:
        source = next(s for s in ds.sources if s.id == app.source_id)
        _ref(applied, "Source_Reference", wid("source", source.id), source.name)
    for file in ds.resumes:
        if file.application_id == app.id and file.kind in TEXT_FILE_KINDS:
            resume = _sub(node, "Resume_Attachment_Data")
            _sub(resume, "ID", f"RESUME-{file.id}")
            _sub(resume, "Filename", file.filename)
            pdf = render_pdf(file.text, title=file.filename)
            _sub(resume, "File_Content", base64.b64encode(pdf).decode("ascii"))
            _ref(resume, "Mime_Type_Reference", wid("mime", "pdf"), "application/pdf",
                 Content_Type_ID="application/pdf")
    work = _sub(_sub(node, "Resume_Data"), "Experience_Data")
    if person.company:
        _sub(work, "Company_Name", person.company)
    if person.title:
        _sub(work, "Title", person.title)
    _sub(work, "Currently_Work_Here", 1)


def _stage(ds: Dataset, applied: ET.Element, app: LogicalApplication) -> None:
    """Stage and step now; a disposition for a declined application."""
    last = ds.stage(app.last_stage_id) if app.last_stage_id is not None else None
    stage_id, label = HIRED_STAGE if app.status == "hired" else \
        MILESTONE_STAGE[last.milestone if last else "application_review"]
    _ref(applied, "Stage_Reference", wid("stage", stage_id), label, Recruiting_Stage_ID=stage_id)
    step = {"hired": "Ready for Hire", "rejected": "Declined"}.get(
        app.status, last.name if last else "Review")
    _ref(applied, "Workflow_Step_Reference", wid("step", step), step)
    if app.status == "rejected" and app.rejection_reason_id:
        reason = ds.reason(app.rejection_reason_id)
        _ref(applied, "Disposition_Reference", wid("reason", reason.id), reason.name,
             Recruiting_Disposition_ID=f"DISPOSITION_{reason.id}")
    elif app.status == "rejected":  # declined without a reason still carries a disposition
        _ref(applied, "Disposition_Reference", wid("reason", 0), "Declined",
             Recruiting_Disposition_ID="DECLINED")


# ---------------------------------------------------------------------- feedback and history


def render_feedback(ds: Dataset, card: LogicalScorecard, app: LogicalApplication,
                    person: LogicalPerson, users: dict[int, Any]) -> ET.Element:
    """One ``wd:Interview_Feedback`` (one interviewer's card on ``app`` of ``person``)."""
    job = ds.job(app.job_id)
    item = ET.Element(_q("Interview_Feedback"))
    data = _sub(item, "Interview_Feedback_Data")
    _ref(data, "Interview_Event_Reference", wid("interview", card.id),
         f"Interview Event: {ds.stage(card.stage_id).name}")
    _ref(data, "Job_Application_Reference", wid("application", app.id),
         Job_Application_ID=f"JOB_APPLICATION-{app.id}")
    criteria = _sub(data, "Candidate_Interview_Criteria_Data")
    _ref(criteria, "Candidate_Reference", wid("candidate", person.id), person.name)
    _ref(criteria, "Job_Requisition_Reference", wid("job", job.id),
         f"{job.requisition_id} {job.title}")
    detail = _sub(data, "Interview_Feedback_Details_Data")
    _ref(detail, "Interviewer_Reference", wid("user", card.interviewer_id),
         users[card.interviewer_id].name)
    details = _sub(detail, "Interview_Feedback_Details")
    if card.rating is not None:
        _ref(details, "Interview_Feedback_Rating_Reference", wid("rating", card.rating),
             RATING_LABELS[card.rating])
    if card.notes:
        _sub(details, "Overall_Comment", card.notes)
    return item


def render_step_history(ds: Dataset, app: LogicalApplication) -> dict[str, Any]:
    """One entry of the step-history RaaS report (aliases as in the fixture report)."""
    job = ds.job(app.job_id)
    steps = []
    for visit in app.visits:
        stage = ds.stage(visit.stage_id)
        row = {"Step": stage.name, "Stage": MILESTONE_STAGE[stage.milestone][1]}
        if visit.exited_at is not None:
            row["Completed_On"] = stamp(visit.exited_at)
        steps.append(row)
    if app.status == "rejected":
        steps.append({"Step": "Declined", "Completed_On": stamp(app.rejected_at)})
    return {"Candidate_ID": f"C{app.person_id:06d}", "Job_Application_ID":
            f"JOB_APPLICATION-{app.id}", "Job_Requisition_ID": job.requisition_id,
            "Confidential": str(int(job.confidential)), "Step_History": steps}


def render_workday(ds: Dataset) -> dict[str, Any]:
    """Everything the fake Workday serves for ``ds`` (see ``fakeats.workday.create_app``)."""
    apps: dict[int, list[LogicalApplication]] = {}
    for app in ds.applications:
        if not app.prospect and app.job_id is not None:
            apps.setdefault(app.person_id, []).append(app)
    updated: dict[str, datetime] = {}
    for job in ds.jobs:
        updated[wid("job", job.id)] = job.closed_at or job.opened_at
    for person in ds.people:
        updated[wid("candidate", person.id)] = person.updated_at
    feedback: dict[tuple[str, str], list[ET.Element]] = {}
    by_app = {a.id: a for a in ds.applications}
    people = {p.id: p for p in ds.people}
    users = {u.id: u for u in ds.users}
    for card in ds.scorecards:
        app = by_app[card.application_id]
        key = (wid("candidate", app.person_id), wid("job", app.job_id))
        feedback.setdefault(key, []).append(
            render_feedback(ds, card, app, people[app.person_id], users))
    return {
        "candidates": [render_candidate(ds, p, apps.get(p.id, [])) for p in ds.people],
        "requisitions": [render_requisition(ds, job) for job in ds.jobs],
        "feedback": feedback, "updated": updated,
        "step_history": {"Report_Entry": [render_step_history(ds, a) for a in ds.applications
                                          if not a.prospect and a.job_id is not None]},
        "step_history_updated": {f"JOB_APPLICATION-{a.id}": a.last_activity_at or a.created_at
                                 for a in ds.applications},
    }
