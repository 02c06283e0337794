"""Render a logical ``Dataset`` as SAP SuccessFactors Recruiting OData v2 entity sets.

``render_successfactors(dataset)`` returns ``{entity set: rows}`` in the shapes of the shared SF
fixtures (``shared/ats/fixtures/successfactors``), rows stored fully expanded (the fake server
defers what a request does not ``$expand``), plus ``"files"``: attachment id → PDF bytes.

How the logical model maps, and what SF cannot say:

- Ids are Int64 sent as JSON strings, in one range per entity set.
- One status set (``50``) holds every stage name of every job's plan, ordered by plan position
  (so ``appStatusId`` order never goes down a milestone), then one disqualified status per
  rejection reason: SF has no reason entity, the status an application ends in is the reason.
- Rejected applications end with their reason status in the audit trail and system status
  ``Disqualified`` (``Withdraw`` when the candidate rejected us); rejected ones without a
  reason stay in their last stage with system status ``Closed`` (as when a requisition
  closes); hired ones end ``Closed`` with ``hiredOn``; prospects have no requisition and
  status ``Non Applied``.
- Every fifth person has no address fields: their location lives only in the tenant field
  ``custLocation`` of their current outside work entry (the adapter derives it from there).
- Scorecards become interviews with a 1-5 overall assessment; drafts have none.
- SF has no confidential-requisition flag and no user/team listing here, so confidential jobs
  render as ordinary requisitions.
"""
from __future__ import annotations

from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from rediscover.fakeats.greenhouse_render import render_pdf

if TYPE_CHECKING:
    from rediscover.fakeats.dataset import Dataset, LogicalApplication, LogicalPerson

Row = dict[str, Any]

ID_BASE: dict[str, int] = {
    "JobRequisition": 300,
    "Candidate": 1_000_000,
    "JobApplication": 2_000_000,
    "JobApplicationStatusAuditTrail": 30_000_000,
    "JobApplicationInterview": 6_000_000,
    "Attachment": 5_000_000,
    "CandidateTags": 10_000_000,
    "CandidateBackground_OutsideWorkExperience": 7_000_000,
}
STATUS_SET = "50"
STAGE_STATUS_BASE = 100  # + 10 * plan position + n-th name at that position
REASON_STATUS_BASE = 900  # + reason id
RATING_SCALE = {"strong_no": "1", "no": "2", "no_decision": "3", "yes": "4", "strong_yes": "5"}
DERIVED_LOCATION_EVERY = 5  # every n-th person keeps their location only in work history


def sf_id(entity: str, logical_id: int) -> str:
    """The SF key (a string, as Int64 values are sent) of a logical record."""
    return str(ID_BASE[entity] + logical_id)


def odata_date(moment: datetime | None, *, offset: bool = True) -> str | None:
    """``/Date(ms+0000)/`` (Edm.DateTimeOffset) or ``/Date(ms)/`` (Edm.DateTime)."""
    if moment is None:
        return None
    ms = round(moment.astimezone(timezone.utc).timestamp() * 1000)
    return f"/Date({ms}+0000)/" if offset else f"/Date({ms})/"


def _status(status_id: int, name: str) -> Row:
    return {"appStatusId": str(status_id), "appStatusName": name, "appStatusSetId": STATUS_SET}


class _Statuses:
    """The status set: stage names by plan position, then one status per rejection reason."""

    def __init__(self, ds: Dataset) -> None:
        self.by_name: dict[str, Row] = {}
        per_position: dict[int, int] = {}
        for stage in sorted(ds.stages, key=lambda s: (s.sort_order, s.id)):
            if stage.name in self.by_name:
                continue
            n = per_position.get(stage.sort_order, 0)
            per_position[stage.sort_order] = n + 1
            self.by_name[stage.name] = _status(
                STAGE_STATUS_BASE + 10 * stage.sort_order + n, stage.name)
        self.reasons = {r.id: _status(REASON_STATUS_BASE + r.id, r.name)
                        for r in ds.rejection_reasons}

    def rows(self) -> list[Row]:
        return [*self.by_name.values(), *self.reasons.values()]


def render_requisitions(ds: Dataset) -> list[Row]:
    """``JobRequisition`` rows with ``jobReqLocale`` expanded (the title lives there)."""
    rows = []
    for job in ds.jobs:
        rid = sf_id("JobRequisition", job.id)
        rows.append({
            "jobReqId": rid, "jobCode": job.requisition_id, "statusSetId": STATUS_SET,
            "internalStatus": "Open" if job.closed_at is None else "Closed", "deleted": "false",
            "isDraft": False, "createdDateTime": odata_date(job.opened_at),
            "closedDateTime": odata_date(job.closed_at),
            "lastModifiedDateTime": odata_date(job.closed_at or job.opened_at),
            "jobReqLocale": {"results": [{"jobReqLocalId": f"{rid}0", "jobReqId": rid,
                                          "locale": "en_US", "jobTitle": job.title,
                                          "externalTitle": job.title}]},
        })
    return rows


def _split_location(value: str | None) -> tuple[str | None, str | None]:
    """``"Austin, TX, United States"`` → city ``"Austin, TX"``, country ``"United States"``."""
    if not value:
        return None, None
    city, _, country = value.rpartition(", ")
    return (city, country) if city else (country, None)


def _candidate_row(p: LogicalPerson) -> Row:
    cid = sf_id("Candidate", p.id)
    location = p.addresses[0].value if p.addresses else None
    derived = p.id % DERIVED_LOCATION_EVERY == 0
    city, country = (None, None) if derived else _split_location(location)
    emails = [e.value for e in p.emails]
    phones = [x.value for x in p.phones]
    work = {"backgroundElementId": sf_id("CandidateBackground_OutsideWorkExperience", p.id),
            "bgOrderPos": "1", "candidateId": cid, "employer": p.company or "",
            "startTitle": p.title, "startDate": odata_date(p.created_at),
            "endDate": "/Date(253402214400000+0000)/", "presentEmployer": "true",
            "lastModifiedDateTime": odata_date(p.updated_at),
            "custLocation": location if derived else None}
    return {
        "candidateId": cid, "firstName": p.first_name, "lastName": p.last_name,
        "middleName": None, "primaryEmail": emails[0] if emails else "",
        "contactEmail": emails[1] if len(emails) > 1 else None,
        "cellPhone": phones[0] if phones else None, "homePhone": phones[1] if len(phones) > 1
        else None, "city": city, "country": country, "address": None, "zip": None,
        "currentTitle": p.title, "currentCompany": p.company,
        "anonymized": "0", "visibilityOption": not p.private,
        "shareProfile": "false" if p.private else "true", "externalCandidate": True,
        "creationDateTime": odata_date(p.created_at),
        "lastModifiedDateTime": odata_date(p.updated_at),
        "tags": {"results": [{"tagId": str(ID_BASE["CandidateTags"] + p.id * 10 + i),
                              "candidateId": cid, "label": tag, "locale": "en_US"}
                             for i, tag in enumerate(p.tags)]},
        "outsideWorkExperience": {"results": [work] if p.company or derived else []},
    }


def _system_status(ds: Dataset, app: LogicalApplication) -> str:
    if app.prospect:
        return "Non Applied"
    if app.status == "open":
        return "Open"
    if app.status == "hired":
        return "Closed"
    if not app.rejection_reason_id:  # e.g. the requisition closed under it: no reason status
        return "Closed"
    reason = ds.reason(app.rejection_reason_id)
    return "Withdraw" if reason.type == "they_rejected_us" else "Disqualified"


def _trail(ds: Dataset, app: LogicalApplication, statuses: _Statuses) -> list[Row]:
    rows = []
    for k, visit in enumerate(app.visits):
        rows.append((visit.entered_at, statuses.by_name[ds.stage(visit.stage_id).name]))
    if app.status == "rejected" and app.rejection_reason_id:
        rows.append((app.rejected_at or app.last_activity_at,
                     statuses.reasons[app.rejection_reason_id]))
    base = ID_BASE["JobApplicationStatusAuditTrail"] + app.id * 20
    return [{"revNumber": str(base + i), "revType": 1, "createdBy": "recruiter",
             "createdDateTime": odata_date(when), "lastModifiedDateTime": odata_date(when),
             "skippedStatus": 0, "statusComments": None, "jobAppStatus": dict(status)}
            for i, (when, status) in enumerate(rows)]


def _application_row(ds: Dataset, app: LogicalApplication, statuses: _Statuses,
                     sources: dict[int, str]) -> Row:
    trail = _trail(ds, app, statuses)
    current = trail[-1]["jobAppStatus"] if trail else None
    modified = app.last_activity_at or app.created_at
    return {
        "applicationId": sf_id("JobApplication", app.id),
        "candidateId": sf_id("Candidate", app.person_id),
        "jobReqId": sf_id("JobRequisition", app.job_id) if app.job_id and not app.prospect
        else None,
        "status": _system_status(ds, app), "appStatusSetItemId":
        current["appStatusId"] if current else None,
        "applicationDate": odata_date(app.created_at, offset=False),
        "lastModifiedDateTime": odata_date(modified),
        "hiredOn": odata_date(app.hired_at) if app.status == "hired" else None,
        "source": str(app.source_id) if app.source_id else None,
        "sourceLabel": sources.get(app.source_id or 0),
        "statusComments": app.rejection_note if app.status == "rejected" else None,
        "currentLocation": app.location, "city": None, "country": None,
        "jobAppStatus": dict(current) if current else None,
        "jobApplicationStatusAuditTrail": {"results": trail},
    }


def render_applications(ds: Dataset, statuses: _Statuses) -> list[Row]:
    """``JobApplication`` rows with ``jobAppStatus`` and the audit trail expanded."""
    sources = {s.id: s.name for s in ds.sources}
    return [_application_row(ds, app, statuses, sources) for app in ds.applications]


def render_interviews(ds: Dataset) -> list[Row]:
    """``JobApplicationInterview`` rows, one per scorecard (drafts: no assessment)."""
    users = {u.id: u for u in ds.users}
    rows = []
    for card in ds.scorecards:
        iid = sf_id("JobApplicationInterview", card.id)
        done = card.status == "complete" and card.rating is not None
        person = users.get(card.interviewer_id)
        rows.append({
            "applicationInterviewId": iid, "applicationId": sf_id("JobApplication",
                                                                  card.application_id),
            "startDate": odata_date(card.interviewed_at),
            "endDate": odata_date(card.submitted_at or card.interviewed_at),
            "status": "COMPLETED" if done else "SCHEDULED", "notes": None,
            "interviewOverallAssessment": {"results": [{
                "interviewOverallAssessmentId": f"{iid}1", "interviewRefId": iid,
                "overallRating": RATING_SCALE[card.rating],
                "averageRating": float(RATING_SCALE[card.rating]), "comments": card.notes,
                "type": "OVERALL"}] if done else []},
            "interviewer": {"userId": f"user{card.interviewer_id}",
                            "firstName": person.first_name if person else None,
                            "lastName": person.last_name if person else None},
        })
    return rows


def render_attachments(ds: Dataset) -> list[Row]:
    """``Attachment`` metadata rows (the bytes are in ``files``), all on the candidate."""
    return [{
        "attachmentId": sf_id("Attachment", f.id), "fileName": f.filename,
        "fileExtension": "pdf", "mimeType": "application/pdf",
        "documentEntityId": sf_id("Candidate", f.person_id),
        "documentEntityType": "RCM_CANDIDATE", "documentType": f.kind.upper(),
        "module": "RECRUITING", "createdDate": odata_date(f.created_at),
        "lastModifiedDateTime": odata_date(f.created_at),
    } for f in ds.resumes]


def render_successfactors(dataset: Dataset) -> dict[str, Any]:
    """Every entity set the adapter reads, plus ``"files"``: attachment id → PDF bytes."""
    statuses = _Statuses(dataset)
    return {
        "JobRequisition": render_requisitions(dataset),
        "JobApplicationStatus": statuses.rows(),
        "Candidate": [_candidate_row(p) for p in dataset.people],
        "JobApplication": render_applications(dataset, statuses),
        "JobApplicationInterview": render_interviews(dataset),
        "Attachment": render_attachments(dataset),
        "files": {sf_id("Attachment", f.id): render_pdf(f.text, title=f.filename)
                  for f in dataset.resumes},
    }
