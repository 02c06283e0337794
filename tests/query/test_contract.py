"""The backend contract: DESIGN.md "Semantics that must hold on every backend".

Every test runs once per backend (the ``backend`` fixture in conftest). Datasets are built
with factories into the store, indexed through the real pipeline and searched through
``rediscover.query.search``; each case would fail if its rule were broken.
"""
from __future__ import annotations

from pathlib import Path

import pytest
from factories import (
    ATSUserFactory,
    ConnectionFactory,
    at,
    attach_file,
    enqueue,
    make_application,
    make_candidate,
    make_job,
    make_person,
)
from sqlalchemy import delete

from rediscover.core.models import Candidate
from rediscover.indexer.merge import split_candidate
from rediscover.indexer.pipeline import index_pending
from rediscover.query.errors import InvalidQuery
from rediscover.query.filters import SearchRequest, Viewer, encode_cursor
from rediscover.query.search import facets

IMAGE_ONLY = Path(__file__).parents[1] / "data" / "resumes" / "msg_jennifer_image_only.pdf"

# --------------------------------------------------------------------------- population


def test_private_record_hides_the_whole_person(world):
    job = make_job(world.conn)
    make_person(world.conn, "Ada Public", dict(job=job), emails=["ada@x.io"])
    # Same person in the second ATS, private there: the merged person must not appear.
    make_person(world.conn, "Pia Private", dict(job=job), emails=["pia@x.io"])
    make_person(
        world.conn2,
        "Pia Private",
        dict(job=None, status="prospect"),
        emails=[" PIA@x.io"],
        is_private=True,
    )
    world.index()
    assert world.found() == {"Ada Public"}


def test_hired_person_is_hidden(world):
    job = make_job(world.conn)
    make_person(
        world.conn,
        "Hal Hired",
        dict(job=job, reached="onsite"),
        dict(job=make_job(world.conn, "Other"), status="hired", reached="offer"),
    )
    make_person(world.conn, "Rita Rejected", dict(job=job, reached="onsite"))
    world.index()
    assert world.found() == {"Rita Rejected"}
    assert world.found(include_active=True) == {"Rita Rejected"}


def test_hired_through_an_unseen_confidential_job_still_hides(world):
    public = make_job(world.conn, "Engineer")
    secret = make_job(
        world.conn, "Secret CTO", confidential=True, team=[("boss", "hiring_manager")]
    )
    make_person(
        world.conn,
        "Hank Hidden",
        dict(job=public, reached="onsite"),
        dict(job=secret, status="hired", reached="offer"),
    )
    make_person(world.conn, "Vera Visible", dict(job=public))
    world.index()
    assert world.found() == {"Vera Visible"}
    assert world.found(world.viewer("boss")) == {"Vera Visible"}


@pytest.mark.parametrize("anonymized", ["flag", "greenhouse_name"])
def test_anonymised_record_hides_the_person(world, anonymized):
    job = make_job(world.conn)
    extra = {"anonymized": True} if anonymized == "flag" else {}
    cand = make_person(world.conn, "Anna Nym", dict(job=job), **extra)
    if anonymized == "greenhouse_name":
        cand.first_name, cand.last_name = "Anonymized", cand.remote_id
    make_person(world.conn, "Carl Clear", dict(job=job))
    world.index()
    assert world.found() == {"Carl Clear"}


def test_deleted_record_disappears(world):
    job = make_job(world.conn)
    gone = make_person(world.conn, "Del Deleted", dict(job=job))
    make_person(world.conn, "Sam Stays", dict(job=job))
    world.index()
    assert world.found() == {"Del Deleted", "Sam Stays"}
    world.db.refresh(gone)
    enqueue(world.db, gone)  # sync queues a deleted record with the person it belonged to
    world.db.execute(delete(Candidate).where(Candidate.id == gone.id))
    world.db.commit()
    index_pending(world.session_factory, world.backend)
    assert world.found() == {"Sam Stays"}


def test_person_with_only_prospect_applications_is_invisible(world):
    job = make_job(world.conn)
    make_person(
        world.conn,
        "Pat Prospect",
        dict(job=None, status="open"),
        dict(job=job, status="prospect", reached="onsite"),
    )
    make_person(world.conn, "Carl Closed", dict(job=job))
    world.index()
    assert world.found() == {"Carl Closed"}
    assert world.found(include_active=True) == {"Carl Closed"}


def test_prospect_application_is_ignored_entirely(world):
    job = make_job(world.conn, "Engineer")
    pool = make_job(world.conn, "Kafka Wizard Pool")
    make_person(
        world.conn,
        "Paula Pool",
        dict(job=job, reached="recruiter_screen", last_activity=at(1)),
        # An open prospect application: not active, no filter, column, keyword or activity.
        dict(
            job=pool,
            status="prospect",
            reached="offer",
            last_activity=at(300),
            rejection="Other candidate hired",
            resume_text="kafka wizard",
        ),
        dict(job=None, status="open", last_activity=at(400)),
    )
    world.index()
    assert world.found() == {"Paula Pool"}
    row = world.search().results[0]
    assert (row.job_title, row.milestone, row.last_in_process) == (
        "Engineer",
        "recruiter_screen",
        at(1),
    )
    assert world.found(job_ids=[pool.id]) == set()
    assert world.found(reached_stage="onsite") == set()
    assert world.found(rejection_reasons=["Other candidate hired"]) == set()
    assert world.found(query="wizard") == set()
    assert world.found(last_in_process_after="2024-02-01") == set()


# --------------------------------------------------------------------------- active candidates


def test_active_people_are_hidden_unless_include_active(world):
    job = make_job(world.conn)
    make_person(world.conn, "Olga Open", dict(job=job, status="open", reached="onsite"))
    make_person(world.conn, "Carl Closed", dict(job=job))
    world.index()
    assert world.found() == {"Carl Closed"}
    assert world.found(include_active=True) == {"Olga Open", "Carl Closed"}
    assert world.search().total == 1


def test_active_on_an_unseen_job_still_hides_and_shows_only_seen_info(world):
    public = make_job(world.conn, "Data Analyst")
    secret = make_job(
        world.conn, "Secret Project", confidential=True, team=[("boss", "hiring_manager")]
    )
    make_person(
        world.conn,
        "Ines Inprocess",
        dict(job=public, reached="recruiter_screen", last_activity=at(5)),
        dict(job=secret, status="open", reached="onsite", last_activity=at(50)),
    )
    world.index()
    assert world.found() == set()
    row = world.search(include_active=True).results[0]
    assert (row.job_title, row.milestone, row.last_in_process) == (
        "Data Analyst",
        "recruiter_screen",
        at(5),
    )
    row = world.search(world.viewer("boss"), include_active=True).results[0]
    assert (row.job_title, row.milestone, row.last_in_process) == (
        "Secret Project",
        "onsite",
        at(50),
    )


def test_include_active_lets_open_applications_match_and_show(world):
    old = make_job(world.conn, "Old Role")
    new = make_job(world.conn, "New Role")
    make_person(
        world.conn,
        "Olga Open",
        dict(job=old, reached="recruiter_screen", last_activity=at(1)),
        dict(job=new, status="open", reached="onsite", last_activity=at(9)),
    )
    world.index()
    assert world.found(include_active=True, job_ids=[new.id], reached_stage="onsite") == {
        "Olga Open"
    }
    row = world.search(include_active=True, job_ids=[old.id]).results[0]
    assert (row.job_title, row.last_in_process) == ("New Role", at(9))


# --------------------------------------------------------------------------- confidential jobs


@pytest.fixture
def secret(world):
    """A confidential job whose team is one user per role; a person applied only to it."""
    roles = ["hiring_manager", "recruiter", "coordinator", "sourcer", "permission"]
    job = make_job(
        world.conn,
        "Stealth Founder Role",
        confidential=True,
        team=[(f"u-{role}", role) for role in roles],
    )
    make_person(
        world.conn,
        "Conny Confidential",
        dict(
            job=job,
            reached="onsite",
            rejection="Salary expectations",
            sources=["Agency"],
            resume_text="quantum blockchain",
        ),
    )
    make_person(world.conn, "Paul Public", dict(job=make_job(world.conn, "Cashier")))
    world.index()
    return job


@pytest.mark.parametrize(
    "role", ["hiring_manager", "recruiter", "coordinator", "sourcer", "permission"]
)
def test_job_team_members_see_confidential_applications(world, secret, role):
    viewer = world.viewer(f"u-{role}")
    assert world.found(viewer) == {"Conny Confidential", "Paul Public"}
    assert world.found(viewer, query="stealth") == {"Conny Confidential"}
    assert world.found(viewer, query="quantum") == {"Conny Confidential"}
    assert world.found(viewer, job_ids=[secret.id]) == {"Conny Confidential"}


def test_people_off_the_team_do_not_see_confidential_applications(world, secret):
    admin = ATSUserFactory(connection=world.conn, remote_id="admin", site_admin=True)
    for viewer in (world.viewer(), world.viewer("stranger"), world.viewer(admin.remote_id)):
        page = world.search(viewer)
        assert [r.name for r in page.results] == ["Paul Public"]
        assert page.total == 1
        assert world.found(viewer, query="stealth") == set()
        assert world.found(viewer, query="quantum") == set()
        assert world.found(viewer, query="conny") == set()
        assert world.found(viewer, job_ids=[secret.id]) == set()
        assert world.found(viewer, job_title="stealth") == set()


def test_access_tokens_are_per_connection(world, secret):
    # The same remote user id on another connection is another person.
    other = Viewer(
        team_id=world.team.id, access_tokens=frozenset({world.token("u-recruiter", world.conn2)})
    )
    assert world.found(other) == {"Paul Public"}


def test_facets_and_totals_exclude_unseen_applications(world, secret):
    outside = world.facets()
    assert "Stealth Founder Role" not in outside["job"]
    assert "Salary expectations" not in outside["rejection_reason"]
    assert "Agency" not in outside["source"]
    assert outside["milestone"] == {"Application review": 1}
    inside = world.facets(world.viewer("u-sourcer"))
    assert inside["job"] == {"Stealth Founder Role": 1, "Cashier": 1}
    assert inside["milestone"]["Onsite"] == 1
    assert world.search(world.viewer("u-sourcer")).total == 2


@pytest.fixture
def mixed(world):
    """Someone visible through a public application who also has an unseen confidential one."""
    public = make_job(world.conn, "Support Engineer")
    hidden = make_job(world.conn, "Secret Ops", confidential=True, team=[("boss", "recruiter")])
    make_person(
        world.conn,
        "Mia Mixed",
        dict(
            job=public,
            reached="recruiter_screen",
            sources=["Indeed"],
            last_activity=at(10),
            cards=["yes"],
        ),
        dict(
            job=hidden,
            reached="offer",
            rejection="Withdrew",
            sources=["Agency"],
            last_activity=at(100),
            cards=["strong_no", "no"],
            resume_text="quantum annealing",
        ),
    )
    world.index()
    return hidden


def test_unseen_applications_do_not_match_keywords_or_filters(world, mixed):
    assert world.found(query="support") == {"Mia Mixed"}
    for query in ("secret", "ops", "quantum", "support AND quantum", '"secret ops"', "quant*"):
        assert world.found(query=query) == set(), query
    assert world.found(query="support NOT quantum") == {"Mia Mixed"}
    assert world.found(reached_stage="offer") == set()
    assert world.found(rejection_reasons=["withdrew"]) == set()
    assert world.found(sources=["agency"]) == set()
    assert world.found(job_ids=[mixed.id]) == set()
    boss = world.viewer("boss")
    assert world.found(boss, query="support AND quantum") == {"Mia Mixed"}
    assert world.found(boss, query="support NOT quantum") == set()
    assert world.found(boss, reached_stage="offer", sources=["agency"]) == {"Mia Mixed"}


def test_facets_never_count_unseen_applications_of_visible_people(world, mixed):
    outside = world.facets()
    assert outside["job"] == {"Support Engineer": 1}
    assert outside["source"] == {"Indeed": 1}
    assert outside["rejection_reason"] == {}
    assert set(outside["milestone"]) == {"Application review", "Recruiter screen"}
    inside = world.facets(world.viewer("boss"))
    assert inside["job"] == {"Support Engineer": 1, "Secret Ops": 1}
    assert inside["milestone"]["Offer"] == 1


def test_columns_and_last_in_process_never_come_from_unseen_applications(world, mixed):
    row = world.search().results[0]
    assert (row.job_title, row.stage, row.source, row.rejection_reason) == (
        "Support Engineer",
        "Recruiter Screen",
        "Indeed",
        None,
    )
    assert row.last_in_process == at(10)
    assert (row.scorecards.positive, row.scorecards.negative, row.scorecards.strong_no) == (1, 0, 0)
    assert world.found(last_in_process_after="2024-03-01") == set()
    assert world.found(exclude_strong_no=True) == {"Mia Mixed"}
    boss = world.viewer("boss")
    row = world.search(boss).results[0]
    assert (row.job_title, row.stage, row.milestone, row.rejection_reason) == (
        "Secret Ops",
        "Offer",
        "offer",
        "Withdrew",
    )
    assert (row.scorecards.positive, row.scorecards.negative, row.scorecards.strong_no) == (1, 2, 1)
    assert world.found(boss, last_in_process_after="2024-03-01") == {"Mia Mixed"}
    assert world.found(boss, exclude_strong_no=True) == set()


# --------------------------------------------------------------------------- application filters


def test_application_filters_must_hold_on_one_application(world):
    job_a = make_job(world.conn, "Platform Engineer")
    job_b = make_job(world.conn, "Data Scientist")
    make_person(
        world.conn,
        "Sally Split",
        dict(job=job_a, reached="recruiter_screen", rejection="Not a fit", sources=["Referral"]),
        dict(job=job_b, reached="onsite", rejection="Other candidate hired", sources=["LinkedIn"]),
    )
    world.index()
    assert world.found(job_ids=[job_a.id], reached_stage="onsite") == set()
    assert world.found(job_ids=[job_b.id], reached_stage="onsite") == {"Sally Split"}
    assert world.found(job_title="platform", reached_stage="onsite") == set()
    assert world.found(rejection_reasons=["Not a fit"], reached_stage="onsite") == set()
    assert world.found(sources=["Referral"], job_ids=[job_b.id]) == set()
    assert world.found(sources=["linkedin"], rejection_reasons=["other candidate HIRED"]) == {
        "Sally Split"
    }


def test_reached_stage_matches_that_milestone_and_later(world):
    job = make_job(world.conn)
    make_person(world.conn, "Onsite Olly", dict(job=job, reached="onsite"))
    make_person(world.conn, "Offer Otto", dict(job=job, reached="offer"))
    make_person(world.conn, "Screen Sue", dict(job=job, reached="recruiter_screen"))
    world.index()
    assert world.found(reached_stage="onsite") == {"Onsite Olly", "Offer Otto"}
    assert world.found(reached_stage="offer") == {"Offer Otto"}
    assert len(world.found(reached_stage="application_review")) == 3


def test_reached_stage_comes_from_history_not_the_current_stage(world):
    job = make_job(world.conn)
    # Got to the onsite, then was moved back to a screen before being rejected.
    make_person(
        world.conn, "Back Tracked", dict(job=job, reached="onsite", current="recruiter_screen")
    )
    world.index()
    assert world.found(reached_stage="onsite") == {"Back Tracked"}
    row = world.search().results[0]
    assert (row.stage, row.milestone) == ("Final Round (Onsite)", "onsite")


def test_scorecard_ratio(world):
    job = make_job(world.conn)
    make_person(world.conn, "Two Thirds", dict(job=job, cards=["yes", "strong_yes", "no"]))
    # Drafts, pending and no-decision cards count for nothing: this one is 1/1.
    make_person(
        world.conn,
        "All Positive",
        dict(job=job, cards=["yes", ("no", "draft"), ("strong_no", "pending"), "no_decision"]),
    )
    make_person(world.conn, "No Cards", dict(job=job))
    make_person(world.conn, "Undecided", dict(job=job, cards=["no_decision", ("yes", "draft")]))
    make_person(world.conn, "Negative", dict(job=job, cards=["no", "strong_no"]))
    world.index()
    assert world.found(scorecard_ratio=0.6) == {"Two Thirds", "All Positive"}
    assert world.found(scorecard_ratio=0.7) == {"All Positive"}
    assert world.found(scorecard_ratio=1) == {"All Positive"}
    assert world.found(scorecard_ratio=0) == {"Two Thirds", "All Positive", "Negative"}


def test_scorecard_counts_on_rows(world):
    job = make_job(world.conn)
    make_person(
        world.conn,
        "Counted",
        dict(
            job=job, cards=["yes", "strong_no", ("no", "draft"), "no_decision"], last_activity=at(1)
        ),
        dict(
            job=make_job(world.conn),
            cards=["strong_yes", "no", ("yes", "pending")],
            last_activity=at(2),
        ),
    )
    world.index()
    cards = world.search().results[0].scorecards
    assert (cards.positive, cards.negative, cards.strong_no, cards.pending) == (2, 2, 1, 2)


def test_job_title_contains_folds_case_and_accents(world):
    make_person(
        world.conn, "Dev Eloper", dict(job=make_job(world.conn, "Développeur Backend Sénior"))
    )
    make_person(world.conn, "Other One", dict(job=make_job(world.conn, "Designer")))
    world.index()
    assert world.found(job_title="developpeur") == {"Dev Eloper"}
    assert world.found(job_title="BACKEND SENIOR") == {"Dev Eloper"}
    assert world.found(job_title="Sénior") == {"Dev Eloper"}
    assert world.found(job_title="frontend") == set()


def test_sources_match_any_of_an_applications_sources(world):
    job = make_job(world.conn)
    make_person(
        world.conn, "Multi Source", dict(job=job, sources=["LinkedIn", "Employee  Referral"])
    )
    make_person(world.conn, "Single Source", dict(job=job, sources=["Indeed"]))
    world.index()
    assert world.found(sources=["employee referral"]) == {"Multi Source"}
    assert world.found(sources=["Indeed", "LinkedIn"]) == {"Multi Source", "Single Source"}
    assert world.search(sources=["employee referral"]).results[0].source == "LinkedIn"


def test_applied_date_bounds(world):
    job = make_job(world.conn)
    make_person(world.conn, "Early Bird", dict(job=job, applied=at(0)))
    make_person(world.conn, "Late Comer", dict(job=job, applied=at(31)))  # 2024-02-01
    world.index()
    assert world.found(applied_after="2024-02-01") == {"Late Comer"}
    assert world.found(applied_before="2024-02-01") == {"Early Bird"}
    assert world.found(applied_after="2023-12-01", applied_before="2024-01-02") == {"Early Bird"}


# --------------------------------------------------------------------------- person filters


def test_exclude_strong_no(world):
    job = make_job(world.conn)
    make_person(world.conn, "Strong No", dict(job=job, cards=["yes", "strong_no"]))
    make_person(world.conn, "Plain No", dict(job=job, cards=["no"]))
    make_person(world.conn, "Draft Strong No", dict(job=job, cards=[("strong_no", "draft")]))
    world.index()
    assert world.found(exclude_strong_no=True) == {"Plain No", "Draft Strong No"}


def test_tags_all_required_case_and_whitespace_insensitive(world):
    job = make_job(world.conn)
    make_person(world.conn, "Tag Both", dict(job=job), tags=["Machine   Learning", "Python"])
    make_person(world.conn, "Tag One", dict(job=job), tags=["python"])
    world.index()
    assert world.found(tags=["machine learning"]) == {"Tag Both"}
    assert world.found(tags=["PYTHON"]) == {"Tag Both", "Tag One"}
    assert world.found(tags=["python", " Machine Learning "]) == {"Tag Both"}
    assert world.found(query='"machine learning"') == {"Tag Both"}


def test_email_filter_is_exact_and_emails_are_not_keywords(world):
    job = make_job(world.conn)
    make_person(
        world.conn, "Quinn Quiet", dict(job=job), emails=["zz.top@mailbox.test", "q@other.test"]
    )
    make_person(world.conn, "Rob Round", dict(job=job), emails=["rob@mailbox.test"])
    world.index()
    assert world.found(emails=[" ZZ.Top@Mailbox.test"]) == {"Quinn Quiet"}
    assert world.found(emails=["q@other.test", "rob@mailbox.test"]) == {"Quinn Quiet", "Rob Round"}
    assert world.found(emails=["top@mailbox.test"]) == set()
    assert world.found(query="mailbox") == set()
    assert world.found(query="zz") == set()


def test_people_merge_across_connections_by_email(world):
    job = make_job(world.conn, "Engineer")
    job2 = make_job(world.conn2, "Analyst")
    make_person(
        world.conn, "Mo Merged", dict(job=job, last_activity=at(1)), emails=["Mo@Example.com"]
    )
    make_person(
        world.conn2, "Mo Merged", dict(job=job2, last_activity=at(2)), emails=["mo@example.com "]
    )
    world.index()
    page = world.search()
    assert page.total == 1
    row = page.results[0]
    assert row.origins == ["greenhouse", "lever"]
    assert row.job_title == "Analyst"
    assert world.found(job_ids=[job.id]) == {"Mo Merged"}


def test_people_merge_across_connections_by_phone_and_gmail_folding(world):
    world.conn2.settings = {"default_phone_country": "GB"}
    job, job2 = make_job(world.conn, "Engineer"), make_job(world.conn2, "Analyst")
    make_person(world.conn, "Pho Ne", dict(job=job), emails=["pho@a.io"],
                phones=["+44 20 7946 0958"])
    make_person(world.conn2, "Pho Ne", dict(job=job2), emails=["pho@b.io"],
                phones=["020 7946 0958"])
    make_person(world.conn, "Gee Mail", dict(job=job), emails=["gee.mail@gmail.com"])
    make_person(world.conn2, "Gee Mail", dict(job=job2), emails=["GeeMail+jobs@googlemail.com"])
    make_person(world.conn2, "Not Gmail", dict(job=job2), emails=["gee.mail@corp.io"])
    world.index()
    rows = {r.name: r for r in world.search().results}
    assert sorted(rows) == ["Gee Mail", "Not Gmail", "Pho Ne"]
    assert rows["Pho Ne"].origins == rows["Gee Mail"].origins == ["greenhouse", "lever"]
    assert rows["Not Gmail"].origins == ["lever"]
    # Every record's applications are on the one person.
    assert world.found(job_ids=[job.id]) == world.found(job_ids=[job2.id]) - {"Not Gmail"}


def test_an_admin_split_shows_two_people_and_survives_reindexing(world):
    job, job2 = make_job(world.conn, "Engineer"), make_job(world.conn2, "Analyst")
    make_person(world.conn, "Sam Same", dict(job=job), emails=["sam@x.io"])
    other = make_person(world.conn2, "Sam Other", dict(job=job2), emails=["sam@x.io"])
    world.index()
    assert world.search().total == 1
    split_candidate(world.db, other.id, by="admin")
    world.db.commit()
    index_pending(world.session_factory, world.backend)
    assert sorted(r.origins for r in world.search().results) == [["greenhouse"], ["lever"]]
    world.index()  # a re-sync touches both records again: the split holds
    assert world.found() == {"Sam Same", "Sam Other"}


# --------------------------------------------------------------------------- resume text


def test_has_resume_text_filter_and_row_flag(world):
    job = make_job(world.conn, "Engineer")
    secret = make_job(world.conn, "Secret", confidential=True, team=[("boss", "hiring_manager")])
    make_person(world.conn, "Tex Text", dict(job=job, resume_text="kafka streams"))
    scan = make_person(world.conn, "Ima Scan", dict(job=job))
    attach_file(scan, IMAGE_ONLY.read_bytes(), "scan.pdf", "application/pdf")
    make_person(world.conn, "Noah File", dict(job=job))
    make_person(world.conn, "Conf Only", dict(job=job), dict(job=secret, resume_text="cv"))
    world.index()
    assert world.found(has_resume_text=True) == {"Tex Text"}
    assert world.found(has_resume_text=False) == {"Ima Scan", "Noah File", "Conf Only"}
    assert world.found(world.viewer("boss"), has_resume_text=True) == {"Tex Text", "Conf Only"}
    flags = {r.name: r.has_resume_text for r in world.search().results}
    assert flags == {"Tex Text": True, "Ima Scan": False, "Noah File": False, "Conf Only": False}


def test_has_resume_text_must_be_a_boolean(world):
    with pytest.raises(InvalidQuery) as err:
        SearchRequest.from_dict({"has_resume_text": "maybe"})
    assert err.value.field == "has_resume_text"
    assert SearchRequest.from_dict({"has_resume_text": "false"}).to_dict() == {
        "has_resume_text": False
    }


# --------------------------------------------------------------------------- last in process


def test_last_in_process_bounds_are_utc_days_and_timestamps(world):
    job = make_job(world.conn)
    make_person(
        world.conn, "Midnight Exact", dict(job=job, last_activity=at(69))
    )  # 2024-03-10T00:00
    make_person(world.conn, "Just Before", dict(job=job, last_activity=at(69, hours=-1 / 3600)))
    world.index()
    assert world.found(last_in_process_before="2024-03-10") == {"Just Before"}
    assert world.found(last_in_process_after="2024-03-10") == {"Midnight Exact"}
    assert world.found(last_in_process_after="2024-03-09T23:59:59Z") == {
        "Midnight Exact",
        "Just Before",
    }
    assert world.found(last_in_process_before="2024-03-10T00:00:00.000001+00:00") == {
        "Midnight Exact",
        "Just Before",
    }
    assert world.found(last_in_process_after="2024-03-09T23:00:00-01:00") == {"Midnight Exact"}
    assert world.found(last_in_process_after="2024-03-10T01:00:00+02:00") == {
        "Midnight Exact",
        "Just Before",
    }


def test_last_in_process_is_the_newest_seen_application(world):
    make_person(
        world.conn,
        "Two Apps",
        dict(job=make_job(world.conn), last_activity=at(10)),
        dict(job=make_job(world.conn), last_activity=at(40)),
    )
    world.index()
    assert world.search().results[0].last_in_process == at(40)
    assert world.found(last_in_process_before="2024-02-01") == set()


# --------------------------------------------------------------------------- columns


def test_columns_come_from_the_most_recent_application_not_the_matching_one(world):
    old = make_job(world.conn, "Site Reliability Engineer")
    new = make_job(world.conn, "Engineering Manager")
    make_person(
        world.conn,
        "Colin Columns",
        dict(
            job=old,
            reached="onsite",
            rejection="Other candidate hired",
            sources=["Referral"],
            last_activity=at(10),
        ),
        dict(
            job=new,
            reached="recruiter_screen",
            rejection="Withdrew",
            sources=["LinkedIn"],
            last_activity=at(20),
        ),
    )
    world.index()
    row = world.search(reached_stage="onsite", job_ids=[old.id]).results[0]
    assert row.job_title == "Engineering Manager"
    assert (row.stage, row.milestone) == ("Recruiter Screen", "recruiter_screen")
    assert (row.source, row.rejection_reason) == ("LinkedIn", "Withdrew")
    assert row.last_in_process == at(20)


def test_person_fields_on_rows(world):
    job = make_job(world.conn)
    cand = make_person(
        world.conn,
        "Fran Fields",
        dict(job=job),
        title="Staff Engineer",
        company="Initech",
        location="Lyon, France",
    )
    make_candidate(
        world.conn2,
        "Frances Fields",
        emails=["fran.fields@example.com"],
        remote_updated_at=at(-100),
    )
    world.index()
    row = world.search().results[0]
    assert (row.name, row.title, row.company, row.location) == (
        "Fran Fields",
        "Staff Engineer",
        "Initech",
        "Lyon, France",
    )
    assert row.emails == ["fran.fields@example.com"]
    assert row.person_id == world.db.get(Candidate, cand.id).person_id


# --------------------------------------------------------------------------- keywords


@pytest.fixture
def keywords(world):
    """People whose words sit in different places: name, title, tags, job titles, resumes."""
    java = make_job(world.conn, "Java Developer")
    make_person(world.conn, "Zoë Ångström", dict(job=java), title="Backend Engineer")
    make_person(
        world.conn,
        "Kai Kafka",
        dict(
            job=make_job(world.conn, "Data Engineer"),
            resume_text="Built streaming pipelines with Apache Kafka and Python.",
        ),
    )
    make_person(
        world.conn,
        "Pia Python",
        dict(job=make_job(world.conn, "Scientist")),
        tags=["Python"],
        company="Snake Oil Inc",
    )
    make_person(
        world.conn, "Jon Java", dict(job=java, resume_text="Senior Java engineer; python scripting")
    )
    world.index()


@pytest.mark.parametrize(
    "query, expected",
    [
        ("zoe", {"Zoë Ångström"}),
        ("ZOË angstrom", {"Zoë Ångström"}),
        ("python", {"Kai Kafka", "Pia Python", "Jon Java"}),
        ("python AND kafka", {"Kai Kafka"}),
        ("python kafka", {"Kai Kafka"}),
        ("kafka OR snake", {"Kai Kafka", "Pia Python"}),
        ("python NOT kafka", {"Pia Python", "Jon Java"}),
        ("python -java", {"Kai Kafka", "Pia Python"}),
        ("java", {"Zoë Ångström", "Jon Java"}),
        ('"streaming pipelines"', {"Kai Kafka"}),
        ('"pipelines streaming"', set()),
        ("stream*", {"Kai Kafka"}),
        ("strea", set()),
        ("(kafka OR oil) AND python", {"Kai Kafka", "Pia Python"}),
        ("NOT python", {"Zoë Ångström"}),
        ("backend engineer", {"Zoë Ångström"}),  # title + job title words across texts
        ("kai pipelines", {"Kai Kafka"}),  # name AND resume text
    ],
)
def test_keyword_syntax(world, keywords, query, expected):
    assert world.found(query=query) == expected


def test_keyword_terms_may_match_in_different_texts(world):
    make_person(
        world.conn,
        "Tess Texts",
        dict(job=make_job(world.conn, "Rust Engineer")),
        dict(job=make_job(world.conn, "Go Engineer"), resume_text="loves haskell"),
    )
    world.index()
    assert world.found(query="rust AND haskell") == {"Tess Texts"}
    assert world.found(query='"rust engineer" AND tess') == {"Tess Texts"}


def test_bad_keyword_syntax_is_an_invalid_query(world):
    make_person(world.conn, "Anyone", dict(job=make_job(world.conn)))
    world.index()
    with pytest.raises(InvalidQuery) as err:
        world.search(query='"unclosed')
    assert err.value.field == "query"


def test_relevance_ranks_stronger_matches_first(world):
    job = make_job(world.conn, "Clerk")
    make_person(
        world.conn, "Rosa Resume", dict(job=job, resume_text="some golang", last_activity=at(50))
    )
    make_person(world.conn, "Golang Gopher", dict(job=job, last_activity=at(1)))
    for i in range(6):  # filler, so the term is rare enough to score
        make_person(world.conn, f"Filler {i}", dict(job=job))
    world.index()
    assert world.names(query="golang", sort="relevance") == ["Golang Gopher", "Rosa Resume"]
    assert world.names(query="golang", sort="last_in_process") == ["Rosa Resume", "Golang Gopher"]
    assert all(r.score is not None for r in world.search(query="golang", sort="relevance").results)


def test_rows_show_the_same_keyword_score_in_any_order(world):
    job = make_job(world.conn, "Golang Developer")
    other = make_job(world.conn, "Clerk")
    make_person(world.conn, "Rosa Resume", dict(job=other, resume_text="golang and rust"))
    make_person(world.conn, "Golang Gopher", dict(job=other, last_activity=at(3)))
    make_person(world.conn, "Job Title Only", dict(job=job, last_activity=at(5)))
    make_person(world.conn, "Rust Only", dict(job=other, resume_text="rust", last_activity=at(7)))
    for i in range(6):  # filler, so the terms are rare enough to score
        make_person(world.conn, f"Filler {i}", dict(job=other))
    world.index()
    for query in ("golang", "golang OR rust", "golang -java"):
        ranked = {r.name: r.score for r in world.search(query=query, sort="relevance").results}
        recent = world.search(query=query, sort="last_in_process").results
        recent = {r.name: r.score for r in recent}
        assert ranked == recent and len(ranked) >= 3
        assert all(score is not None for score in recent.values())


# --------------------------------------------------------------------------- paging


@pytest.fixture
def crowd(world):
    job = make_job(world.conn, "Support Engineer")
    for i in range(13):
        # Ties on purpose: four people share each activity day.
        make_person(
            world.conn,
            f"Crowd {i:02d}",
            dict(job=job, last_activity=at(i // 4), resume_text="support " * (1 + i % 3)),
        )
    make_person(world.conn, "Never Active", dict(job=job, last_activity=None, applied=None))
    world.index()


@pytest.mark.parametrize(
    "filters",
    [
        {},
        {"sort": "last_in_process"},
        {"query": "support", "sort": "relevance"},
        {"query": "support"},
        {"query": "support", "sort": "last_in_process"},
    ],
)
def test_pages_concatenate_to_the_full_ordered_list(world, crowd, filters):
    full = [r.person_id for r in world.search(**filters).results]
    assert len(full) == 14
    seen, cursor, totals = [], None, set()
    while True:
        page = (
            world.search(limit=4, cursor=cursor, **filters)
            if cursor
            else world.search(limit=4, **filters)
        )
        seen += [r.person_id for r in page.results]
        totals.add(page.total)
        cursor = page.next_cursor
        if not cursor:
            break
    assert seen == full
    assert totals == {14}


def test_recency_order_with_ties_and_missing_activity(world, crowd):
    rows = world.search(sort="last_in_process").results
    keys = [(r.last_in_process, r.person_id) for r in rows]
    assert rows[-1].name == "Never Active"
    dated = keys[:-1]
    assert dated == sorted(dated, key=lambda k: (-k[0].timestamp(), k[1]))


def test_last_page_has_no_cursor_and_a_cursor_past_the_end_is_empty(world, crowd):
    page = world.search(limit=14, sort="last_in_process")
    assert page.next_cursor is None
    last = page.results[-1]
    beyond = encode_cursor(["last_in_process", -(2**62), last.person_id])
    page = world.search(limit=5, cursor=beyond, sort="last_in_process")
    assert page.results == [] and page.total == 14 and page.next_cursor is None


def test_cursor_from_another_order_is_rejected(world, crowd):
    cursor = world.search(limit=2, sort="last_in_process").next_cursor
    with pytest.raises(InvalidQuery) as err:
        world.search(limit=2, cursor=cursor, query="support")
    assert err.value.field == "cursor"


def test_search_is_scoped_to_the_viewers_team(world):
    other = ConnectionFactory(name="other-team-ats")
    make_person(other, "Foreign Fay", dict(job=make_job(other)))
    make_person(world.conn, "Home Hank", dict(job=make_job(world.conn)))
    world.index()
    assert world.found() == {"Home Hank"}
    assert world.found(world.viewer(team=other.team)) == {"Foreign Fay"}


# --------------------------------------------------------------------------- facets


def test_facet_counts_people_matching_the_search(world):
    backend_job = make_job(world.conn, "Backend")
    frontend_job = make_job(world.conn, "Frontend")
    make_person(
        world.conn,
        "Alpha",
        dict(
            job=backend_job,
            reached="onsite",
            rejection="Other candidate hired",
            sources=["LinkedIn"],
        ),
        dict(
            job=frontend_job,
            reached="recruiter_screen",
            rejection="Not a fit",
            sources=["LinkedIn", "Referral"],
        ),
        tags=["Python", "Go"],
    )
    make_person(
        world.conn,
        "Beta",
        dict(
            job=backend_job, reached="offer", rejection="Other candidate hired", sources=["Indeed"]
        ),
        tags=["python"],
    )
    make_person(
        world.conn, "Gamma", dict(job=frontend_job, reached="application_review"), tags=["Java"]
    )
    make_person(world.conn, "Olga Open", dict(job=backend_job, status="open", reached="offer"))
    world.index()
    counts = world.facets()
    assert counts["job"] == {"Backend": 2, "Frontend": 2}
    assert counts["rejection_reason"] == {"Other candidate hired": 2, "Not a fit": 1}
    assert counts["source"] == {"LinkedIn": 1, "Referral": 1, "Indeed": 1}
    assert counts["tag"] == {"Python": 2, "Go": 1, "Java": 1}
    assert counts["milestone"] == {
        "Application review": 3,
        "Recruiter screen": 2,
        "Hiring manager screen": 2,
        "Assessment": 2,
        "Onsite": 2,
        "Offer": 1,
    }
    filtered = world.facets(tags=["python"])
    assert filtered["job"] == {"Backend": 2, "Frontend": 1}
    assert world.facets(include_active=True)["job"] == {"Backend": 3, "Frontend": 2}


def test_facet_values_feed_the_filters(world):
    job = make_job(world.conn, "Backend")
    make_person(
        world.conn,
        "Alpha",
        dict(job=job, rejection="Other  Candidate Hired", sources=["Employee Referral"]),
        tags=["Machine Learning"],
    )
    world.index()
    result = facets(world.backend, SearchRequest(), world.viewer())
    by_facet = {name: values[0].value for name, values in result.items() if values}
    assert world.found(job_ids=[int(by_facet["job"])]) == {"Alpha"}
    assert world.found(rejection_reasons=[by_facet["rejection_reason"]]) == {"Alpha"}
    assert world.found(sources=[by_facet["source"]]) == {"Alpha"}
    assert world.found(tags=[by_facet["tag"]]) == {"Alpha"}
    assert world.found(reached_stage=by_facet["milestone"]) == {"Alpha"}


def test_incremental_change_is_searchable(world):
    job = make_job(world.conn, "Engineer")
    cand = make_person(world.conn, "Chang Ed", dict(job=job, reached="recruiter_screen"))
    world.index()
    assert world.found(reached_stage="onsite") == set()
    make_application(cand, make_job(world.conn, "Architect"), reached="onsite")
    enqueue(world.db, cand)
    world.db.commit()
    index_pending(world.session_factory, world.backend)
    assert world.found(reached_stage="onsite") == {"Chang Ed"}
