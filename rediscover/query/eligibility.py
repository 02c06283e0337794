"""Who may be added to a sequence right now: the bulk action's re-check, person by person.

Search results can be minutes old when a recruiter acts on them; a person may have been made
private, hired or put back in process since. So every bulk add reads the store again.
"""
from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from rediscover.core.enums import ApplicationStatus
from rediscover.core.models import Candidate, Person
from rediscover.indexer.build import build_documents, is_hidden
from rediscover.query.filters import Viewer
from rediscover.query.people import may_see

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
        select(Person.id).where(Person.id.in_(ids), Person.team_id == viewer.team_id)
    ))
    docs = build_documents(session, [i for i in ids if i in team]) if team else {}
    out: dict[int, str | None] = {}
    missing = []
    for pid in ids:
        doc = docs.get(pid) if pid in team else None
        if pid not in team:
            out[pid] = NOT_FOUND
        elif doc is None:
            missing.append(pid)
        elif not any(may_see(a, viewer) for a in doc.applications):
            out[pid] = CONFIDENTIAL
        else:
            out[pid] = ACTIVE if doc.has_open else None
    out.update(_why_unsearchable(session, missing))
    return out


def _why_unsearchable(session: Session, person_ids: list[int]) -> dict[int, str]:
    """The reason a person has no search document (private, hired, only prospects)."""
    if not person_ids:
        return {}
    candidates = session.scalars(
        select(Candidate).where(Candidate.person_id.in_(person_ids))
        .options(selectinload(Candidate.applications))
    ).all()
    reasons = dict.fromkeys(person_ids, NO_APPLICATIONS)
    for cand in candidates:
        if is_hidden(cand):
            reasons[cand.person_id] = PRIVATE
        elif reasons[cand.person_id] != PRIVATE and any(
            a.status == ApplicationStatus.HIRED.value for a in cand.applications
        ):
            reasons[cand.person_id] = HIRED
    return reasons
