"""Person merge: which candidate records (across connections of one team) are one person.

Records are joined when they share a key: a normalised email (trim + lowercase; dots and
``+tags`` folded for gmail.com / googlemail.com only), then a phone in E.164 form (parsed
with the connection's ``settings["default_phone_country"]``, "US" by default). Records
sharing keys transitively form one person (union-find), except across an admin's split
rule (``MergeSplit``: "never join these two"), which the merger honours on every run.
Each join is stored as a ``MergeLink`` (which key joined which two records), so a merge can
be explained and, when wrong, split.

Re-merging keeps person ids stable where it can: each group of records keeps the existing
person most of its records already belong to; a group with none gets a new ``Person``;
people left without records are deleted. A record that moves away from a person is
appended to ``IndexQueue`` with its old person id, so every search backend (each with its
own cursor) learns that the old person's document changed too.

Probable duplicates without a shared key (similar names plus the same company, title or
location) are only suggested (``suggest_duplicates``), never merged.
"""
from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import phonenumbers
from rapidfuzz import fuzz
from sqlalchemy import delete, func, insert, or_, select, update

from rediscover.core.models import (
    Candidate,
    CandidateEmail,
    CandidatePhone,
    Connection,
    IndexQueue,
    MergeKey,
    MergeLink,
    MergeSplit,
    Person,
)
from rediscover.indexer.batches import chunked
from rediscover.indexer.errors import UnknownRecordError
from rediscover.indexer.text import fold, normalize_email

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

log = logging.getLogger(__name__)

Key = tuple[int, str, str]  # (team_id, kind, value)
Edge = tuple[int, int, str, str]  # (candidate id, joined candidate id, kind, value)
GMAIL_DOMAINS = ("gmail.com", "googlemail.com")
DEFAULT_PHONE_COUNTRY = "US"
# Duplicate suggestions: names at least this similar (rapidfuzz token_sort_ratio, 0-100) and
# one more field in common. 88 lets "Jon Smith"/"John Smith" and swapped name order through,
# but not "John Smith"/"Jane Smith".
MIN_NAME_SCORE = 88.0
MAX_SUGGESTIONS = 10


@dataclass(slots=True)
class MergeRecord:
    """What merging needs of one candidate record."""

    candidate_id: int
    team_id: int
    person_id: int | None
    keys: set[Key] = field(default_factory=set)


@dataclass(frozen=True)
class MergeReason:
    """One join inside a person: ``candidate_id`` joined ``linked_candidate_id`` by a key."""

    candidate_id: int
    linked_candidate_id: int
    kind: str  # "email" or "phone"
    value: str


@dataclass(frozen=True)
class DuplicateSuggestion:
    """Another person who is probably the same one, and why (never merged automatically)."""

    person_id: int
    name: str
    score: float  # name similarity, 0-100
    reasons: tuple[str, ...]  # fields in common: "company", "title", "location"


# --------------------------------------------------------------------------- keys


def email_key(value: str) -> str | None:
    """The merge form of an email: trimmed, lowercased, Gmail dots and +tags folded."""
    email = normalize_email(value)
    local, at, domain = email.rpartition("@")
    if not at or not local or not domain:
        return None
    if domain in GMAIL_DOMAINS:
        # Gmail ignores dots and everything after "+"; other providers may not, so only here.
        local, domain = local.split("+", 1)[0].replace(".", ""), "gmail.com"
    return f"{local}@{domain}" if local else None


def phone_key(value: str, default_country: str = DEFAULT_PHONE_COUNTRY) -> str | None:
    """A phone number in E.164 form, or None when it is not a valid number."""
    try:
        number = phonenumbers.parse(value, default_country.upper())
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None  # "123", "n/a", a bare extension: joining on those would be wrong
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def merge_keys(
    team_id: int,
    emails: Iterable[str],
    phones: Iterable[str] = (),
    default_country: str = DEFAULT_PHONE_COUNTRY,
) -> set[Key]:
    """The keys that join a record to others of its team."""
    keys = {(team_id, "email", k) for k in map(email_key, emails) if k}
    keys |= {(team_id, "phone", k) for k in (phone_key(p, default_country) for p in phones) if k}
    return keys


def phone_country(settings: dict[str, Any] | None) -> str:
    """A connection's default phone country (ISO 3166 alpha-2)."""
    return str((settings or {}).get("default_phone_country") or DEFAULT_PHONE_COUNTRY)


# --------------------------------------------------------------------------- merging


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
    ids = list(session.scalars(select(Candidate.id).order_by(Candidate.id)))
    records: dict[int, MergeRecord] = {}
    for chunk in chunked(ids):
        records.update(_load_records(session, set(chunk)))
    people = set(session.scalars(select(Person.id)))
    return _assign(session, records, people)


# --------------------------------------------------------------------------- closure


def _closure(
    session: Session, candidate_ids: set[int], person_ids: set[int]
) -> tuple[dict[int, MergeRecord], set[int]]:
    """Every record whose person could change: linked by keys or by a shared current person."""
    records: dict[int, MergeRecord] = {}
    people: set[int] = set()
    seen_keys: set[Key] = set()
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
    """Load records with their keys, and store those keys (``MergeKey``) for later lookups."""
    records: dict[int, MergeRecord] = {}
    for chunk in chunked(candidate_ids):
        rows = session.execute(
            select(Candidate.id, Connection.team_id, Candidate.person_id, Connection.settings)
            .join(Connection)
            .where(Candidate.id.in_(chunk))
        ).all()
        countries = {cid: phone_country(settings) for cid, _t, _p, settings in rows}
        records.update({cid: MergeRecord(cid, team, pid) for cid, team, pid, _s in rows})
        emails = session.execute(
            select(CandidateEmail.candidate_id, CandidateEmail.value)
            .where(CandidateEmail.candidate_id.in_(chunk))
        )
        for cid, email in emails:
            records[cid].keys |= merge_keys(records[cid].team_id, [email])
        phones = session.execute(
            select(CandidatePhone.candidate_id, CandidatePhone.value)
            .where(CandidatePhone.candidate_id.in_(chunk))
        )
        for cid, phone in phones:
            records[cid].keys |= merge_keys(records[cid].team_id, [], [phone], countries[cid])
        _store_keys(session, chunk, [records[c] for c in chunk if c in records])
    return records


def _store_keys(session: Session, chunk: list[int], records: list[MergeRecord]) -> None:
    session.execute(delete(MergeKey).where(MergeKey.candidate_id.in_(chunk)))
    rows = [
        {"candidate_id": r.candidate_id, "team_id": team, "kind": kind, "value": value}
        for r in records
        for team, kind, value in sorted(r.keys)
    ]
    if rows:
        session.execute(insert(MergeKey), rows)


def _candidates_with_keys(session: Session, keys: set[Key]) -> set[int]:
    """Records carrying any of ``keys``: by their stored keys, or by their plain email.

    The plain-email lookup also finds records synced but not merged yet; a record whose
    only shared key needs folding (Gmail dots, phone formats) is found once its own queue
    row is merged, which sync guarantees for every new or changed record.
    """
    found: set[int] = set()
    for chunk in chunked(sorted(keys)):
        values = {value for _team, _kind, value in chunk}
        rows = session.execute(
            select(MergeKey.candidate_id, MergeKey.team_id, MergeKey.kind, MergeKey.value)
            .where(MergeKey.value.in_(values))
        )
        found.update(cid for cid, team, kind, value in rows if (team, kind, value) in keys)
        emails = session.execute(
            select(CandidateEmail.candidate_id, Connection.team_id, CandidateEmail.normalized)
            .join(Candidate, Candidate.id == CandidateEmail.candidate_id)
            .join(Connection, Connection.id == Candidate.connection_id)
            .where(CandidateEmail.normalized.in_(values))
        )
        found.update(cid for cid, team, email in emails if (team, "email", email) in keys)
    return found


# --------------------------------------------------------------------------- grouping


class _Groups:
    """Union-find over records that refuses unions an admin's split rule forbids."""

    def __init__(self, ids: Iterable[int], splits: dict[int, set[int]]) -> None:
        self.parent = {i: i for i in ids}
        # Members per root, kept only for groups of two or more (a million singletons' sets
        # would be a quarter of a gigabyte); a root missing here is alone.
        self.members: dict[int, set[int]] = {}
        self.splits = splits

    def find(self, x: int) -> int:
        while self.parent[x] != x:
            self.parent[x] = self.parent[self.parent[x]]
            x = self.parent[x]
        return x

    def union(self, a: int, b: int) -> bool:
        """Join the groups of ``a`` and ``b``; False if already one or a split forbids it."""
        ra, rb = self.find(a), self.find(b)
        if ra == rb:
            return False
        small, large = sorted((self.members.get(ra, {ra}), self.members.get(rb, {rb})), key=len)
        if any(self.splits.get(x, set()) & large for x in small):
            return False
        self.parent[rb] = ra
        large |= small
        self.members.pop(rb, None)
        self.members[ra] = large
        return True


def _components(
    records: Iterable[MergeRecord], splits: dict[int, set[int]] | None = None
) -> tuple[list[list[MergeRecord]], list[Edge]]:
    """Groups of records sharing keys, transitively, and the joins (edges) that made them.

    Records go in id order and keys in (kind, value) order, so emails explain a join
    before phones do and the outcome never depends on load order.
    """
    by_id = {r.candidate_id: r for r in records}
    groups = _Groups(sorted(by_id), splits or {})
    holders: dict[Key, list[int]] = {}
    edges: list[Edge] = []
    for cid in sorted(by_id):
        for key in sorted(by_id[cid].keys, key=lambda k: (k[1], k[2])):
            # Try every earlier holder: a split may forbid the first but not a later one.
            for other in holders.get(key, []):
                if groups.union(other, cid):
                    edges.append((cid, other, key[1], key[2]))
            holders.setdefault(key, []).append(cid)
    out: dict[int, list[MergeRecord]] = {}
    for cid in sorted(by_id):
        out.setdefault(groups.find(cid), []).append(by_id[cid])
    return list(out.values()), edges


def _load_splits(session: Session, candidate_ids: Iterable[int]) -> dict[int, set[int]]:
    splits: dict[int, set[int]] = {}
    for chunk in chunked(candidate_ids):
        rows = session.execute(
            select(MergeSplit.candidate_id, MergeSplit.other_candidate_id).where(
                or_(MergeSplit.candidate_id.in_(chunk), MergeSplit.other_candidate_id.in_(chunk))
            )
        )
        for a, b in rows:
            splits.setdefault(a, set()).add(b)
            splits.setdefault(b, set()).add(a)
    return splits


# --------------------------------------------------------------------------- assignment


def _assign(session: Session, records: dict[int, MergeRecord], people: set[int]) -> set[int]:
    """Give each group a person (keeping ids where possible); returns affected person ids."""
    groups, edges = _components(records.values(), _load_splits(session, records))
    # The group with the strongest claim on an existing person keeps it.
    order = sorted(
        range(len(groups)), key=lambda i: (-_claim(groups[i])[1], groups[i][0].candidate_id)
    )
    chosen: dict[int, int] = {}  # group index -> person id
    for i in order:
        pid = _claim(groups[i], exclude=set(chosen.values()))[0]
        if pid is not None:
            chosen[i] = pid
    new_groups = [i for i in order if i not in chosen]
    chosen.update(zip(new_groups, _new_people(session, [groups[i][0].team_id for i in new_groups])))
    _move(session, [(r, chosen[i]) for i, g in enumerate(groups) for r in g])
    _store_links(session, records, edges)
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


# Rows per bulk statement when merging everyone: the parameter lists of one statement over a
# million records would hold gigabytes at once (bench: 47 MB per 20,000 records).
WRITE_CHUNK = 5000


def _new_people(session: Session, team_ids: list[int]) -> list[int]:
    ids: list[int] = []
    for chunk in chunked(team_ids, WRITE_CHUNK):
        ids += session.scalars(
            insert(Person).returning(Person.id, sort_by_parameter_order=True),
            [{"team_id": t} for t in chunk],
        )
    return ids


def _move(session: Session, placements: list[tuple[MergeRecord, int]]) -> None:
    moved = [(r, pid) for r, pid in placements if r.person_id != pid]
    for chunk in chunked(moved, WRITE_CHUNK):
        updates = [{"id": r.candidate_id, "person_id": pid} for r, pid in chunk]
        session.execute(update(Candidate), updates)
        hints = [{"candidate_id": r.candidate_id, "person_id": r.person_id} for r, _ in chunk]
        hints = [h for h in hints if h["person_id"]]
        if hints:
            session.execute(insert(IndexQueue), hints)
    for record, pid in moved:
        record.person_id = pid


def _store_links(session: Session, records: dict[int, MergeRecord], edges: list[Edge]) -> None:
    """Replace the stored joins of these records with the ones this merge made."""
    for chunk in chunked(records):
        session.execute(delete(MergeLink).where(MergeLink.candidate_id.in_(chunk)))
    for chunk in chunked(edges, WRITE_CHUNK):
        rows = [
            {"candidate_id": a, "linked_candidate_id": b, "kind": kind, "value": value,
             "person_id": records[a].person_id}
            for a, b, kind, value in chunk
        ]
        session.execute(insert(MergeLink), rows)


# --------------------------------------------------------------------------- admin: explain, split


def explain_person(session: Session, person_id: int) -> list[MergeReason]:
    """Why the records of a person are one: each join and the key that made it."""
    rows = session.execute(
        select(MergeLink.candidate_id, MergeLink.linked_candidate_id, MergeLink.kind,
               MergeLink.value)
        .where(MergeLink.person_id == person_id)
        .order_by(MergeLink.candidate_id, MergeLink.id)
    )
    return [MergeReason(*row) for row in rows]


def record_labels(session: Session, candidate_ids: Iterable[int]) -> dict[int, str]:
    """``"<connection name>:<remote id>"`` of records: how admins know them in their ATS."""
    labels: dict[int, str] = {}
    for chunk in chunked(set(candidate_ids)):
        rows = session.execute(
            select(Candidate.id, Connection.name, Candidate.remote_id)
            .join(Connection)
            .where(Candidate.id.in_(chunk))
        )
        labels.update({cid: f"{name}:{remote}" for cid, name, remote in rows})
    return labels


def find_record(session: Session, label: str) -> int:
    """A record id from ``"<connection name>:<remote id>"`` or a plain record id."""
    name, sep, remote = label.partition(":")
    if sep:
        stmt = select(Candidate.id).join(Connection).where(
            Connection.name == name, Candidate.remote_id == remote
        )
    elif label.isdigit():
        stmt = select(Candidate.id).where(Candidate.id == int(label))
    else:
        raise UnknownRecordError(f"{label!r} is not CONNECTION:REMOTE_ID or a record id.")
    found = session.scalar(stmt)
    if found is None:
        raise UnknownRecordError(f"No candidate record {label!r}.")
    return found


def split_candidate(session: Session, candidate_id: int, *, by: str | None = None) -> set[int]:
    """Separate a record from its person for good; returns the affected person ids.

    Stores a "never join" rule between the record and every other record of its person
    (kept across re-syncs and rebuilds), re-merges, and queues the record so every search
    backend rebuilds both people. Flushes; the caller commits.
    """
    person_id = session.scalar(select(Candidate.person_id).where(Candidate.id == candidate_id))
    if person_id is None and session.get(Candidate, candidate_id) is None:
        raise UnknownRecordError(f"No candidate record {candidate_id}.")
    others = set(_candidates_of_people(session, {person_id} if person_id else set()))
    others.discard(candidate_id)
    existing = _load_splits(session, [candidate_id]).get(candidate_id, set())
    rules = [
        {"candidate_id": min(candidate_id, o), "other_candidate_id": max(candidate_id, o),
         "created_by": by}
        for o in sorted(others - existing)
    ]
    if rules:
        session.execute(insert(MergeSplit), rules)
    session.add(IndexQueue(candidate_id=candidate_id, person_id=person_id))
    log.info("record split", extra={"candidate_id": candidate_id, "rules": len(rules)})
    return merge_candidates(session, [candidate_id], [person_id] if person_id else [])


def unsplit_candidates(session: Session, candidate_id: int, other_candidate_id: int) -> set[int]:
    """Drop the "never join" rule between two records and re-merge them."""
    a, b = sorted((candidate_id, other_candidate_id))
    session.execute(
        delete(MergeSplit).where(MergeSplit.candidate_id == a, MergeSplit.other_candidate_id == b)
    )
    session.add_all([IndexQueue(candidate_id=a), IndexQueue(candidate_id=b)])
    return merge_candidates(session, [a, b])


# --------------------------------------------------------------------------- suggestions


def suggest_duplicates(session: Session, person_id: int) -> list[DuplicateSuggestion]:
    """Other people of the team who are probably this one: similar name plus a shared field.

    Only suggestions: people who share no email or phone are never merged automatically.
    People split apart by an admin are not suggested again.
    """
    mine = session.scalars(select(Candidate).where(Candidate.person_id == person_id)).all()
    if not mine:
        return []
    fields = {name: {_field(getattr(c, name)) for c in mine} - {""} for name in _SHARED}
    raw = {name: {_lower(getattr(c, name)) for c in mine} - {""} for name in _SHARED}
    others = _similar_candidates(session, mine[0].connection.team_id, person_id, raw)
    banned = _split_people(session, [c.id for c in mine])
    best: dict[int, DuplicateSuggestion] = {}
    for other in others:
        if other.person_id in banned:
            continue
        score = max(_name_score(c.name, other.name) for c in mine)
        reasons = tuple(n for n in _SHARED if _field(getattr(other, n)) in fields[n] - {""})
        if score < MIN_NAME_SCORE or not reasons:
            continue
        current = best.get(other.person_id)
        if current is None or (score, len(reasons)) > (current.score, len(current.reasons)):
            best[other.person_id] = DuplicateSuggestion(other.person_id, other.name, score, reasons)
    ranked = sorted(best.values(), key=lambda s: (-s.score, -len(s.reasons), s.person_id))
    return ranked[:MAX_SUGGESTIONS]


_SHARED = ("company", "title", "location")


def _field(value: str | None) -> str:
    return fold(value or "")


def _lower(value: str | None) -> str:
    return (value or "").strip().lower()


def _name_score(a: str, b: str) -> float:
    # token_sort_ratio: word order does not matter ("Smith John" == "John Smith").
    return float(fuzz.token_sort_ratio(fold(a), fold(b)))


def _similar_candidates(
    session: Session, team_id: int, person_id: int, fields: dict[str, set[str]]
) -> list[Candidate]:
    """Records of other people of the team sharing a company, title or location (lowercased)."""
    conds = [
        func.lower(func.trim(getattr(Candidate, name))).in_(sorted(values))
        for name, values in fields.items()
        if values
    ]
    if not conds:
        return []
    # A coarse pre-filter (SQL lower() folds ASCII only); _field() decides afterwards.
    stmt = (
        select(Candidate)
        .join(Connection)
        .where(Connection.team_id == team_id, Candidate.person_id.is_not(None),
               Candidate.person_id != person_id, or_(*conds))
        .limit(1000)
    )
    return list(session.scalars(stmt))


def _split_people(session: Session, candidate_ids: list[int]) -> set[int]:
    split_from = set().union(*_load_splits(session, candidate_ids).values()) - set(candidate_ids)
    if not split_from:
        return set()
    rows = session.scalars(select(Candidate.person_id).where(Candidate.id.in_(split_from)))
    return {pid for pid in rows if pid}
