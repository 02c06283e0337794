"""What the documents carry for the taxonomy, evaluations and best match, by either loader."""
from __future__ import annotations

from factories import make_evaluation, make_job, make_person

from rediscover.core.models import Person
from rediscover.indexer import build
from rediscover.indexer.merge import merge_all
from rediscover.indexer.rowgraph import load_people


def _docs(db, candidate):
    merge_all(db)
    db.refresh(candidate)
    orm = build.person_document(db.get(Person, candidate.person_id), {})  # lazy ORM graph
    (row,) = load_people(db, [candidate.person_id])
    return orm, build.person_document(row, {})


def test_shared_reason_evaluations_and_tenths(db, conn):
    job = make_job(conn)
    cand = make_person(
        conn,
        "Ivy Inputs",
        dict(job=job, reached="offer", rejection="Hired another candidate",
             cards=["strong_yes", "yes", "no"]),
    )
    app = cand.applications[0]
    make_evaluation(app, score=30, max_score=40)  # 75 %
    make_evaluation(app, score=90, status="started")  # not finished: ignored
    make_evaluation(app, "video_interview", provider="wepow")
    make_evaluation(app, "reference_check", status="expired", provider="refapp")
    orm, fast = _docs(db, cand)
    (doc,) = orm.applications
    assert (doc.reason_category, doc.reengage_safe) == ("other_candidate_hired", True)
    assert (doc.assessment_pct, doc.assessment_tenths) == (75.0, 8)
    assert (doc.video_completed, doc.references_completed) == (True, False)
    assert doc.ratio_tenths == 7
    assert fast == orm  # the Core row loader feeds the builder the same evaluations


def test_admin_category_wins_over_the_default(db, conn):
    job = make_job(conn)
    cand = make_person(conn, "Max Mapped", dict(job=job, rejection="Hired another candidate"))
    cand.applications[0].rejection_reason.category = "skills_gap"
    orm, fast = _docs(db, cand)
    assert (orm.applications[0].reason_category, orm.applications[0].reengage_safe) == (
        "skills_gap",
        False,
    )
    assert fast == orm
