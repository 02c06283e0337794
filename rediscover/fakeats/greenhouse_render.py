"""Render a logical ``Dataset`` as Greenhouse Harvest v3 list resources.

``render_greenhouse(dataset)`` returns ``{resource: rows}`` where each row has exactly the keys
and value formats of the shared v3 fixtures (``shared/ats/fixtures/greenhouse/v3``): ISO
timestamps ending ``.000Z``, integer ids in one range per resource, rows ordered by id
descending as the API lists them, terminal applications with ``job_interview_stage_id: null``
and their stage kept in ``stage_name`` and ``application_stages``. ``"files"`` maps each
attachment id to a small PDF holding its text (``render_pdf``), served by the fake server at
the attachment's relative ``url``.

Docs: https://harvestdocs.greenhouse.io/ (shapes per the Airbyte v3 schemas, see the brief).
"""
from __future__ import annotations

import zlib
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from rediscover.fakeats.dataset import fold_ascii

if TYPE_CHECKING:
    from rediscover.fakeats.dataset import (
        Dataset,
        LogicalApplication,
        LogicalJob,
        LogicalPerson,
        LogicalScorecard,
        LogicalStageVisit,
        LogicalUser,
    )

Row = dict[str, Any]

# Greenhouse id = base + logical id; ranges never overlap, so a mixed-up id is caught.
ID_BASE: dict[str, int] = {
    "users": 100,
    "candidate_tags": 300,
    "jobs": 4_000,
    "rejection_reasons": 9_000,
    "job_hiring_managers": 610_000,
    "job_owners": 620_000,
    "job_posts": 660_000,
    "job_interview_stages": 5_000_000,
    "user_job_permissions": 7_800_000,
    "offers": 11_000_000,
    "application_stages": 33_000_000,
    "applied_candidate_tags": 44_000_000,
    "attachments": 55_000_000,
    "applications": 70_000_000,
    "scorecards": 80_000_000,
    "candidates": 90_000_000,
    "rejection_details": 99_000_000,
}
RESOURCES: tuple[str, ...] = (
    "candidates", "applications", "application_stages", "jobs", "job_interview_stages",
    "job_hiring_managers", "job_owners", "user_job_permissions", "users", "scorecards",
    "rejection_reasons", "rejection_details", "sources", "candidate_tags",
    "applied_candidate_tags", "attachments", "offers",
)
REASON_TYPES: dict[str, Row] = {
    "we_rejected_them": {"id": 1, "key": "WE_REJECTED_THEM", "name": "We rejected them"},
    "they_rejected_us": {"id": 2, "key": "THEY_REJECTED_US", "name": "They rejected us"},
    "none_specified": {"id": 3, "key": "NONE_SPECIFIED", "name": "None specified"},
}
SOURCE_TYPE_IDS: dict[str, int] = {
    "Referrals": 2, "Company marketing": 3, "Third-party boards": 4, "Prospecting": 5,
    "Agencies": 6, "Social media": 7, "In person event": 8, "Other": 9,
}
NO_JOB_POST_SOURCE_TYPES = frozenset({"Agencies", "Prospecting", "Other"})
ROLE_INTERVIEWER, ROLE_JOB_ADMIN = 4730, 4731
OPENING_BASE = 11_000
INTERVIEW_KIT_BASE = 500_000_000
BAR_RAISER_TAG: Row = {"id": 51, "name": "Bar Raiser"}


def gh_id(resource: str, logical_id: int) -> int:
    """The Greenhouse id of a logical record in a resource."""
    return ID_BASE[resource] + logical_id


def format_ts(moment: datetime | None) -> str | None:
    """ISO 8601 UTC with milliseconds and ``Z``, as Harvest v3 writes ``*_at`` fields."""
    if moment is None:
        return None
    utc = moment.astimezone(timezone.utc)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"


def _stamps(created: datetime, updated: datetime | None = None) -> Row:
    """``created_at`` and ``updated_at``."""
    return {"created_at": format_ts(created), "updated_at": format_ts(updated or created)}


def _newest_first(rows: list[Row]) -> list[Row]:
    """Rows ordered by id descending, as v3 lists them."""
    return sorted(rows, key=lambda row: row["id"], reverse=True)


# ---------------------------------------------------------------------------------------------
# Organisation-level resources
# ---------------------------------------------------------------------------------------------


def _org_created(ds: Dataset) -> datetime:
    """When the account was set up (reference data carries this timestamp)."""
    return min(u.created_at for u in ds.users)


def render_users(ds: Dataset) -> list[Row]:
    """``/v3/users`` rows."""
    return [_user_row(u) for u in ds.users]


def _user_row(user: LogicalUser) -> Row:
    """One user."""
    emails = [user.email]
    if user.bar_raiser:
        emails.append(user.email.split(".")[0] + "@acme-corp.example")
    return {
        "id": gh_id("users", user.id), "first_name": user.first_name,
        "last_name": user.last_name, "name": user.name, "primary_email": user.email,
        "emails": emails, "employee_id": user.employee_id, "site_admin": user.site_admin,
        "deactivated": user.deactivated, "agency_id": None, "job_title": user.job_title,
        "department_ids": [], "office_ids": [], "linked_candidate_ids": [],
        "interviewer_tags": [dict(BAR_RAISER_TAG)] if user.bar_raiser else [],
        "custom_fields": {}, **_stamps(user.created_at, user.updated_at),
    }


def render_rejection_reasons(ds: Dataset) -> list[Row]:
    """``/v3/rejection_reasons?include_defaults=true`` rows."""
    created = _org_created(ds)
    return [
        {"id": gh_id("rejection_reasons", r.id), "name": r.name,
         "type": dict(REASON_TYPES[r.type]), **_stamps(created)}
        for r in ds.rejection_reasons
    ]


def render_sources(ds: Dataset) -> list[Row]:
    """``/v3/sources`` rows."""
    created = _org_created(ds)
    return [
        {"id": s.id, "name": s.name, "type": {"id": SOURCE_TYPE_IDS[s.type], "name": s.type},
         **_stamps(created)}
        for s in ds.sources
    ]


def render_candidate_tags(ds: Dataset) -> list[Row]:
    """``/v3/candidate_tags`` rows."""
    created = _org_created(ds)
    return [{"id": gh_id("candidate_tags", t.id), "name": t.name, **_stamps(created)}
            for t in ds.tags]


# ---------------------------------------------------------------------------------------------
# Jobs and hiring teams
# ---------------------------------------------------------------------------------------------


def _job_updated(job: LogicalJob, last_activity: dict[int, datetime]) -> datetime:
    """A job changes when it closes, or with the newest activity on its applications."""
    return job.closed_at or max(last_activity.get(job.id, job.opened_at), job.opened_at)


def render_jobs(ds: Dataset) -> list[Row]:
    """``/v3/jobs`` rows."""
    last_activity: dict[int, datetime] = {}
    for app in ds.applications:
        if app.job_id and app.last_activity_at:
            last_activity[app.job_id] = max(last_activity.get(app.job_id, app.last_activity_at),
                                            app.last_activity_at)
    return [
        {
            "id": gh_id("jobs", job.id), "name": job.title, "requisition_id": job.requisition_id,
            "notes": None, "confidential": job.confidential, "status": job.status,
            "is_template": False, "copied_from_id": None, "department_id": job.department_id,
            "office_ids": [job.office_id], "opened_at": format_ts(job.opened_at),
            "closed_at": format_ts(job.closed_at),
            **_stamps(job.created_at, _job_updated(job, last_activity)),
            "custom_fields": {"employment_type": {
                "name": "Employment Type", "type": "single_select", "value": "Full-time"}},
        }
        for job in ds.jobs
    ]


def render_job_interview_stages(ds: Dataset) -> list[Row]:
    """``/v3/job_interview_stages`` rows (every plan stage is active)."""
    return [
        {"id": gh_id("job_interview_stages", s.id), "job_id": gh_id("jobs", job.id),
         "name": s.name, "sort_order": s.sort_order, "active": True, **_stamps(job.created_at)}
        for job in ds.jobs for s in job.stages
    ]


def render_job_hiring_managers(ds: Dataset) -> list[Row]:
    """``/v3/job_hiring_managers`` rows."""
    pairs = [(job, uid) for job in ds.jobs for uid in job.hiring_manager_ids]
    return [
        {"id": gh_id("job_hiring_managers", i), "job_id": gh_id("jobs", job.id),
         "user_id": gh_id("users", uid), **_stamps(job.created_at)}
        for i, (job, uid) in enumerate(pairs, 1)
    ]


def render_job_owners(ds: Dataset) -> list[Row]:
    """``/v3/job_owners`` rows: recruiters, coordinators and sourcers."""
    owners = []
    for job in ds.jobs:
        owners += [(job, uid, "recruiter", n == 0) for n, uid in enumerate(job.recruiter_ids)]
        owners += [(job, uid, "coordinator", True) for uid in job.coordinator_ids]
        owners += [(job, uid, "sourcer", False) for uid in job.sourcer_ids]
    return [
        {"id": gh_id("job_owners", i), "job_id": gh_id("jobs", job.id),
         "user_id": gh_id("users", uid), "type": kind, "responsible": responsible,
         **_stamps(job.created_at)}
        for i, (job, uid, kind, responsible) in enumerate(owners, 1)
    ]


def render_user_job_permissions(ds: Dataset) -> list[Row]:
    """``/v3/user_job_permissions`` rows: job admins (managers) and interviewers."""
    grants = []
    for job in ds.jobs:
        grants += [(job, uid, ROLE_JOB_ADMIN, False) for uid in job.hiring_manager_ids]
        grants += [(job, uid, ROLE_INTERVIEWER, (job.id + uid) % 3 == 0)
                   for uid in job.interviewer_ids]
    return [
        {"id": gh_id("user_job_permissions", i), "user_id": gh_id("users", uid),
         "job_id": gh_id("jobs", job.id), "role_id": role, "automated": automated,
         **_stamps(job.created_at)}
        for i, (job, uid, role, automated) in enumerate(grants, 1)
    ]


# ---------------------------------------------------------------------------------------------
# Candidates and tags
# ---------------------------------------------------------------------------------------------


def _contacts(values: list, *, typed: bool = True) -> list[Row]:
    """Contact values as ``[{value, type}]`` (social profiles carry no type)."""
    return [{"value": c.value, "type": c.type} if typed else {"value": c.value} for c in values]


def _candidate_custom_fields(person: LogicalPerson) -> Row:
    """Custom fields some recruiters fill in."""
    if person.desired_salary is None:
        return {}
    return {
        "desired_salary": {"name": "Desired Salary", "type": "short_text",
                           "value": person.desired_salary},
        "work_remotely": {"name": "Work Remotely", "type": "boolean",
                          "value": person.work_remotely},
    }


def render_candidates(ds: Dataset) -> list[Row]:
    """``/v3/candidates`` rows."""
    return [
        {
            "id": gh_id("candidates", p.id), "first_name": p.first_name, "last_name": p.last_name,
            "preferred_name": p.preferred_name, "company": p.company, "title": p.title,
            "created_at": format_ts(p.created_at), "updated_at": format_ts(p.updated_at),
            "last_activity_at": format_ts(p.last_activity_at), "private": p.private,
            "can_email": p.can_email, "time_zone": p.time_zone,
            "email_addresses": _contacts(p.emails), "phone_numbers": _contacts(p.phones),
            "addresses": _contacts(p.addresses), "website_addresses": _contacts(p.websites),
            "social_media_addresses": _contacts(p.social, typed=False), "tags": list(p.tags),
            "linked_user_ids": [], "custom_fields": _candidate_custom_fields(p),
        }
        for p in ds.people
    ]


def render_applied_candidate_tags(ds: Dataset) -> list[Row]:
    """``/v3/applied_candidate_tags`` rows joining candidates to tags."""
    tag_ids = {t.name: t.id for t in ds.tags}
    pairs = [(p, tag_ids[name]) for p in ds.people for name in p.tags]
    return [
        {"id": gh_id("applied_candidate_tags", i), "candidate_id": gh_id("candidates", p.id),
         "candidate_tag_id": gh_id("candidate_tags", tag_id), **_stamps(p.created_at)}
        for i, (p, tag_id) in enumerate(pairs, 1)
    ]


# ---------------------------------------------------------------------------------------------
# Applications and their history
# ---------------------------------------------------------------------------------------------

V3_STATUS = {"open": "in_process", "rejected": "rejected", "hired": "hired"}


def _stage_fields(ds: Dataset, app: LogicalApplication) -> Row:
    """Current stage ids (open only) and the stage name (kept on rejected applications)."""
    current = app.current_stage_id
    stage_id = gh_id("job_interview_stages", current) if current else None
    name = None
    if app.status != "hired" and app.last_stage_id is not None:
        name = ds.stage(app.last_stage_id).name
    return {"job_interview_stage_id": stage_id, "stage_id": stage_id, "stage_name": name}


def _job_post_id(ds: Dataset, app: LogicalApplication, source_types: dict[int, str]) -> int | None:
    """The job post applied through; none for agency, prospecting and imported applications."""
    if app.job_id is None or source_types.get(app.source_id or 0) in NO_JOB_POST_SOURCE_TYPES:
        return None
    return gh_id("job_posts", app.job_id)


def _application_custom_fields(app: LogicalApplication) -> Row:
    """The visa question every job post asks (prospects have no custom fields)."""
    if app.prospect:
        return {}
    return {"visa_sponsorship_needed": {
        "name": "Visa sponsorship needed?", "type": "boolean", "value": app.visa_sponsorship}}


def _application_row(ds: Dataset, app: LogicalApplication, source_types: dict[int, str]) -> Row:
    """One application."""
    def user(uid: int | None) -> int | None:
        return gh_id("users", uid) if uid else None

    return {
        "id": gh_id("applications", app.id), "candidate_id": gh_id("candidates", app.person_id),
        "prospect": app.prospect, "job_id": gh_id("jobs", app.job_id) if app.job_id else None,
        "prospective_job_ids": [gh_id("jobs", j) for j in app.prospective_job_ids],
        "job_post_id": _job_post_id(ds, app, source_types), "status": V3_STATUS[app.status],
        **_stage_fields(ds, app), "source_id": app.source_id, "referrer_id": None,
        "recruiter_id": user(app.recruiter_id), "coordinator_id": user(app.coordinator_id),
        "rejection_reason_id": (gh_id("rejection_reasons", app.rejection_reason_id)
                                if app.rejection_reason_id else None),
        "rejected_at": format_ts(app.rejected_at),
        "last_activity_at": format_ts(app.last_activity_at), "location_address": app.location,
        "needs_decision": app.status == "open" and not app.prospect, "agency_note_id": None,
        "answers": [{"question": q, "answer": a} for q, a in app.answers],
        "custom_fields": _application_custom_fields(app),
        **_stamps(app.created_at, app.last_activity_at),
    }


def render_applications(ds: Dataset) -> list[Row]:
    """``/v3/applications`` rows."""
    source_types = {s.id: s.type for s in ds.sources}
    return [_application_row(ds, app, source_types) for app in ds.applications]


def _visit_row(ds: Dataset, row_id: int, app: LogicalApplication, visit: LogicalStageVisit) -> Row:
    """One stay in one stage."""
    until = visit.exited_at or ds.now
    return {
        "id": gh_id("application_stages", row_id), "application_id": gh_id("applications", app.id),
        "job_interview_stage_id": gh_id("job_interview_stages", visit.stage_id),
        "entered_at": format_ts(visit.entered_at), "exited_at": format_ts(visit.exited_at),
        "current": visit.exited_at is None and app.status == "open",
        "days_in_stage": (until - visit.entered_at).days,
        **_stamps(visit.entered_at, visit.exited_at),
    }


def render_application_stages(ds: Dataset) -> list[Row]:
    """``/v3/application_stages`` rows: each application's stage history."""
    visits = [(app, v) for app in ds.applications for v in app.visits]
    return [_visit_row(ds, i, app, v) for i, (app, v) in enumerate(visits, 1)]


def render_rejection_details(ds: Dataset) -> list[Row]:
    """``/v3/rejection_details`` rows, one per rejected application."""
    rows = []
    for app in ds.applications:
        if app.status != "rejected":
            continue
        fields = {} if not app.rejection_note else {"rejection_notes_for_team": {
            "name": "Rejection notes for team", "type": "long_text", "value": app.rejection_note}}
        rows.append({
            "id": gh_id("rejection_details", app.id),
            "application_id": gh_id("applications", app.id),
            "rejection_reason_id": (gh_id("rejection_reasons", app.rejection_reason_id)
                                    if app.rejection_reason_id else None),
            "rejected_at": format_ts(app.rejected_at),
            "rejected_by_id": gh_id("users", app.rejected_by_id) if app.rejected_by_id else None,
            "rejection_note_id": None, "question_custom_fields": fields,
            **_stamps(app.rejected_at),
        })
    return rows


def _scorecard_row(card: LogicalScorecard) -> Row:
    """One scorecard (drafts carry no rating, submitter, submission time or notes)."""
    stamp = card.submitted_at or card.interviewed_at
    kit = INTERVIEW_KIT_BASE + card.stage_id * 10 + card.interviewer_id % 10
    return {
        "id": gh_id("scorecards", card.id),
        "application_id": gh_id("applications", card.application_id),
        "interviewer_id": gh_id("users", card.interviewer_id),
        "submitter_id": gh_id("users", card.submitter_id) if card.submitter_id else None,
        "interview_kit_id": kit, "candidate_rating": card.rating, "status": card.status,
        "interviewed_at": format_ts(card.interviewed_at),
        "submitted_at": format_ts(card.submitted_at), "notes": card.notes,
        "notes_with_tags": card.notes, "private_notes": None, "private_notes_with_tags": None,
        "public_notes": None, "public_notes_with_tags": None, **_stamps(stamp),
    }


def render_scorecards(ds: Dataset) -> list[Row]:
    """``/v3/scorecards`` rows."""
    return [_scorecard_row(card) for card in ds.scorecards]


def render_offers(ds: Dataset) -> list[Row]:
    """``/v3/offers`` rows (status in Title Case)."""
    apps = {a.id: a for a in ds.applications}
    rows = []
    for offer in ds.offers:
        app = apps[offer.application_id]
        rows.append({
            "id": gh_id("offers", offer.id), "version": offer.version,
            "application_id": gh_id("applications", app.id),
            "candidate_id": gh_id("candidates", app.person_id),
            "job_id": gh_id("jobs", app.job_id), "opening_id": OPENING_BASE + app.job_id,
            "status": offer.status.title(), "sent_on": offer.sent_on.isoformat(),
            "starts_on": offer.starts_on.isoformat(), "resolved_at": format_ts(offer.resolved_at),
            "custom_fields": {"salary": {"name": "Salary", "type": "short_text",
                                         "value": offer.salary}},
            **_stamps(offer.created_at, offer.updated_at),
        })
    return rows


def attachment_url(attachment_id: int) -> str:
    """The relative download URL the fake server answers (it rewrites it to absolute)."""
    return f"/v3/attachments/{attachment_id}/download"


def render_attachments(ds: Dataset) -> list[Row]:
    """``/v3/attachments`` rows."""
    return [
        {"id": gh_id("attachments", f.id),
         "application_id": gh_id("applications", f.application_id) if f.application_id else None,
         "candidate_id": gh_id("candidates", f.person_id), "filename": f.filename,
         "type": f.kind, "url": attachment_url(gh_id("attachments", f.id)),
         **_stamps(f.created_at)}
        for f in ds.resumes
    ]


RENDERERS = {
    "candidates": render_candidates,
    "applications": render_applications,
    "application_stages": render_application_stages,
    "jobs": render_jobs,
    "job_interview_stages": render_job_interview_stages,
    "job_hiring_managers": render_job_hiring_managers,
    "job_owners": render_job_owners,
    "user_job_permissions": render_user_job_permissions,
    "users": render_users,
    "scorecards": render_scorecards,
    "rejection_reasons": render_rejection_reasons,
    "rejection_details": render_rejection_details,
    "sources": render_sources,
    "candidate_tags": render_candidate_tags,
    "applied_candidate_tags": render_applied_candidate_tags,
    "attachments": render_attachments,
    "offers": render_offers,
}


def render_greenhouse(dataset: Dataset) -> dict[str, Any]:
    """Every v3 resource as ``{name: rows newest id first}``, plus ``"files"``: id → PDF bytes."""
    rendered: dict[str, Any] = {name: _newest_first(RENDERERS[name](dataset)) for name in RESOURCES}
    rendered["files"] = {
        gh_id("attachments", f.id): render_pdf(f.text, title=f.filename) for f in dataset.resumes
    }
    return rendered


# ---------------------------------------------------------------------------------------------
# A minimal PDF writer: Helvetica text, several pages, Flate-compressed content, exact xref.
# ---------------------------------------------------------------------------------------------

# Letters outside WinAnsi that names need, drawn from Helvetica's standard glyph set through a
# /Differences array on the otherwise unused codes 1..31.
PDF_EXTRA_GLYPHS: tuple[tuple[str, str], ...] = (
    ("Ł", "Lslash"), ("ł", "lslash"), ("ś", "sacute"), ("Ś", "Sacute"), ("ń", "nacute"),
    ("ć", "cacute"), ("Ć", "Cacute"), ("ź", "zacute"), ("ż", "zdotaccent"), ("Ż", "Zdotaccent"),
    ("ę", "eogonek"), ("ą", "aogonek"), ("ș", "scommaaccent"), ("Ș", "Scommaaccent"),
    ("ğ", "gbreve"), ("ş", "scedilla"), ("Ş", "Scedilla"), ("ı", "dotlessi"), ("İ", "Idotaccent"),
    ("ă", "abreve"), ("č", "ccaron"), ("Č", "Ccaron"), ("ř", "rcaron"), ("ě", "ecaron"),
    ("ů", "uring"), ("ň", "ncaron"), ("ő", "odblacute"), ("ű", "udblacute"), ("ā", "amacron"),
    ("ē", "emacron"), ("ū", "umacron"),
)
_PDF_CODES: dict[str, int] = {ch: code for code, (ch, _) in enumerate(PDF_EXTRA_GLYPHS, 1)}
_PDF_TRANSLATE = str.maketrans({ch: chr(code) for ch, code in _PDF_CODES.items()})
PAGE_WIDTH, PAGE_HEIGHT, MARGIN = 612, 792, 54
LEADING, LINES_PER_PAGE, WRAP_AT = 13, 52, 92


def pdf_encodable(text: str) -> bool:
    """Whether every character prints as itself in ``render_pdf``."""
    return all(ch in _PDF_CODES or _cp1252(ch) is not None for ch in text)


def _cp1252(ch: str) -> bytes | None:
    """The WinAnsi byte for a character, or None."""
    try:
        encoded = ch.encode("cp1252")
    except UnicodeEncodeError:
        return None
    return encoded if encoded[0] >= 32 else None


def _pdf_bytes(text: str) -> bytes:
    """Text in the font's encoding; unknown characters fall back to their ASCII folding."""
    try:
        return text.translate(_PDF_TRANSLATE).encode("cp1252")
    except UnicodeEncodeError:
        pass
    out = bytearray()
    for ch in text:
        if ch in _PDF_CODES:
            out.append(_PDF_CODES[ch])
        else:
            out += _cp1252(ch) or fold_ascii(ch).encode("ascii", "replace")
    return bytes(out)


def _pdf_literal(text: str) -> bytes:
    """A PDF hex string (no escaping needed)."""
    return b"<" + _pdf_bytes(text).hex().encode() + b">"


def _wrap(line: str, width: int) -> list[str]:
    """Greedy word wrap (textwrap is needlessly slow for thousands of lines)."""
    out: list[str] = []
    current = ""
    for word in line.split(" "):
        if current and len(current) + 1 + len(word) > width:
            out.append(current)
            current = word
        else:
            current = f"{current} {word}" if current else word
    out.append(current)
    return out


def _layout(text: str) -> list[list[tuple[str, str]]]:
    """Pages of (font, line): first line large and bold, ALL-CAPS headings bold."""
    lines: list[tuple[str, str]] = []
    for n, raw in enumerate(text.split("\n")):
        font = "/F2 14" if n == 0 else "/F2 10" if raw.isupper() and raw.strip() else "/F1 10"
        for part in _wrap(raw.strip(), WRAP_AT):
            lines.append((font, part))
    return [lines[i:i + LINES_PER_PAGE] for i in range(0, len(lines), LINES_PER_PAGE)] or [[]]


def _page_content(lines: list[tuple[str, str]]) -> bytes:
    """The content stream that draws one page's lines."""
    top = PAGE_HEIGHT - MARGIN
    parts = [b"BT", b"%d TL" % LEADING, b"%d %d Td" % (MARGIN, top)]
    for font, line in lines:
        parts.append(font.encode() + b" Tf " + _pdf_literal(line) + b" Tj T*")
    parts.append(b"ET")
    return b"\n".join(parts)


def _pdf_objects(pages: list[list[tuple[str, str]]], title: str) -> list[bytes]:
    """Catalog, page tree, fonts, encoding, info, then a page and its content per page."""
    differences = b" ".join(b"/" + name.encode() for _, name in PDF_EXTRA_GLYPHS)
    font = b"<< /Type /Font /Subtype /Type1 /BaseFont /%s /Encoding 5 0 R >>"
    kids = b" ".join(b"%d 0 R" % (7 + 2 * i) for i in range(len(pages)))
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [%s] /Count %d >>" % (kids, len(pages)),
        font % b"Helvetica",
        font % b"Helvetica-Bold",
        b"<< /Type /Encoding /BaseEncoding /WinAnsiEncoding /Differences [1 %s] >>" % differences,
        b"<< /Title %s /Producer (Rediscover fake ATS) >>" % _pdf_literal(title),
    ]
    for i, lines in enumerate(pages):
        stream = zlib.compress(_page_content(lines), 6)
        objects.append(
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 %d %d] /Resources << /Font "
            b"<< /F1 3 0 R /F2 4 0 R >> >> /Contents %d 0 R >>"
            % (PAGE_WIDTH, PAGE_HEIGHT, 8 + 2 * i)
        )
        objects.append(b"<< /Length %d /Filter /FlateDecode >>\nstream\n%s\nendstream"
                       % (len(stream), stream))
    return objects


def render_pdf(text: str, *, title: str = "") -> bytes:
    """A small valid PDF showing ``text`` in Helvetica, wrapped and paged, with a correct xref."""
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(_pdf_objects(_layout(text), title), 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref_at = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(offsets) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R /Info 6 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(offsets) + 1, xref_at)
    return bytes(out)
