"""The seeded dataset generator and its Greenhouse v3 rendering: deterministic, realistic, valid."""
from __future__ import annotations

import io
import json
import random
import re
from collections import Counter, defaultdict
from datetime import datetime, timezone
from importlib import resources

import pytest
from pdfminer.high_level import extract_text
from pdfminer.pdfdocument import PDFDocument
from pdfminer.pdfparser import PDFParser

from rediscover.core.milestones import StageSpec, default_milestones
from rediscover.fakeats.dataset import (
    LOCATIONS,
    NAMES,
    SKILL_NAMES,
    STORY_SLUGS,
    Dataset,
    generate,
)
from rediscover.fakeats.greenhouse_render import (
    ID_BASE,
    RESOURCES,
    gh_id,
    pdf_encodable,
    render_greenhouse,
    render_pdf,
)

TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$")
DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


@pytest.fixture(scope="module")
def ds500() -> Dataset:
    return generate(500)


@pytest.fixture(scope="module")
def gh300() -> dict:
    return render_greenhouse(generate(300))


def _humans(ds: Dataset) -> dict[int, list[int]]:
    """Record ids per human (duplicate records share the first record's id)."""
    humans: dict[int, list[int]] = defaultdict(list)
    for p in ds.people:
        humans[p.same_as or p.id].append(p.id)
    return humans


def _apps_by_human(ds: Dataset) -> dict[int, list]:
    record_to_human = {p.id: p.same_as or p.id for p in ds.people}
    out: dict[int, list] = defaultdict(list)
    for app in ds.applications:
        out[record_to_human[app.person_id]].append(app)
    return out


# ---------------------------------------------------------------------------- determinism


def test_same_seed_renders_identically():
    first = render_greenhouse(generate(80, seed=11))
    random.seed(12345)  # the global random state must not matter
    second = render_greenhouse(generate(80, seed=11))
    assert first == second


def test_different_seed_renders_differently():
    a = render_greenhouse(generate(80, seed=1))
    b = render_greenhouse(generate(80, seed=2))
    assert a["candidates"] != b["candidates"]
    assert a["files"] != b["files"]


def test_now_moves_the_history_and_must_be_aware():
    later = datetime(2027, 5, 1, tzinfo=timezone.utc)
    ds = generate(40, now=later)
    assert max(a.created_at for a in ds.applications) <= later
    zoe = ds.story("silver_backend")
    assert (later.date() - zoe.last_activity_at.date()).days == 426
    with pytest.raises(ValueError):
        generate(5, now=datetime(2026, 1, 1))


def test_tiny_and_empty_datasets():
    assert generate(0).people == []
    assert [p.story for p in generate(3).people] == list(STORY_SLUGS[:3])


# ---------------------------------------------------------------------------- shapes


def _fixture_rows() -> dict[str, list[dict]]:
    """The bundled v3 fixtures (copies of shared/ats/fixtures/greenhouse/v3), per resource."""
    folder = resources.files("rediscover.fakeats").joinpath("data/greenhouse")
    rows: dict[str, list[dict]] = defaultdict(list)
    for entry in folder.iterdir():
        if entry.name.endswith(".json"):
            rows[entry.name.rsplit("_page", 1)[0]] += json.loads(entry.read_text("utf-8"))
    return rows


def test_every_resource_is_rendered(gh300):
    assert set(gh300) == set(RESOURCES) | {"files"}
    assert all(gh300[name] for name in RESOURCES)


@pytest.mark.parametrize("resource", RESOURCES)
def test_rows_have_the_fixture_keys(gh300, resource):
    fixture = _fixture_rows()[resource]
    assert fixture, f"no bundled fixture for {resource}"
    expected = set(fixture[0])
    assert {frozenset(row) for row in gh300[resource]} == {frozenset(expected)}
    for key, value in fixture[0].items():  # nested objects keep their keys too
        if isinstance(value, dict) and not key.endswith("custom_fields"):
            assert all(set(row[key]) == set(value) for row in gh300[resource]), key


@pytest.mark.parametrize("resource", RESOURCES)
def test_ids_are_unique_and_listed_newest_first(gh300, resource):
    ids = [row["id"] for row in gh300[resource]]
    assert all(isinstance(i, int) for i in ids)
    assert ids == sorted(set(ids), reverse=True)


def test_id_ranges_do_not_overlap(gh300):
    spans = sorted((min(r["id"] for r in gh300[name]), max(r["id"] for r in gh300[name]), name)
                   for name in RESOURCES if name in ID_BASE)
    for (_, high, name), (low, _, other) in zip(spans, spans[1:]):
        assert high < low, (name, other)


def test_timestamps_and_dates_use_the_v3_format(gh300):
    for name in RESOURCES:
        for row in gh300[name]:
            for key, value in row.items():
                if key.endswith("_at") and value is not None:
                    assert TIMESTAMP.match(value), (name, key, value)
                if key.endswith("_on"):
                    assert DATE.match(value), (name, key, value)


def test_enumerations(gh300):
    assert {a["status"] for a in gh300["applications"]} == {"in_process", "rejected", "hired"}
    ratings = Counter((c["status"], c["candidate_rating"]) for c in gh300["scorecards"])
    assert {r for s, r in ratings if s == "complete"} == {
        "strong_no", "no", "yes", "strong_yes", "no_decision"}
    assert {r for s, r in ratings if s == "draft"} == {None}
    offer_statuses = {o["status"] for o in gh300["offers"]}
    assert offer_statuses <= {"Created", "Accepted", "Rejected", "Deprecated"}
    assert {r["type"]["key"] for r in gh300["rejection_reasons"]} == {
        "WE_REJECTED_THEM", "THEY_REJECTED_US", "NONE_SPECIFIED"}
    assert {o["type"] for o in gh300["job_owners"]} <= {"recruiter", "coordinator", "sourcer"}


def test_rendered_data_is_plain_json(gh300):
    json.dumps({k: v for k, v in gh300.items() if k != "files"})
    assert all(isinstance(k, int) and isinstance(v, bytes) for k, v in gh300["files"].items())


def test_fixture_reasons_and_sources_are_reused(gh300):
    reasons = {r["name"]: r["type"]["key"] for r in gh300["rejection_reasons"]}
    for fixture in _fixture_rows()["rejection_reasons"]:
        assert reasons[fixture["name"]] == fixture["type"]["key"]
    sources = {s["name"] for s in gh300["sources"]}
    assert {s["name"] for s in _fixture_rows()["sources"]} <= sources


# ---------------------------------------------------------------------------- integrity


def _ids(rows) -> set[int]:
    return {r["id"] for r in rows}


def test_references_resolve(gh300):
    g = gh300
    candidates, jobs, users = _ids(g["candidates"]), _ids(g["jobs"]), _ids(g["users"])
    apps = {a["id"]: a for a in g["applications"]}
    stage_job = {s["id"]: s["job_id"] for s in g["job_interview_stages"]}
    reasons, sources = _ids(g["rejection_reasons"]), _ids(g["sources"])
    tags = _ids(g["candidate_tags"])
    for a in apps.values():
        assert a["candidate_id"] in candidates
        assert (a["job_id"] is None) == a["prospect"]
        assert a["job_id"] is None or a["job_id"] in jobs
        assert a["stage_id"] is None or stage_job[a["stage_id"]] == a["job_id"]
        assert a["source_id"] is None or a["source_id"] in sources
        assert a["rejection_reason_id"] is None or a["rejection_reason_id"] in reasons
        assert {a["recruiter_id"], a["coordinator_id"]} - {None} <= users
        assert set(a["prospective_job_ids"]) <= jobs
    for s in g["application_stages"]:
        assert stage_job[s["job_interview_stage_id"]] == apps[s["application_id"]]["job_id"]
    for c in g["scorecards"]:
        assert c["application_id"] in apps
        assert {c["interviewer_id"], c["submitter_id"]} - {None} <= users
    for d in g["rejection_details"]:
        assert apps[d["application_id"]]["status"] == "rejected"
        assert d["rejection_reason_id"] == apps[d["application_id"]]["rejection_reason_id"]
        assert d["rejected_by_id"] in users
    for t in g["applied_candidate_tags"]:
        assert t["candidate_id"] in candidates and t["candidate_tag_id"] in tags
    for f in g["attachments"]:
        assert f["candidate_id"] == apps[f["application_id"]]["candidate_id"]
        assert f["url"] == f"/v3/attachments/{f['id']}/download"
    assert set(g["files"]) == _ids(g["attachments"])
    for o in g["offers"]:
        assert apps[o["application_id"]]["job_id"] == o["job_id"]
        assert apps[o["application_id"]]["candidate_id"] == o["candidate_id"]
    for name in ("job_hiring_managers", "job_owners", "user_job_permissions"):
        assert all(r["job_id"] in jobs and r["user_id"] in users for r in g[name])


def test_candidate_tags_match_the_join_rows(gh300):
    names = {t["id"]: t["name"] for t in gh300["candidate_tags"]}
    joined: dict[int, set[str]] = defaultdict(set)
    for row in gh300["applied_candidate_tags"]:
        joined[row["candidate_id"]].add(names[row["candidate_tag_id"]])
    for c in gh300["candidates"]:
        assert set(c["tags"]) == joined[c["id"]]


def test_stage_history_is_ordered_and_matches_the_application(gh300):
    history = defaultdict(list)
    for row in gh300["application_stages"]:
        history[row["application_id"]].append(row)
    sort_order = {s["id"]: s for s in gh300["job_interview_stages"]}
    for app in gh300["applications"]:
        rows = sorted(history[app["id"]], key=lambda r: r["id"])
        if app["prospect"]:
            assert rows == [] and app["stage_name"] is None
            continue
        assert rows, app["id"]
        orders = [sort_order[r["job_interview_stage_id"]]["sort_order"] for r in rows]
        assert orders == sorted(set(orders)) and orders[0] == 0
        for prev, nxt in zip(rows, rows[1:]):
            assert prev["entered_at"] < prev["exited_at"] == nxt["entered_at"]
        last = rows[-1]
        last_stage = sort_order[last["job_interview_stage_id"]]
        if app["status"] == "in_process":
            assert last["exited_at"] is None and last["current"] is True
            assert app["job_interview_stage_id"] == last["job_interview_stage_id"]
            assert app["stage_name"] == last_stage["name"]
        else:
            assert app["job_interview_stage_id"] is None and app["stage_id"] is None
            assert not any(r["current"] for r in rows)
        if app["status"] == "rejected":
            assert app["stage_name"] == last_stage["name"]
            assert app["rejected_at"] == last["exited_at"]
        if app["status"] == "hired":
            assert app["stage_name"] is None and last_stage["name"] == "Offer"


def test_scorecards_sit_inside_their_stage_visit(ds500):
    visits = {(a.id, v.stage_id): v for a in ds500.applications for v in a.visits}
    for card in ds500.scorecards:
        visit = visits[(card.application_id, card.stage_id)]
        assert visit.entered_at < card.interviewed_at < (visit.exited_at or ds500.now)
        if card.submitted_at:
            assert card.interviewed_at < card.submitted_at <= (visit.exited_at or ds500.now)


def test_times_are_consistent(ds500):
    for app in ds500.applications:
        if app.job_id:
            job = ds500.job(app.job_id)
            end = job.closed_at or ds500.now
            assert job.opened_at <= app.created_at <= end
            assert app.closed_at is None or app.closed_at <= end
        assert app.created_at <= app.last_activity_at <= ds500.now
    for person in ds500.people:
        assert person.created_at <= person.last_activity_at <= person.updated_at
    assert all(f.created_at <= ds500.now for f in ds500.resumes)
    assert all(o.created_at <= o.updated_at for o in ds500.offers)


def test_stage_names_map_to_the_intended_milestones(ds500):
    assert 15 <= len(ds500.jobs) <= 30
    for job in ds500.jobs:
        assert len(job.stages) == 6
        specs = [StageSpec(s.name, s.sort_order) for s in job.stages]
        assert default_milestones(specs) == [s.milestone for s in job.stages], job.title
        assert re.match(r"^[A-Z]+-\d{3}$", job.requisition_id)


def test_confidential_jobs_are_seen_only_through_their_team(ds500):
    confidential = [j for j in ds500.jobs if j.confidential]
    assert len(confidential) >= 2
    admin = next(u for u in ds500.users if u.site_admin)
    for job in confidential:
        assert job.hiring_manager_ids and job.recruiter_ids and admin.id not in job.team_ids
        apps = {a.id for a in ds500.applications if a.job_id == job.id}
        interviewers = {c.interviewer_id for c in ds500.scorecards if c.application_id in apps}
        assert interviewers <= set(job.team_ids)


# ---------------------------------------------------------------------------- realism


def test_funnel_and_statuses_for_500_people(ds500):
    apps = [a for a in ds500.applications if not a.prospect]
    reached = Counter(a.furthest_sort_order for a in apps)
    onsite = (reached[4] + reached[5]) / len(apps)
    offer = reached[5] / len(apps)
    assert reached[0] + reached[1] > 0.6 * len(apps)  # most stop at review or a screen
    assert 0.05 <= onsite <= 0.16
    assert 0.01 <= offer <= 0.06
    status = Counter(a.status for a in apps)
    assert status["rejected"] > 0.85 * len(apps)
    assert 10 <= status["open"] <= 60 and 3 <= status["hired"] <= 30


def test_people_mix_for_500_people(ds500):
    by_human = _apps_by_human(ds500)
    humans = _humans(ds500)
    assert len(humans) == 500
    prospect_only = [h for h in humans if by_human[h] and all(a.prospect for a in by_human[h])]
    private = [h for h, ids in humans.items() if any(ds500.people[i - 1].private for i in ids)]
    counts = Counter(len([a for a in by_human[h] if not a.prospect]) for h in humans)
    assert 5 <= len(prospect_only) <= 35
    assert 3 <= len(private) <= 25
    assert set(counts) <= {0, 1, 2, 3} and counts[1] > counts[2] > counts[3] > 0
    years = {a.created_at.year for a in ds500.applications}
    assert len(years) >= 6  # spread over six years


def test_duplicate_records_share_an_email_up_to_case_and_whitespace(gh300):
    by_email: dict[str, list[dict]] = defaultdict(list)
    for c in gh300["candidates"]:
        for e in c["email_addresses"]:
            by_email[e["value"].strip().lower()].append(e["value"])
    dupes = {k: v for k, v in by_email.items() if len(v) > 1}
    assert 4 <= len(dupes) <= 20  # ~3% of 300 people
    assert all(len(set(v)) > 1 for v in dupes.values())  # spelled differently each time


def test_scorecards_follow_the_outcome(ds500):
    reason = {r.id: r.name for r in ds500.rejection_reasons}
    score = {"strong_yes": 2, "yes": 1, "no_decision": 0, "no": -1, "strong_no": -2}
    by_reason: dict[str, list[int]] = defaultdict(list)
    apps = {a.id: a for a in ds500.applications}
    for card in ds500.scorecards:
        app = apps[card.application_id]
        if card.rating and app.status == "rejected" and card.stage_id == app.last_stage_id:
            by_reason[reason.get(app.rejection_reason_id)].append(score[card.rating])

    def mean(name: str) -> float:
        return sum(by_reason[name]) / len(by_reason[name])

    assert mean("Hired another candidate") > 0.6
    assert mean("Lacking skill(s)/qualification(s)") < 0
    onsite_plus = [a.id for a in ds500.applications if (a.furthest_sort_order or 0) >= 4]
    positive = [c for c in ds500.scorecards
                if c.application_id in onsite_plus and c.rating in ("yes", "strong_yes")]
    rated = [c for c in ds500.scorecards if c.application_id in onsite_plus and c.rating]
    assert len(positive) > 0.6 * len(rated)


def test_names_are_diverse_and_printable(ds500):
    names = {p.name for p in ds500.people}
    assert any(ch in "".join(names) for ch in "ëéøłöüçñ")
    assert all(pdf_encodable(n) for culture in NAMES for group in culture for n in group)
    assert all(pdf_encodable(loc[0]) for loc in LOCATIONS)
    messy = {a.location for a in ds500.applications if a.location}
    assert any(loc != loc.strip() or "\n" in loc for loc in messy)


def test_resumes_have_realistic_length_and_mention_the_tags(ds500):
    skill_tags = set(SKILL_NAMES.values())
    tags = {p.id: [t for t in p.tags if t in skill_tags] for p in ds500.people}
    resumes = [r for r in ds500.resumes if r.kind == "resume"]
    assert len(resumes) > 0.8 * len([a for a in ds500.applications if not a.prospect])
    for resume in resumes:
        assert 150 <= len(resume.text.split()) <= 600, resume.filename
        assert all(tag.lower() in resume.text.lower() for tag in tags[resume.person_id])


# ---------------------------------------------------------------------------- stories


def test_story_people_demonstrate_what_they_claim():
    ds = generate(60)
    by_human = _apps_by_human(ds)
    reason = {r.id: r.name for r in ds.rejection_reasons}

    def apps(slug: str) -> list:
        return by_human[ds.story(slug).id]

    zoe = ds.story("silver_backend")
    [old, silver] = apps("silver_backend")
    assert zoe.name == "Zoë Okonkwo" and {"Python", "Kafka"} <= set(zoe.tags)
    assert silver.furthest_sort_order == 5
    assert reason[silver.rejection_reason_id] == "Hired another candidate"
    assert (ds.now.date() - silver.rejected_at.date()).days == 426  # 14 months
    cards = [c.rating for c in ds.scorecards if c.application_id == silver.id]
    assert cards.count("strong_yes") >= 3 and "strong_no" not in cards
    assert any(a.status == "hired" for a in apps("hired"))
    assert ds.story("private").private
    assert any(a.status == "open" for a in apps("in_process"))
    [onsite] = apps("strong_no")
    assert "strong_no" in [c.rating for c in ds.scorecards if c.application_id == onsite.id]
    assert all(a.prospect and a.job_id is None for a in apps("prospect"))
    [designer] = apps("silver_designer")
    assert designer.furthest_sort_order == 4
    [vp] = apps("confidential")
    assert ds.job(vp.job_id).confidential
    twins = _humans(ds)[ds.story("duplicate").id]
    emails = [ds.people[i - 1].primary_email for i in twins]
    assert len(twins) == 2 and len(set(emails)) == 2
    assert len({e.strip().lower() for e in emails}) == 1


# ---------------------------------------------------------------------------- PDFs and speed


def test_pdfs_extract_to_the_resume_text():
    ds = generate(40)
    rendered = render_greenhouse(ds)
    sample = [r for r in ds.resumes if r.kind == "resume"][:6]
    sample.append(next(r for r in ds.resumes if r.person_id == ds.story("hired").id))
    for resume in sample:
        text = extract_text(io.BytesIO(rendered["files"][gh_id("attachments", resume.id)]))
        assert text.split() == resume.text.split()


def test_pdf_is_valid_multi_page_and_small():
    text = "Łukasz Wiśniewski — Çağrı Yılmaz (São Paulo) back\\slash\n" + "\n".join(
        f"line {i} with some words" for i in range(130))
    pdf = render_pdf(text, title="résumé (1).pdf")
    assert pdf.startswith(b"%PDF-1.4") and pdf.rstrip().endswith(b"%%EOF")
    document = PDFDocument(PDFParser(io.BytesIO(pdf)))
    assert type(document.xrefs[0]).__name__ == "PDFXRef"  # a real table, not the fallback scan
    for objid in document.xrefs[0].get_objids():
        assert pdf[document.xrefs[0].get_pos(objid)[1]:].startswith(b"%d 0 obj" % objid)
    extracted = extract_text(io.BytesIO(pdf))
    assert extracted.split() == text.split()
    assert pdf.count(b"/Type /Page ") == 3 and len(pdf) < 4000


