"""Store rows -> PersonDocument: who is searchable, and what each application says."""
from __future__ import annotations

import pytest
from factories import (
    ScorecardFactory,
    StageFactory,
    at,
    attach_text,
    make_application,
    make_candidate,
    make_job,
    make_person,
    stage_of,
)

from rediscover.indexer.build import build_document, build_documents
from rediscover.indexer.extract import extract_pending
from rediscover.indexer.merge import merge_all


def _doc(db, candidate):
    merge_all(db)
    db.refresh(candidate)
    return build_document(db, candidate.person_id)


@pytest.mark.parametrize(
    "fields",
    [
        {"is_private": True},
        {"anonymized": True},
        {"first_name": "Anonymized", "last_name": "gh-77", "remote_id": "gh-77"},
    ],
    ids=["private", "anonymised", "greenhouse-anonymised"],
)
def test_hidden_records_give_no_document(db, conn, fields):
    cand = make_person(conn, "Hidden Person", dict(job=make_job(conn)))
    for key, value in fields.items():
        setattr(cand, key, value)
    assert _doc(db, cand) is None


def test_hired_anywhere_or_only_prospects_give_no_document(db, conn):
    hired = make_person(
        conn, "Hired", dict(job=make_job(conn)), dict(job=make_job(conn), status="hired")
    )
    prospect = make_person(
        conn, "Prospect", dict(job=None, status="open"), dict(job=make_job(conn), status="prospect")
    )
    assert _doc(db, hired) is None
    assert _doc(db, prospect) is None


def test_application_document(db, conn):
    job = make_job(
        conn,
        "Platform Engineer",
        confidential=True,
        team=[("hm", "hiring_manager"), ("rec", "recruiter"), ("hm", "permission")],
    )
    cand = make_person(
        conn,
        "Ada Lovelace",
        dict(
            job=job,
            reached="assessment",
            rejection="Other  candidate hired",
            sources=["LinkedIn", "Employee Referral"],
            applied=at(1),
            last_activity=at(9),
            cards=[
                "yes",
                "strong_yes",
                "strong_no",
                ("no", "draft"),
                ("yes", "pending"),
                "no_decision",
            ],
        ),
    )
    doc = _doc(db, cand)
    [app] = doc.applications
    assert (app.job_title, app.status, app.confidential) == ("Platform Engineer", "closed", True)
    assert app.access == [f"{conn.id}:hm", f"{conn.id}:rec"]
    assert (app.stage_name, app.milestone, app.milestone_rank) == (
        "Take-home Assessment",
        "assessment",
        4,
    )
    assert (app.rejection_reason, app.rejection_reason_key, app.rejection_type) == (
        "Other  candidate hired",
        "other candidate hired",
        "WE_REJECTED_THEM",
    )
    assert (app.sources, app.source_keys) == (
        ["LinkedIn", "Employee Referral"],
        ["linkedin", "employee referral"],
    )
    assert (app.applied_at, app.last_activity_at) == (at(1), at(9))
    assert (app.positive, app.negative, app.strong_yes, app.strong_no, app.pending) == (
        2,
        1,
        1,
        1,
        2,
    )
    assert app.ratio == pytest.approx(2 / 3)


def test_furthest_stage_uses_history_current_stage_and_scorecard_stages(db, conn):
    job = make_job(conn)
    cand = make_candidate(conn, "Stage Walker", emails=["sw@x.io"])
    # History stops at the screen, but a scorecard was written at the onsite.
    app = make_application(cand, job, reached="recruiter_screen")
    ScorecardFactory(application=app, stage_id=stage_of(job, "onsite").id)
    # Two stages with the same milestone: the later one in the ATS's order wins.
    later = StageFactory(job=job, name="Onsite Day 2", sort_order=99, milestone="onsite")
    app2 = make_application(cand, job, reached="application_review")
    app2.current_stage_id = later.id
    # No stage rows at all: the ATS's stage name is kept, without a milestone.
    app3 = make_application(cand, job, reached=None)
    app3.current_stage_name = "Mystery Stage"
    doc = _doc(db, cand)
    stages = {a.application_id: (a.stage_name, a.milestone) for a in doc.applications}
    assert stages == {
        app.id: ("Final Round (Onsite)", "onsite"),
        app2.id: ("Onsite Day 2", "onsite"),
        app3.id: ("Mystery Stage", None),
    }


def test_person_fields(db, conn, conn2):
    old = make_candidate(
        conn,
        "Old Name",
        emails=["Ada@X.io"],
        tags=["Python", "ML"],
        title="Intern",
        company="Acme",
        remote_updated_at=at(1),
        synced_at=at(3),
    )
    new = make_candidate(
        conn2,
        "Ada Lovelace",
        emails=["ada@x.io", "ada@home.io"],
        tags=["python "],
        remote_updated_at=at(5),
        synced_at=at(2),
        location="London",
    )
    make_application(old, make_job(conn), last_activity=at(1))
    make_application(new, make_job(conn2), status="open")
    doc = _doc(db, old)
    assert (doc.name, doc.location) == ("Ada Lovelace", "London")
    assert (doc.title, doc.company) == ("Intern", "Acme")  # the newest record has none
    assert doc.emails == ["ada@x.io", "ada@home.io"]
    assert (doc.tags, doc.tag_keys) == (["python", "ML"], ["python", "ml"])
    assert doc.origins == ["greenhouse", "lever"]
    assert doc.has_open is True
    assert doc.as_of == at(3)


def test_resume_text_goes_to_its_application_or_to_the_person(db, conn):
    cand = make_candidate(conn, "Res Ume", emails=["r@x.io"])
    app = make_application(cand, make_job(conn), resume_text="application level text")
    attach_text(cand, "person level text")
    offer = attach_text(cand, "salary 100k")
    offer.type = "offer_letter"  # not resume material
    db.flush()
    extract_pending(db, keep_blobs=True)
    doc = _doc(db, cand)
    assert doc.resume_text == "person level text"
    assert [a.resume_text for a in doc.applications if a.application_id == app.id] == [
        "application level text"
    ]


def test_last_activity_falls_back_to_the_newest_known_date(db, conn):
    cand = make_candidate(conn, "No Activity", emails=["n@x.io"])
    make_application(cand, make_job(conn), last_activity=None, applied=at(4))
    assert _doc(db, cand).applications[0].last_activity_at == at(4)


def test_unknown_people_give_none(db):
    assert build_documents(db, [12345]) == {12345: None}
