"""One hiring history, every vendor: the same silver-medalist searches find the same people.

A logical dataset (``fakeats.dataset.generate``) is rendered in each vendor's API shape,
served by that vendor's fake server, synced into its own store, indexed, and searched. Each
vendor must return the people Greenhouse returns (compared by email, then name).

To add a vendor: write its renderer and fake server, then add one ``Vendor`` row to
``VENDORS`` (and name in ``cannot`` the filters its API gives no data for, e.g. scorecards).
"""
from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import sessionmaker
from sync_support import FakeClock

from rediscover.core.db import make_engine, sqlite_url
from rediscover.core.models import Base, Candidate, Connection, Person, Team
from rediscover.fakeats import greenhouse as fake_gh
from rediscover.fakeats import lever as fake_lever
from rediscover.fakeats import icims as fake_icims
from rediscover.fakeats import smartrecruiters as fake_sr
from rediscover.fakeats.dataset import Dataset, generate
from rediscover.fakeats.greenhouse_render import render_greenhouse
from rediscover.fakeats.icims_render import render_icims
from rediscover.fakeats.lever_render import render_lever
from rediscover.fakeats.smartrecruiters_render import render_smartrecruiters
from rediscover.fakeats.server import serve_in_thread
from rediscover.indexer.backends.sqlite import SQLiteBackend
from rediscover.indexer.pipeline import index_pending
from rediscover.query.filters import SearchRequest, Viewer
from rediscover.query.search import search
from rediscover.sync.runner import run_sync

PEOPLE = 60
SEED = 11
DAY = 86400.0


@dataclass(frozen=True)
class Vendor:
    """One ATS as this test drives it: render, serve, connect."""

    ats: str
    render: Callable[[Dataset], dict[str, Any]]
    make_app: Callable[..., Any]  # (rendered, *, clock) -> WSGI app
    connection_fields: Callable[[str], dict[str, Any]]  # base URL -> Connection columns
    cannot: frozenset[str] = frozenset()  # search filters the vendor's API cannot feed


VENDORS: tuple[Vendor, ...] = (
    Vendor(
        ats="greenhouse", render=render_greenhouse, make_app=fake_gh.create_app,
        connection_fields=lambda base: {
            "base_url": f"{base}/v3", "token_url": f"{base}/token",
            "credentials": {"client_id": fake_gh.FIXTURE_CLIENT_ID,
                            "client_secret": fake_gh.FIXTURE_CLIENT_SECRET,
                            "user_id": fake_gh.FIXTURE_USER_ID}},
    ),
    Vendor(
        ats="lever", render=render_lever, make_app=fake_lever.create_app,
        connection_fields=lambda base: {
            "base_url": f"{base}/v1", "credentials": {"api_key": fake_lever.FIXTURE_API_KEY}},
    ),
    Vendor(
        ats="smartrecruiters", render=render_smartrecruiters, make_app=fake_sr.create_app,
        connection_fields=lambda base: {
            "base_url": base, "credentials": {"api_key": fake_sr.FIXTURE_API_KEY}},
        # The Candidate API has no scorecards (only an average rating).
        cannot=frozenset({"scorecard_ratio", "exclude_strong_no"}),
    ),
    Vendor(
        ats="icims", render=render_icims, make_app=fake_icims.create_app,
        connection_fields=lambda base: {
            "base_url": f"{base}/customers/{fake_icims.CUSTOMER_ID}",
            "token_url": f"{base}/oauth/token",
            "credentials": {"client_id": fake_icims.FIXTURE_CLIENT_ID,
                            "client_secret": fake_icims.FIXTURE_CLIENT_SECRET}},
        # No interview feedback and no tags; and a workflow shows its current status only,
        # so a first sync cannot tell how far a closed application got (README, iCIMS).
        cannot=frozenset({"scorecard_ratio", "exclude_strong_no", "tags", "reached_stage"}),
    ),
)
REFERENCE = VENDORS[0]


@dataclass
class Synced:
    """A vendor's store, synced from its fake server and indexed."""

    vendor: Vendor
    backend: SQLiteBackend
    team_id: int
    session_factory: sessionmaker


def sync_and_index(vendor: Vendor, dataset: Dataset, folder: Path,
                   sessions: sessionmaker | None = None, team: str = "Acme") -> Synced:
    """Serve ``dataset`` as ``vendor``, sync it into a store (new unless given), index it."""
    if sessions is None:
        engine = make_engine(sqlite_url(folder / f"{vendor.ats}.sqlite"))
        Base.metadata.create_all(engine)
        sessions = sessionmaker(engine, expire_on_commit=False)
    clock = FakeClock(start=dataset.now.timestamp() + DAY)  # the sync runs after the history
    base_url, stop = serve_in_thread(vendor.make_app(vendor.render(dataset), clock=clock))
    try:
        with sessions() as s:
            owner = s.scalar(select(Team).where(Team.name == team)) or Team(name=team)
            conn = Connection(team=owner, name=vendor.ats, ats=vendor.ats,
                              **vendor.connection_fields(base_url))
            s.add(conn)
            s.commit()
            conn_id, team_id = conn.id, owner.id
        run = run_sync(conn_id, sessions, clock=clock, sleep=clock.sleep)
        assert run.status == "succeeded", (vendor.ats, run.error)
    finally:
        stop()
    backend = SQLiteBackend(sessions.kw["bind"])
    backend.setup()
    index_pending(sessions, backend)
    return Synced(vendor, backend, team_id, sessions)


def people(synced: Synced, **filters: Any) -> list[str]:
    """Everyone a search finds (every page), by name, sorted.

    Names rather than emails: vendors keep different numbers of emails per person
    (SmartRecruiters one), and rows list what the person has.
    """
    request = SearchRequest.from_dict({**filters, "limit": 100})
    found: list[str] = []
    cursor = None
    while True:
        page = search(synced.backend, request.with_cursor(cursor), Viewer(team_id=synced.team_id))
        found += [" ".join(row.name.casefold().split()) for row in page.results]
        cursor = page.next_cursor
        if not cursor:
            return sorted(found)


@pytest.fixture(scope="module")
def dataset() -> Dataset:
    return generate(PEOPLE, seed=SEED)


@pytest.fixture(scope="module")
def stores(dataset, tmp_path_factory) -> Iterator[dict[str, Synced]]:
    folder = tmp_path_factory.mktemp("cross_vendor")
    synced = {v.ats: sync_and_index(v, dataset, folder) for v in VENDORS}
    yield synced
    for s in synced.values():
        s.session_factory.kw["bind"].dispose()


def _searches(ds: Dataset) -> list[tuple[str, dict[str, Any]]]:
    """Recruiter searches, with values taken from the dataset itself."""
    reason = next(r.name for r in ds.rejection_reasons if r.type == "we_rejected_them")
    source = ds.sources[0].name
    tag = next(t.name for t in ds.tags if sum(t.name in p.tags for p in ds.people) > 3)
    return [
        ("everyone", {}),
        ("reached onsite", {"reached_stage": "onsite"}),
        ("reached a screen", {"reached_stage": "recruiter_screen"}),
        ("reached offer", {"reached_stage": "offer"}),
        ("onsite, rejected for a reason", {"reached_stage": "onsite",
                                            "rejection_reasons": [reason]}),
        ("by source", {"sources": [source]}),
        ("by tag", {"tags": [tag]}),
        ("keywords", {"query": "python OR kafka OR figma"}),
        ("keyword and stage", {"query": "engineer", "reached_stage": "hiring_manager_screen"}),
        ("job title", {"job_title": "engineer"}),
        ("active included", {"include_active": True, "reached_stage": "assessment"}),
        ("quiet for a year", {"last_in_process_before": "2025-11-01"}),
        ("applied recently", {"applied_after": "2025-01-01"}),
        ("scorecards positive", {"scorecard_ratio": 0.5}),
        ("no strong no", {"exclude_strong_no": True, "reached_stage": "onsite"}),
        # Filters every vendor's API feeds, for those that cannot tell stages or tags.
        ("rejected for a reason", {"rejection_reasons": [reason]}),
        ("active included", {"include_active": True}),
        ("keyword and job title", {"query": "engineer", "job_title": "engineer"}),
        ("by source, quiet for a year", {"sources": [source],
                                         "last_in_process_before": "2025-11-01"}),
    ]


SCORECARD_FILTERS = frozenset({"scorecard_ratio", "exclude_strong_no"})


@pytest.mark.slow
@pytest.mark.parametrize("vendor", [v.ats for v in VENDORS[1:]])
def test_every_vendor_finds_the_people_greenhouse_finds(stores, dataset, vendor):
    ours, reference = stores[vendor], stores[REFERENCE.ats]
    checked = 0
    for label, filters in _searches(dataset):
        if set(filters) & ours.vendor.cannot:
            continue
        expected = people(reference, **filters)
        assert people(ours, **filters) == expected, label
        checked += bool(expected)
    assert checked >= 10  # the searches really found people, not empty sets agreeing


@pytest.mark.slow
def test_icims_cannot_tell_how_far_a_closed_application_got(stores):
    """iCIMS shows a workflow's current status only: on a first sync a rejected application
    has no stage, so "reached" finds no one Greenhouse finds (README, iCIMS; later syncs add
    each status they see, tests/sync/test_icims.py)."""
    icims, reference = stores["icims"], stores[REFERENCE.ats]
    for stage in ("recruiter_screen", "onsite"):
        assert people(reference, reached_stage=stage)
        assert people(icims, reached_stage=stage) == []


@pytest.mark.slow
def test_searches_are_not_vacuous(stores, dataset):
    reference = stores[REFERENCE.ats]
    everyone = people(reference)
    onsite = people(reference, reached_stage="onsite")
    assert len(everyone) > 40 and 0 < len(onsite) < len(everyone)


# ---------------------------------------------------------------------- one person, two ATSs


def test_same_email_in_greenhouse_and_lever_is_one_person_with_both_histories(tmp_path):
    ds = generate(40, seed=3)
    # Lever has the same people with their emails in another case (and padded).
    shouting = generate(40, seed=3)
    for person in shouting.people:
        for email in person.emails:
            object.__setattr__(email, "value", f" {email.value.upper()} ")
    gh = sync_and_index(VENDORS[0], ds, tmp_path)
    both = sync_and_index(VENDORS[1], shouting, tmp_path, sessions=gh.session_factory)

    assert people(both) == people(gh)  # no one twice
    with both.session_factory() as s:
        for person in s.scalars(select(Person)):
            cands = s.scalars(select(Candidate).where(Candidate.person_id == person.id)).all()
            atss = {c.connection.ats for c in cands}
            # Lever has no private flag: a private Greenhouse candidate is not in it at all.
            if any(c.applications and c.emails and not c.is_private
                   for c in cands if c.connection.ats == "greenhouse"):
                assert atss == {"greenhouse", "lever"}, person.id
        story = shouting.people[0]
        email = story.emails[0].value.strip().lower()
        merged = [c for c in s.scalars(select(Candidate))
                  if any(e.normalized == email for e in c.emails)]
        assert len({c.person_id for c in merged}) == 1
        gh_apps = sum(len(c.applications) for c in merged if c.connection.ats == "greenhouse")
        lever_apps = sum(len(c.applications) for c in merged if c.connection.ats == "lever")
        assert gh_apps and gh_apps == lever_apps  # both histories, side by side
