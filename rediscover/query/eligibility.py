"""Who may be added to a sequence right now: the bulk action's re-check, person by person.

Search results can be minutes old when a recruiter acts on them; a person may have been made
private, hired or put back in process since. So every bulk add reads the store again — only
the rows that decide it (records, applications, jobs and their teams), not whole documents,
so that checking ten thousand people stays cheap. The rules are the indexer's
(``indexer.build.person_document``) and the person view's (``query.people.may_see``).
"""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from rediscover.core.enums import ApplicationStatus
from rediscover.core.models import Application, Candidate, Job, Person
from rediscover.indexer.build import is_hidden, is_prospect
from rediscover.query.filters import Viewer

# Skip reasons, as the report names them.
NOT_FOUND = "not_found"  # no such person, or another team's
PRIVATE = "private"  # a record is private or anonymised in its ATS
HIRED = "hired"
NO_APPLICATIONS = "no_applications"  # only prospect applications
ACTIVE = "active"  # in process right now
CONFIDENTIAL = "confidential"  # every application is on a confidential job off the viewer's teams
REASONS = (NOT_FOUND, PRIVATE, HIRED, NO_APPLICATIONS, ACTIVE, CONFIDENTIAL)


def check_people(session: Session, person_ids: Iterable[int], viewer: Viewer) -> dict[int, str | None]:
    """Per person id: None when they may be contacted now, else the reason to skip them."""
    ids = list(dict.fromkeys(person_ids))
    team = set(session.scalars(
        select(Person.id).where(Person.id.in_(ids), Person.team_id == viewer.team_id)))
    records: dict[int, list[Candidate]] = defaultdict(list)
    if team:
        for cand in session.scalars(
            select(Candidate).where(Candidate.person_id.in_(team)).options(
                selectinload(Candidate.applications).selectinload(Application.job)
                .selectinload(Job.team_members))
        ):
            records[cand.person_id].append(cand)
    return {pid: (verdict(records[pid], viewer) if pid in team else NOT_FOUND) for pid in ids}


def verdict(candidates: list[Candidate], viewer: Viewer) -> str | None:
    """The reason to skip one person (their loaded records), or None when they are eligible."""
    if not candidates or any(is_hidden(c) for c in candidates):
        return PRIVATE if candidates else NO_APPLICATIONS
    applications = [a for c in candidates for a in c.applications]
    if any(a.status == ApplicationStatus.HIRED.value for a in applications):
        return HIRED
    indexed = [a for a in applications if not is_prospect(a)]
    if not indexed:
        return NO_APPLICATIONS
    if not any(_may_see(a, viewer) for a in indexed):
        return CONFIDENTIAL
    if any(a.status == ApplicationStatus.OPEN.value for a in indexed):
        return ACTIVE
    return None


def _may_see(app: Application, viewer: Viewer) -> bool:
    job = app.job
    if job is None or not job.confidential:
        return True
    return any(f"{job.connection_id}:{m.remote_user_id}" in viewer.access_tokens
               for m in job.team_members)
