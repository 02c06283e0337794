"""The Core row loader (what build_documents uses) feeds the builder exactly what the ORM would."""
from __future__ import annotations

from sqlalchemy import insert, select

from rediscover.core.models import Connection, Person, Team
from rediscover.fakeats.dataset import generate
from rediscover.fakeats.greenhouse import FIXTURE_CLIENT_ID, FIXTURE_CLIENT_SECRET, create_app
from rediscover.fakeats.greenhouse_render import render_greenhouse
from rediscover.fakeats.server import serve_in_thread
from rediscover.indexer import build
from rediscover.indexer.merge import merge_all
from rediscover.indexer.rowgraph import load_people
from rediscover.sync.runner import run_sync


def _synced_store(session_factory) -> list[int]:
    base_url, stop = serve_in_thread(create_app(render_greenhouse(generate(120, seed=3)),
                                                rate_limit=100_000))
    try:
        with session_factory.begin() as s:
            team_id = s.execute(insert(Team).values(name="t")).inserted_primary_key[0]
            s.add(Connection(team_id=team_id, name="gh", ats="greenhouse", base_url=f"{base_url}/v3",
                             token_url=f"{base_url}/token", settings={"per_page": 500},
                             credentials={"client_id": FIXTURE_CLIENT_ID,
                                          "client_secret": FIXTURE_CLIENT_SECRET, "user_id": "101"}))
        conn_id = 1
        assert run_sync(conn_id, session_factory, full=True).status == "succeeded"
    finally:
        stop()
    with session_factory.begin() as s:
        merge_all(s)
    with session_factory() as s:
        return list(s.scalars(select(Person.id).order_by(Person.id)))


def test_row_graph_documents_equal_orm_documents(session_factory):
    ids = _synced_store(session_factory)
    with session_factory() as s:  # the reference: ORM instances, relationships loaded lazily
        people = [s.get(Person, i) for i in ids]
        hashes = {f.content_hash for p in people for c in p.candidates for f in c.attachments}
        texts = build._texts(s, hashes)
        orm = {p.id: build.person_document(p, texts) for p in people}
    with session_factory() as s:
        fast = build.build_documents(s, ids)  # the row loader
    assert len(ids) > 100
    assert sum(doc is not None for doc in orm.values()) > 80  # most people are searchable
    assert fast == orm


def test_row_graph_wires_relations_and_properties(session_factory):
    ids = _synced_store(session_factory)
    with session_factory() as s:
        people = load_people(s, ids[:20])
    candidate = next(c for p in people for c in p.candidates if c.applications)
    assert candidate.name == f"{candidate.first_name} {candidate.last_name}".strip()
    assert candidate.connection.name == "gh"
    app = candidate.applications[0]
    assert app.candidate_id == candidate.id and (app.job is None or app.job.id == app.job_id)
    entered = [e.entered_at for e in app.stage_events]
    assert entered == sorted(entered, key=lambda d: (d is not None, d))
