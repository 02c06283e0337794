"""Person merge: which candidate records (across connections of one team) are one person.

Records are joined when they share a merge key; today the only key is the normalised email
(trim + lowercase), and records sharing keys transitively form one person (union-find).
Keys are ``(team_id, kind, value)`` so later kinds (phone, Gmail folding) slot in through
``merge_keys`` without touching the assignment logic.

Re-merging keeps person ids stable where it can: each group of records keeps the existing
person most of its records already belong to; a group with none gets a new ``Person``;
people left without records are deleted. A record that moves away from a person is
appended to ``IndexQueue`` with its old person id, so every search backend (each with its
own cursor) learns that the old person's document changed too.
"""
from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from sqlalchemy import delete, insert, select, update

from rediscover.core.models import Candidate, CandidateEmail, Connection, IndexQueue, Person
from rediscover.indexer.batches import chunked
from rediscover.indexer.text import normalize_email

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

MergeKey = tuple[int, str, str]  # (team_id, kind, value)


@dataclass
class MergeRecord:
    """What merging needs of one candidate record."""

    candidate_id: int
    team_id: int
    person_id: int | None
    keys: set[MergeKey] = field(default_factory=set)


def merge_keys(team_id: int, emails: Iterable[str]) -> set[MergeKey]:
    """The keys that join a record to others of its team (phones come later)."""
    keys = set()
    for email in emails:
        value = normalize_email(email)
        if "@" in value:
            keys.add((team_id, "email", value))
    return keys


def merge_candidates(
    session: Session, candidate_ids: Iterable[int], person_ids: Iterable[int] = ()
) -> set[int]:
    """Re-merge changed candidates; returns every affected person id, old and new.

    ``person_ids`` are people the changed records belonged to before (known for deleted
    records only through the queue). Flushes; the caller commits.
    """
    wanted = set(candidate_ids)
    records, people = _closure(session, wanted, set(person_ids))
    if wanted - records.keys():
        # Deleted records queued without their person: sweep people left with no record.
        people |= _people_without_candidates(session)
    return _assign(session, records, people)


def merge_all(session: Session) -> set[int]:
    """Re-merge every candidate of every team; returns every affected person id."""
    rows = session.execute(
        select(Candidate.id, Connection.team_id, Candidate.person_id).join(Connection)
    ).all()
    records = {cid: MergeRecord(cid, team, pid) for cid, team, pid in rows}
    emails = session.execute(select(CandidateEmail.candidate_id, CandidateEmail.normalized))
    for cid, email in emails:
        if cid in records:
            records[cid].keys |= merge_keys(records[cid].team_id, [email])
    people = set(session.scalars(select(Person.id)))
    return _assign(session, records, people)


# --------------------------------------------------------------------------- closure


def _closure(
    session: Session, candidate_ids: set[int], person_ids: set[int]
) -> tuple[dict[int, MergeRecord], set[int]]:
    """Every record whose person could change: linked by keys or by a shared current person."""
    records: dict[int, MergeRecord] = {}
    people: set[int] = set()
    seen_keys: set[MergeKey] = set()
    todo_c, todo_p = candidate_ids, person_ids
    while todo_c or todo_p:
        todo_c |= _candidates_of_people(session, todo_p - people)
        people |= todo_p
        loaded = _load_records(session, todo_c - records.keys())
        records.update(loaded)
        todo_p = {r.person_id for r in loaded.values() if r.person_id} - people
        keys = set().union(*(r.keys for r in loaded.values())) - seen_keys
        seen_keys |= keys
        todo_c = _candidates_with_keys(session, keys) - records.keys()
    return records, people


def _people_without_candidates(session: Session) -> set[int]:
    has_records = select(Candidate.id).where(Candidate.person_id == Person.id).exists()
    return set(session.scalars(select(Person.id).where(~has_records)))


def _candidates_of_people(session: Session, person_ids: set[int]) -> set[int]:
    found: set[int] = set()
    for chunk in chunked(person_ids):
        found.update(session.scalars(select(Candidate.id).where(Candidate.person_id.in_(chunk))))
    return found


def _load_records(session: Session, candidate_ids: set[int]) -> dict[int, MergeRecord]:
    records: dict[int, MergeRecord] = {}
    for chunk in chunked(candidate_ids):
        rows = session.execute(
            select(Candidate.id, Connection.team_id, Candidate.person_id)
            .join(Connection)
            .where(Candidate.id.in_(chunk))
        )
        for cid, team, pid in rows:
            records[cid] = MergeRecord(cid, team, pid)
        emails = session.execute(
            select(CandidateEmail.candidate_id, CandidateEmail.normalized).where(
                CandidateEmail.candidate_id.in_(chunk)
            )
        )
        for cid, email in emails:
            records[cid].keys |= merge_keys(records[cid].team_id, [email])
    return records


def _candidates_with_keys(session: Session, keys: set[MergeKey]) -> set[int]:
    emails = {value for _team, kind, value in keys if kind == "email"}
    found: set[int] = set()
    for chunk in chunked(emails):
        rows = session.execute(
            select(CandidateEmail.candidate_id, Connection.team_id, CandidateEmail.normalized)
            .join(Candidate, Candidate.id == CandidateEmail.candidate_id)
            .join(Connection, Connection.id == Candidate.connection_id)
            .where(CandidateEmail.normalized.in_(chunk))
        )
        found.update(cid for cid, team, email in rows if (team, "email", email) in keys)
    return found


# --------------------------------------------------------------------------- assignment


def _components(records: Iterable[MergeRecord]) -> list[list[MergeRecord]]:
    """Groups of records sharing keys, transitively (union-find)."""
    parent: dict[int, int] = {}

    def find(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    owner: dict[MergeKey, int] = {}
    by_id = {}
    for record in records:
        by_id[record.candidate_id] = record
        parent[record.candidate_id] = record.candidate_id
        for key in record.keys:
            if key in owner:
                parent[find(record.candidate_id)] = find(owner[key])
            else:
                owner[key] = record.candidate_id
    groups: dict[int, list[MergeRecord]] = {}
    for cid in sorted(by_id):
        groups.setdefault(find(cid), []).append(by_id[cid])
    return list(groups.values())


def _assign(session: Session, records: dict[int, MergeRecord], people: set[int]) -> set[int]:
    """Give each group a person (keeping ids where possible); returns affected person ids."""
    groups = _components(records.values())
    # The group with the strongest claim on an existing person keeps it.
    groups.sort(key=lambda g: (-_claim(g)[1], g[0].candidate_id))
    chosen: dict[int, int] = {}  # group index -> person id
    for i, group in enumerate(groups):
        pid = _claim(group, exclude=set(chosen.values()))[0]
        if pid is not None:
            chosen[i] = pid
    new_groups = [i for i in range(len(groups)) if i not in chosen]
    chosen.update(zip(new_groups, _new_people(session, [groups[i][0].team_id for i in new_groups])))
    _move(session, [(r, chosen[i]) for i, g in enumerate(groups) for r in g])
    old = people | {r.person_id for r in records.values() if r.person_id}
    orphans = old - set(chosen.values())
    for chunk in chunked(orphans):
        session.execute(delete(Person).where(Person.id.in_(chunk)))
    session.flush()
    return old | set(chosen.values())


def _claim(group: list[MergeRecord], exclude: set[int] | None = None) -> tuple[int | None, int]:
    """The existing person most of the group belongs to (lowest id on ties), and how many."""
    taken = exclude or set()
    counts = Counter(r.person_id for r in group if r.person_id and r.person_id not in taken)
    if not counts:
        return None, 0
    pid, n = min(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    return pid, n


def _new_people(session: Session, team_ids: list[int]) -> list[int]:
    if not team_ids:
        return []
    result = session.scalars(
        insert(Person).returning(Person.id, sort_by_parameter_order=True),
        [{"team_id": t} for t in team_ids],
    )
    return list(result)


def _move(session: Session, placements: list[tuple[MergeRecord, int]]) -> None:
    moved = [(r, pid) for r, pid in placements if r.person_id != pid]
    if not moved:
        return
    updates = [{"id": r.candidate_id, "person_id": pid} for r, pid in moved]
    session.execute(update(Candidate), updates)
    hints = [{"candidate_id": r.candidate_id, "person_id": r.person_id} for r, _ in moved]
    hints = [h for h in hints if h["person_id"]]
    if hints:
        session.execute(insert(IndexQueue), hints)
    for record, pid in moved:
        record.person_id = pid
