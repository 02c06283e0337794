"""Person merge by email and phone: across connections, transitive, explained, splittable."""
from __future__ import annotations

import pytest
from factories import CandidateEmailFactory, ConnectionFactory, make_candidate
from sqlalchemy import delete, func, select

from rediscover.core.models import Candidate, CandidateEmail, IndexQueue, Person
from rediscover.indexer import merge
from rediscover.indexer.errors import UnknownRecordError
from rediscover.indexer.merge import (
    MergeReason,
    email_key,
    explain_person,
    merge_all,
    merge_candidates,
    phone_key,
    split_candidate,
    suggest_duplicates,
    unsplit_candidates,
)


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


def test_merge_all_writes_in_chunks_with_the_same_outcome(db, conn, conn2, monkeypatch):
    monkeypatch.setattr(merge, "WRITE_CHUNK", 2)  # every bulk write spans several statements
    pairs = [(make_candidate(conn, f"A{i}", emails=[f"p{i}@x.io"]),
              make_candidate(conn2, f"B{i}", emails=[f"P{i}@X.IO"])) for i in range(3)]
    alone = [make_candidate(conn, f"C{i}", emails=[f"c{i}@x.io"]) for i in range(3)]
    db.flush()
    merge_all(db)
    assert all(_person_of(db, a) == _person_of(db, b) for a, b in pairs)
    people = {_person_of(db, c) for c in alone} | {_person_of(db, a) for a, _ in pairs}
    assert len(people) == _people(db) == 6
    assert all(explain_person(db, _person_of(db, a)) for a, _ in pairs)  # links stored


# --------------------------------------------------------------------------- keys


@pytest.mark.parametrize(
    "value, key",
    [
        ("  A.Da+jobs@GMail.com ", "ada@gmail.com"),
        ("a.da@googlemail.com", "ada@gmail.com"),
        ("a.da+x@example.com", "a.da+x@example.com"),  # only Gmail ignores dots and +tags
        ("not-an-email", None),
        ("+tag@gmail.com", None),
    ],
)
def test_email_keys_fold_gmail_only(value, key):
    assert email_key(value) == key


@pytest.mark.parametrize(
    "value, country, key",
    [
        ("(650) 253-0000", "US", "+16502530000"),
        ("+1 650.253.0000", "GB", "+16502530000"),
        ("020 7946 0958", "GB", "+442079460958"),
        ("01 42 68 53 00", "fr", "+33142685300"),
        ("123", "US", None),
        ("call me", "US", None),
    ],
)
def test_phone_keys_are_e164_with_the_default_country(value, country, key):
    assert phone_key(value, country) == key


def test_gmail_variants_merge_but_other_domains_do_not(db, conn, conn2):
    a = make_candidate(conn, "A", emails=["ada.lovelace@gmail.com"])
    b = make_candidate(conn2, "B", emails=["AdaLovelace+jobs@googlemail.com"])
    c = make_candidate(conn, "C", emails=["ada.lovelace@corp.io"])
    d = make_candidate(conn2, "D", emails=["adalovelace@corp.io"])
    merge_candidates(db, [a.id, b.id, c.id, d.id])
    assert _person_of(db, a) == _person_of(db, b)
    assert len({_person_of(db, x) for x in (a, c, d)}) == 3


def test_phone_merges_across_connections_with_each_default_country(db, conn, conn2):
    conn2.settings = {"default_phone_country": "GB"}
    a = make_candidate(conn, "A", phones=["+44 20 7946 0958"])
    b = make_candidate(conn2, "B", phones=["020 7946 0958"])  # national format, GB default
    c = make_candidate(conn, "C", phones=["020 7946 0958"])  # US default: not that number
    merge_candidates(db, [a.id, b.id, c.id])
    assert _person_of(db, a) == _person_of(db, b) != _person_of(db, c)
    reasons = explain_person(db, _person_of(db, a))
    assert reasons == [MergeReason(b.id, a.id, "phone", "+442079460958")]


def test_merge_is_explained_by_the_keys_that_joined(db, conn, conn2):
    a = make_candidate(conn, "A", emails=["a@x.io"])
    b = make_candidate(conn2, "B", emails=["A@x.io"], phones=["650-253-0000"])
    c = make_candidate(conn, "C", phones=["+16502530000"])
    merge_candidates(db, [a.id, b.id, c.id])
    person = _person_of(db, a)
    assert explain_person(db, person) == [
        MergeReason(b.id, a.id, "email", "a@x.io"),
        MergeReason(c.id, b.id, "phone", "+16502530000"),
    ]


def test_a_folded_key_is_found_from_stored_keys_of_merged_records(db, conn, conn2):
    a = make_candidate(conn, "A", emails=["ada.l@gmail.com"])
    merge_candidates(db, [a.id])
    b = make_candidate(conn2, "B", emails=["adal@gmail.com"])  # synced later, queued alone
    merge_candidates(db, [b.id])
    assert _person_of(db, a) == _person_of(db, b)


# --------------------------------------------------------------------------- split


def test_split_separates_a_record_and_survives_remerging(db, conn, conn2):
    a = make_candidate(conn, "A", emails=["shared@x.io"])
    b = make_candidate(conn2, "B", emails=["shared@x.io"])
    merge_candidates(db, [a.id, b.id])
    person = _person_of(db, a)
    db.execute(delete(IndexQueue))
    affected = split_candidate(db, b.id, by="admin@acme.test")
    assert _person_of(db, a) == person != _person_of(db, b)
    assert affected == {person, _person_of(db, b)}
    # Queued, so every search backend rebuilds both documents on its next run.
    assert (b.id, person) in db.execute(select(IndexQueue.candidate_id, IndexQueue.person_id))
    # A re-sync re-merges them; the rule holds, here and on a full re-merge.
    merge_candidates(db, [a.id, b.id])
    merge_all(db)
    assert _person_of(db, a) != _person_of(db, b)
    assert explain_person(db, _person_of(db, a)) == []


def test_split_holds_against_a_third_record_bridging_the_two(db, conn, conn2):
    a = make_candidate(conn, "A", emails=["a@x.io"])
    b = make_candidate(conn2, "B", emails=["a@x.io"])
    merge_candidates(db, [a.id, b.id])
    split_candidate(db, b.id)
    c = make_candidate(conn2, "C", emails=["a@x.io"])
    merge_candidates(db, [c.id])
    assert _person_of(db, a) != _person_of(db, b)
    assert _person_of(db, c) == _person_of(db, a)  # it joins the first one it may


def test_unsplit_joins_them_again(db, conn, conn2):
    a = make_candidate(conn, "A", emails=["a@x.io"])
    b = make_candidate(conn2, "B", emails=["a@x.io"])
    merge_candidates(db, [a.id, b.id])
    split_candidate(db, a.id)
    assert _person_of(db, a) != _person_of(db, b)
    unsplit_candidates(db, b.id, a.id)
    assert _person_of(db, a) == _person_of(db, b)


def test_split_of_an_unknown_record_is_an_error(db):
    with pytest.raises(UnknownRecordError):
        split_candidate(db, 987654)


# --------------------------------------------------------------------------- suggestions


def test_similar_names_with_a_shared_field_are_suggested_not_merged(db, conn, conn2):
    a = make_candidate(conn, "Jon Smith", emails=["jon@a.io"], company="Acme")
    b = make_candidate(conn2, "John Smith", emails=["john@b.io"], company=" ACME ")
    c = make_candidate(conn2, "Smith Jon", emails=["js@c.io"], location="Berlin, Germany")
    d = make_candidate(conn, "John Smith", emails=["x@d.io"], company="Globex")  # nothing shared
    e = make_candidate(conn, "Jane Smith", emails=["jane@e.io"], company="Acme")  # other name
    make_candidate(conn, "Jon Smith", emails=["jon@a.io"], location="Berlin, Germany")
    merge_candidates(db, [x.id for x in (a, b, c, d, e)])
    db.flush()
    person = _person_of(db, a)
    got = {s.person_id: s for s in suggest_duplicates(db, person)}
    assert set(got) == {_person_of(db, b), _person_of(db, c)}
    assert got[_person_of(db, b)].reasons == ("company",)
    assert got[_person_of(db, c)].reasons == ("location",)
    assert len({_person_of(db, x) for x in (a, b, c, d, e)}) == 5  # nothing merged


def test_split_people_are_not_suggested_again(db, conn, conn2):
    a = make_candidate(conn, "Jon Smith", emails=["jon@a.io"], company="Acme")
    b = make_candidate(conn2, "Jon Smith", emails=["jon@a.io"], company="Acme")
    merge_candidates(db, [a.id, b.id])
    split_candidate(db, b.id)
    assert suggest_duplicates(db, _person_of(db, a)) == []
