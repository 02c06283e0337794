"""``rediscover demo``: a fake Greenhouse in-process, a real sync and index, then the search page."""
from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

import click
from sqlalchemy import select

from rediscover.core import accounts
from rediscover.core.enums import UserRole
from rediscover.core.models import Connection, Sequence
from rediscover.query import search as search_mod
from rediscover.query.filters import SearchRequest, Viewer
from rediscover.web import create_app, jobs

DEMO_CLIENT = {"client_id": "demo-client", "client_secret": "demo-secret"}
# The fake server advertises a generous budget so the demo syncs in seconds; the client still
# paces itself by the X-RateLimit headers exactly as it does against Greenhouse.
DEMO_RATE_LIMIT = 3000
# Printed in the console: a demo is for looking around, not a place for real secrets.
DEMO_PASSWORD = "rediscover-demo"


@dataclass
class DemoLogin:
    email: str
    role: str
    token: str
    note: str


def run_demo(*, people: int, data_dir: str, host: str, port: int, serve: bool) -> None:
    """Generate a sample, serve it as Greenhouse, sync, index, create users and serve the UI."""
    from rediscover.fakeats import dataset as dataset_mod
    from rediscover.fakeats.greenhouse import create_app as create_fake_greenhouse
    from rediscover.fakeats.greenhouse_render import gh_id, render_greenhouse
    from rediscover.fakeats.server import serve_in_thread

    directory = Path(data_dir)
    if directory.exists():
        shutil.rmtree(directory)  # the demo always starts from a clean slate
    directory.mkdir(parents=True)
    sample = dataset_mod.generate(people)
    fake = create_fake_greenhouse(render_greenhouse(sample), rate_limit=DEMO_RATE_LIMIT, **DEMO_CLIENT)
    server_url, stop = serve_in_thread(fake)
    base_url = f"{server_url}/v3"
    click.echo(f"fake Greenhouse (Harvest v3) serving {people} generated people at {base_url}")
    app = create_app({"DATABASE_URL": f"sqlite:///{(directory / 'demo.sqlite').resolve()}"})
    try:
        with app.app_context():
            logins = _set_up(app, server_url, sample, gh_id)
            _show_sample_search(app, logins[0])
    finally:
        if not serve:
            stop()
    url = f"http://{host}:{port}/"
    click.echo(f"\nDemo logins for the search page (password for all: {DEMO_PASSWORD}):")
    for login in logins:
        click.echo(f"  {login.email:<34} {login.role:<9} {login.note}")
    click.echo("\nAPI tokens (Authorization: Bearer …):")
    for login in logins:
        click.echo(f"  {login.email:<34} {login.token}")
    if serve:
        click.echo(f"\nSearch page: {url}  log in as {logins[0].email} / {DEMO_PASSWORD}  (Ctrl-C stops)")
        jobs.serve_app(app, host, port)


def _set_up(app, server_url: str, sample, gh_id) -> list[DemoLogin]:
    svc = app.extensions["rediscover"]
    admin = next(u for u in sample.users if u.site_admin)
    with svc.session_factory.begin() as session:
        team = accounts.get_or_create_team(session, "Demo Recruiting")
        session.add(Connection(
            team_id=team.id, name="greenhouse-demo", ats="greenhouse", base_url=f"{server_url}/v3",
            token_url=f"{server_url}/token",
            credentials={**DEMO_CLIENT, "user_id": str(gh_id("users", admin.id))},
            settings={"per_page": 500},
        ))
    run = jobs.sync_connection(svc.session_factory, "greenhouse-demo", full=True)
    click.echo(jobs.describe_run("greenhouse-demo", run))
    click.echo(jobs.describe_index(jobs.index_changes(svc)))
    return _create_logins(svc, _demo_users(sample, gh_id))


def _demo_users(sample, gh_id) -> list[tuple[str, str, str, str]]:
    """A recruiter off every confidential team, and the hiring manager of a confidential job."""
    confidential = [j for j in sample.jobs if j.confidential]
    on_teams = {uid for j in confidential for uid in j.team_ids}
    recruiter = next(u for u in sample.users
                     if u.role == "recruiter" and not u.deactivated and u.id not in on_teams)
    users = [("admin@rediscover.example", "admin", str(gh_id("users", recruiter.id)),
              "manages users, connections, stage maps; sees the audit trail"),
             ("recruiter@rediscover.example", "recruiter", str(gh_id("users", recruiter.id)),
              f"ATS user {recruiter.email}: no confidential jobs")]
    if confidential:
        manager = confidential[0].hiring_manager_ids[0]
        users.append(("hiring.manager@rediscover.example", "recruiter", str(gh_id("users", manager)),
                      f"on the hiring team of the confidential {confidential[0].title!r}"))
    return users


def _create_logins(svc, users: list[tuple[str, str, str, str]]) -> list[DemoLogin]:
    logins = []
    with svc.session_factory.begin() as session:
        team = accounts.get_or_create_team(session, "Demo Recruiting")
        conn = session.scalar(select(Connection).where(Connection.name == "greenhouse-demo"))
        for email, role, remote_id, note in users:
            identities = {conn: remote_id} if remote_id else {}
            _, token = accounts.create_user(session, team, email, role=role, ats_identities=identities,
                                            name=email.split("@")[0].replace(".", " ").title(),
                                            password=DEMO_PASSWORD)
            logins.append(DemoLogin(email, str(UserRole(role)), token, note))
        session.add(Sequence(team_id=team.id, kind="sequence", name="Backend silver medalists",
                             steps="Day 1: personal note\nDay 4: follow-up\nDay 10: last nudge"))
    return logins


def _show_sample_search(app, login: DemoLogin) -> None:
    svc = app.extensions["rediscover"]
    with svc.session_factory() as session:
        user = accounts.user_by_token(session, login.token)
        viewer = Viewer(user.team_id, accounts.access_tokens(user), user.id)
    request = SearchRequest.from_dict({"reached_stage": "onsite", "limit": 5})
    page = search_mod.search(svc.backend, request, viewer, weights=svc.weights)
    click.echo(f"\nSilver medalists (reached onsite or later, not in process): {page.total}")
    for row in page.results:
        last = row.last_in_process.date().isoformat() if row.last_in_process else "-"
        click.echo(f"  {row.name:<26} {row.stage or '-':<24} {row.rejection_reason or '-':<32} {last}")
