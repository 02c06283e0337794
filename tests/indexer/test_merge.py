"""Person merge by normalised email: across connections of a team, transitive, re-mergeable."""
from __future__ import annotations

from factories import CandidateEmailFactory, ConnectionFactory, make_candidate
from sqlalchemy import delete, func, select

from rediscover.core.models import Candidate, CandidateEmail, IndexQueue, Person
from rediscover.indexer.merge import merge_all, merge_candidates


def _person_of(db, candidate) -> int | None:
    return db.scalar(select(Candidate.person_id).where(Candidate.id == candidate.id))


def _people(db) -> int:
    return db.scalar(select(func.count()).select_from(Person))


def test_records_with_the_same_email_across_connections_are_one_person(db, conn, conn2):
    a = make_candidate(conn, "Ada One", emails=["Ada@Example.com"])
    b = make_candidate(conn2, "Ada Two", emails=["  ada@example.COM "])
    c = make_candidate(conn2, "Someone Else", emails=["else@example.com"])
    affected = merge_candidates(db, [a.id, b.id, c.id])
    assert _person_of(db, a) == _person_of(db, b) != _person_of(db, c)
    assert affected == {_person_of(db, a), _person_of(db, c)}
    assert db.get(Person, _person_of(db, a)).team_id == conn.team_id


def test_shared_emails_chain_transitively(db, conn, conn2):
    a = make_candidate(conn, "A", emails=["one@x.io"])
    b = make_candidate(conn2, "B", emails=["one@x.io", "two@x.io"])
    c = make_candidate(conn, "C", emails=["two@x.io"])
    merge_candidates(db, [a.id])  # one changed record pulls in everything it links to
    assert _person_of(db, a) == _person_of(db, b) == _person_of(db, c) is not None


def test_teams_never_merge_and_records_without_email_stand_alone(db, conn):
    other_team = ConnectionFactory(name="other")
    a = make_candidate(conn, "A", emails=["same@x.io"])
    b = make_candidate(other_team, "B", emails=["same@x.io"])
    c = make_candidate(conn, "C")
    d = make_candidate(conn, "D")
    merge_candidates(db, [a.id, b.id, c.id, d.id])
    people = {_person_of(db, x) for x in (a, b, c, d)}
    assert len(people) == 4 and None not in people


def test_remerging_without_changes_keeps_everything(db, conn):
    a = make_candidate(conn, "A", emails=["a@x.io"])
    merge_candidates(db, [a.id])
    before = (_person_of(db, a), _people(db))
    assert merge_candidates(db, [a.id]) == {before[0]}
    assert (_person_of(db, a), _people(db)) == before
    assert db.scalar(select(func.count()).select_from(IndexQueue)) == 0


def test_changed_email_splits_a_person_and_reports_both(db, conn, conn2):
    a = make_candidate(conn, "A", emails=["shared@x.io"])
    b = make_candidate(conn2, "B", emails=["shared@x.io"])
    merge_candidates(db, [a.id, b.id])
    old = _person_of(db, a)
    db.execute(delete(CandidateEmail).where(CandidateEmail.candidate_id == b.id))
    CandidateEmailFactory(candidate=b, value="b-only@x.io")
    affected = merge_candidates(db, [b.id])
    assert _person_of(db, a) == old  # the lower record id keeps the person on a tie
    assert _person_of(db, b) not in (None, old)
    assert affected == {old, _person_of(db, b)}
    # The move is queued with the old person, so every backend hears about it.
    assert db.execute(select(IndexQueue.candidate_id, IndexQueue.person_id)).all() == [(b.id, old)]


def test_new_shared_email_joins_two_people(db, conn, conn2):
    a = make_candidate(conn, "A", emails=["a@x.io"])
    b = make_candidate(conn2, "B", emails=["b@x.io"])
    c = make_candidate(conn2, "C", emails=["a@x.io"])
    merge_candidates(db, [a.id, b.id, c.id])
    pa, pb = _person_of(db, a), _person_of(db, b)
    CandidateEmailFactory(candidate=b, value="a@x.io")
    affected = merge_candidates(db, [b.id])
    assert _person_of(db, b) == pa  # two records already there outvote one
    assert affected == {pa, pb}
    assert db.get(Person, pb) is None


def test_deleted_record_is_swept_even_without_its_person(db, conn):
    a = make_candidate(conn, "A", emails=["a@x.io"])
    merge_candidates(db, [a.id])
    person = _person_of(db, a)
    db.execute(delete(Candidate).where(Candidate.id == a.id))
    assert merge_candidates(db, [a.id]) == {person}
    assert db.get(Person, person) is None


def test_merge_all_matches_incremental_merging(db, conn, conn2):
    a = make_candidate(conn, "A", emails=["a@x.io"])
    b = make_candidate(conn2, "B", emails=["A@X.IO", "b@x.io"])
    c = make_candidate(conn, "C", emails=["c@x.io"])
    db.add(Person(team_id=conn.team_id))  # a stray person with no records
    db.flush()
    merge_all(db)
    assert _person_of(db, a) == _person_of(db, b) != _person_of(db, c)
    assert _people(db) == 2
