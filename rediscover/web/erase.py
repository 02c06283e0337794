"""GDPR erase: remove a person, found by email, from the store, the index and the file cache.

Every candidate record carrying the email (normalised: trimmed, lower-cased) is deleted with
everything hanging off it, and so are the other records merged into the same person; the
search index drops them; cached resume bytes and extracted text nobody else refers to go too.
What remains is one ``ErasureLog`` line: when, who asked, how many records — never whose.
"""
from __future__ import annotations

import logging
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING

from sqlalchemy import or_, select

from rediscover.core.models import Candidate, CandidateEmail, Connection, ErasureLog, Person
from rediscover.sync.runner import delete_candidate_rows, purge_orphan_files

if TYPE_CHECKING:
    from rediscover.web.wiring import Services

log = logging.getLogger(__name__)


@dataclass
class ErasureResult:
    """What an erase removed (counts only)."""

    candidates: int = 0
    people: int = 0
    files: int = 0
    connections: list[str] = field(default_factory=list)
    audit_id: int = 0

    def to_dict(self) -> dict:
        """The API / CLI shape."""
        return asdict(self)


def normalize_email(email: str) -> str:
    """Trim and lower-case, as the store's ``normalized`` email column holds them."""
    return email.strip().lower()


def erase_person(svc: Services, email: str, *, actor: str,
                 team_id: int | None = None) -> ErasureResult:
    """Erase everyone with ``email`` (within ``team_id``'s connections, when given)."""
    from rediscover.web import jobs

    result = ErasureResult()
    with svc.session_factory() as session:
        rows = _records_of(session, normalize_email(email), team_id)
        result.candidates = len(rows)
        result.people = len({pid for _, pid, _ in rows if pid})
        result.connections = sorted({name for _, _, name in rows})
        delete_candidate_rows(session, [(cid, pid) for cid, pid, _ in rows])
        session.commit()
    result.files = purge_orphan_files(svc.session_factory)
    jobs.index_changes(svc)  # the queued deletions take the documents out of the index
    _drop_empty_people(svc, {pid for _, pid, _ in rows if pid})
    result.audit_id = _audit(svc, actor, result)
    log.info("person erased", extra={"audit_id": result.audit_id,
                                     "candidates": result.candidates})
    return result


def _records_of(session, email: str, team_id: int | None) -> list[tuple[int, int | None, str]]:
    """(candidate id, person id, connection name) of the email's records and their merges."""
    matched = session.execute(select(Candidate.id, Candidate.person_id).join(
        CandidateEmail, CandidateEmail.candidate_id == Candidate.id).where(
        CandidateEmail.normalized == email)).all()
    ids = {cid for cid, _ in matched}
    people = {pid for _, pid in matched if pid}
    stmt = select(Candidate.id, Candidate.person_id, Connection.name).join(
        Connection, Connection.id == Candidate.connection_id).where(
        or_(Candidate.id.in_(ids), Candidate.person_id.in_(people)))
    if team_id is not None:
        stmt = stmt.where(Connection.team_id == team_id)
    return [tuple(row) for row in session.execute(stmt).all()]


def _drop_empty_people(svc: Services, person_ids: set[int]) -> None:
    with svc.session_factory() as session:
        for person in session.scalars(select(Person).where(Person.id.in_(person_ids))):
            if not person.candidates:
                session.delete(person)
        session.commit()


def _audit(svc: Services, actor: str, result: ErasureResult) -> int:
    with svc.session_factory() as session:
        line = ErasureLog(actor=actor[:200], candidates=result.candidates, people=result.people,
                          files=result.files, connections=result.connections)
        session.add(line)
        session.commit()
        return line.id
