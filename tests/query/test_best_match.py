"""Best match, the rejection-reason taxonomy and evaluation filters, on every backend.

Runs once per backend (the ``backend`` fixture); every expectation is an exact list or number,
the same for both, which is how "both backends produce the same order and scores" is checked.
"""
from __future__ import annotations

import pytest
from factories import at, make_evaluation, make_job, make_person

from rediscover.core.models import RejectionReason

NOW = at(400)
HIRED = "Other candidate hired"
GLOWING = ["strong_yes", "strong_yes", "yes", "yes"]


@pytest.fixture
def pool(world):
    """Eight people who each differ from the silver medalist, Sally, in one factor."""
    world.now = NOW
    job = make_job(world.conn, "Senior Backend Engineer")
    year_ago = at(35)

    def person(name, reached="offer", cards=GLOWING, rejection=HIRED, last=year_ago):
        app = dict(job=job, reached=reached, cards=cards, rejection=rejection, last_activity=last)
        return make_person(world.conn, name, app)

    person("Sally Silver")
    person("Ollie Onsite", reached="onsite")
    eva = person("Eva Evaluated", reached="onsite")
    make_evaluation(eva.applications[0], score=60)
    person("Mona Mixed", cards=["yes", "no", "no"])
    person("Nate Strongno", cards=["yes", "yes", "yes", "strong_no"])
    person("Ursula Unsafe", rejection="Lacking skill(s)/qualification(s)")
    person("Rita Recent", last=at(380))
    person("Olga Old", last=at(-700))
    world.index()
    return world


EXPECTED = [
    ("Sally Silver", 127),
    ("Eva Evaluated", 126),
    ("Ollie Onsite", 117),
    ("Olga Old", 114),
    ("Mona Mixed", 94),
    ("Nate Strongno", 84),
    ("Ursula Unsafe", 77),
    ("Rita Recent", 72),
]


def test_best_match_is_the_default_order_with_exact_scores(pool):
    rows = pool.search().results
    assert [(r.name, r.score) for r in rows] == EXPECTED


def test_the_silver_medalist_explains_herself(pool):
    sally = pool.search().results[0]
    assert sally.contributions == {
        "keyword": 0,
        "milestone": 50,
        "consensus": 42,
        "reason": 20,
        "evaluations": 0,
        "recency": 15,
    }
    assert sum(sally.contributions.values()) == sally.score
    assert sally.why.startswith("Reached offer for Senior Backend Engineer; 4 of 4 interviewers")
    assert "another candidate was hired" in sally.why.lower()
    assert "safe to re-engage" in sally.why


def test_why_names_evaluations_and_the_cool_off(pool):
    rows = {r.name: r for r in pool.search().results}
    assert "assessment 60%" in rows["Eva Evaluated"].why
    assert "too soon to re-contact" in rows["Rita Recent"].why
    assert "not safe to re-engage" in rows["Ursula Unsafe"].why


@pytest.mark.parametrize(
    ("better", "worse", "factor"),
    [
        ("Sally Silver", "Ollie Onsite", "milestone"),
        ("Sally Silver", "Mona Mixed", "consensus"),
        ("Sally Silver", "Nate Strongno", "consensus"),
        ("Sally Silver", "Ursula Unsafe", "reason"),
        ("Sally Silver", "Rita Recent", "recency"),
        ("Sally Silver", "Olga Old", "recency"),
        ("Eva Evaluated", "Ollie Onsite", "evaluations"),
    ],
)
def test_each_factor_moves_a_person_the_expected_way(pool, better, worse, factor):
    rows = {r.name: r for r in pool.search().results}
    names = [r.name for r in pool.search().results]
    assert names.index(better) < names.index(worse)
    b, w = rows[better].contributions, rows[worse].contributions
    assert b[factor] > w[factor]
    assert {f: v for f, v in b.items() if f != factor} == {f: v for f, v in w.items() if f != factor}


def test_every_row_sums_its_contributions(pool):
    for row in pool.search(query="senior OR nobody").results:
        assert sum(row.contributions.values()) == row.score
        assert row.contributions["keyword"] == 20  # one of two positive terms


def test_keywords_add_points_per_matched_term(world):
    world.now = NOW
    job = make_job(world.conn, "Clerk")
    make_person(world.conn, "Pia Python", dict(job=job, resume_text="python", last_activity=at(35)))
    make_person(
        world.conn, "Kai Both", dict(job=job, resume_text="python kafka", last_activity=at(35))
    )
    make_person(world.conn, "Zed Zero", dict(job=job, last_activity=at(35)))
    world.index()
    rows = world.search(query="python OR kafka").results
    assert [(r.name, r.contributions["keyword"]) for r in rows] == [("Kai Both", 40), ("Pia Python", 20)]


def test_best_match_pages_concatenate_and_keep_their_day(pool):
    full = [r.person_id for r in pool.search().results]
    first = pool.search(limit=3)
    pool.now = at(2000)  # the day changes between pages: the cursor keeps the first day
    second = pool.search(limit=3, cursor=first.next_cursor)
    third = pool.search(limit=3, cursor=second.next_cursor)
    assert [r.person_id for r in first.results + second.results + third.results] == full


def test_best_match_counts_only_seen_applications(world):
    world.now = NOW
    public = make_job(world.conn, "Engineer")
    secret = make_job(world.conn, "Secret", confidential=True, team=[("boss", "hiring_manager")])
    make_person(
        world.conn,
        "Cara Confidential",
        dict(job=public, reached="recruiter_screen", last_activity=at(35)),
        dict(job=secret, reached="offer", cards=GLOWING, rejection=HIRED, last_activity=at(35)),
    )
    make_person(world.conn, "Pete Public", dict(job=public, reached="onsite", last_activity=at(35)))
    world.index()
    assert world.names() == ["Pete Public", "Cara Confidential"]
    assert world.names(world.viewer("boss")) == ["Cara Confidential", "Pete Public"]
    assert "secret" not in (world.search().results[1].why or "").lower()


# --------------------------------------------------------------------------- taxonomy


@pytest.fixture
def reasons(world):
    job = make_job(world.conn)
    make_person(world.conn, "Hank Hired", dict(job=job, rejection="Other candidate hired"))
    make_person(world.conn, "Paul Closed", dict(job=job, rejection="Position closed"))
    make_person(world.conn, "Lacy Lacking", dict(job=job, rejection="Lacking skill(s)"))
    make_person(world.conn, "Mick Misc", dict(job=job, rejection="Misc"))
    make_person(world.conn, "Nora Noreason", dict(job=job))
    return world


def test_shared_reason_filter(reasons):
    reasons.index()
    assert reasons.found(shared_reasons=["other_candidate_hired"]) == {"Hank Hired"}
    assert reasons.found(shared_reasons=["position_closed", "skills_gap"]) == {
        "Paul Closed",
        "Lacy Lacking",
    }
    assert reasons.found(shared_reasons=["other"]) == {"Mick Misc"}


def test_safe_to_reengage_filter_and_no_reason_matches_neither(reasons):
    reasons.index()
    assert reasons.found(safe_to_reengage=True) == {"Hank Hired", "Paul Closed"}
    assert reasons.found(safe_to_reengage=False) == {"Lacy Lacking", "Mick Misc"}


def test_an_admin_edit_of_the_map_wins(reasons):
    misc = reasons.db.query(RejectionReason).filter_by(name="Misc").one()
    misc.category = "timing"
    reasons.index()
    assert reasons.found(shared_reasons=["timing"]) == {"Mick Misc"}
    assert reasons.found(safe_to_reengage=True) == {"Hank Hired", "Paul Closed", "Mick Misc"}


def test_taxonomy_filters_hold_on_the_same_application(world):
    job = make_job(world.conn)
    make_person(
        world.conn,
        "Split Sam",
        dict(job=job, reached="offer", rejection="Lacking skill(s)"),
        dict(job=make_job(world.conn, "Other"), reached="recruiter_screen", rejection=HIRED),
    )
    make_person(world.conn, "Whole Wes", dict(job=job, reached="offer", rejection=HIRED))
    world.index()
    assert world.found(safe_to_reengage=True, reached_stage="offer") == {"Whole Wes"}


# --------------------------------------------------------------------------- evaluations


def test_evaluation_filters(world):
    job = make_job(world.conn)
    a = make_person(world.conn, "Ann Assessed", dict(job=job)).applications[0]
    make_evaluation(a, score=85)
    b = make_person(world.conn, "Ben Started", dict(job=job)).applications[0]
    make_evaluation(b, status="started", score=95)
    c = make_person(world.conn, "Cat Scaled", dict(job=job)).applications[0]
    make_evaluation(c, score=40, max_score=50)
    d = make_person(world.conn, "Dan Video", dict(job=job)).applications[0]
    make_evaluation(d, "video_interview", provider="wepow")
    make_evaluation(d, "reference_check", provider="refapp")
    e = make_person(world.conn, "Eve Refs", dict(job=job)).applications[0]
    make_evaluation(e, "reference_check", status="needs_review", provider="refapp")
    f = make_person(world.conn, "Fay Expired", dict(job=job)).applications[0]
    make_evaluation(f, "video_interview", status="expired", provider="sparkhire")
    world.index()
    assert world.found(assessment_min=80) == {"Ann Assessed", "Cat Scaled"}
    assert world.found(assessment_min="85%") == {"Ann Assessed"}
    assert world.found(video_interview_completed=True) == {"Dan Video"}
    assert world.found(references_completed=True) == {"Dan Video", "Eve Refs"}
    assert world.found(video_interview_completed=True, references_completed=True) == {"Dan Video"}


def test_evaluation_filters_hold_on_the_same_application(world):
    job = make_job(world.conn)
    cand = make_person(
        world.conn,
        "Two Apps",
        dict(job=job, reached="offer"),
        dict(job=make_job(world.conn, "Other"), reached="recruiter_screen"),
    )
    make_evaluation(cand.applications[1], score=90)
    world.index()
    assert world.found(assessment_min=80) == {"Two Apps"}
    assert world.found(assessment_min=80, reached_stage="offer") == set()
