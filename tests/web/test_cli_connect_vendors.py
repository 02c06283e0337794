"""``rediscover connect lever|smartrecruiters``: the right credential flags, then a real sync."""
from __future__ import annotations

import json

import pytest
from click.testing import CliRunner
from sqlalchemy import create_engine, select

from rediscover.core.models import Connection
from rediscover.fakeats import lever as fake_lever
from rediscover.fakeats import smartrecruiters as fake_sr
from rediscover.fakeats.server import serve_in_thread
from rediscover.web.cli import cli


@pytest.fixture
def run(tmp_path):
    runner = CliRunner()
    url = f"sqlite:///{tmp_path / 'cli.sqlite'}"
    env = {"REDISCOVER_DATABASE_URL": url}

    def invoke(*args: str, ok: bool = True, extra_env: dict | None = None):
        result = runner.invoke(cli, list(args), env={**env, **(extra_env or {})},
                               catch_exceptions=False)
        if ok:
            assert result.exit_code == 0, result.output
        return result

    invoke.url = url
    return invoke


@pytest.fixture
def servers():
    lever_url, stop_lever = serve_in_thread(fake_lever.create_app(
        fake_lever.load_fixture_dataset()))
    sr_url, stop_sr = serve_in_thread(fake_sr.create_app(fake_sr.load_fixture_dataset()))
    yield lever_url, sr_url
    stop_lever()
    stop_sr()


def _connections(run) -> dict[str, Connection]:
    engine = create_engine(run.url)
    with engine.connect() as c:
        rows = c.execute(select(Connection.name, Connection.ats, Connection.base_url,
                                Connection.token_url, Connection.credentials)).all()
    engine.dispose()
    return {r.name: r for r in rows}


def test_connect_both_and_sync_and_search(run, servers):
    lever_url, sr_url = servers
    run("connect", "lever", "--name", "lev", "--base-url", f"{lever_url}/v1",
        "--api-key", fake_lever.FIXTURE_API_KEY)
    run("connect", "smartrecruiters", "--name", "sr", "--base-url", sr_url,
        extra_env={"REDISCOVER_SMARTRECRUITERS_API_KEY": fake_sr.FIXTURE_API_KEY})
    conns = _connections(run)
    assert conns["lev"].credentials == {"api_key": fake_lever.FIXTURE_API_KEY}
    assert conns["sr"].credentials == {"api_key": fake_sr.FIXTURE_API_KEY}

    result = run("sync")

    assert "sync lev: succeeded" in result.output and "sync sr: succeeded" in result.output
    run("users", "add", "rita@acme.example")
    page = json.loads(run("search", "--as", "rita@acme.example", "--reached-stage",
                          "hiring_manager_screen", "--json").output)
    names = {row["name"] for row in page["results"]}
    assert "Hannah Schmidt" in names  # Lever: declined the offer
    assert "Tomás Herrera" in names  # SmartRecruiters: withdrew after the manager interview
    assert "Noor Haddad" not in names  # still in process on her other opportunity
    assert "Daniel Okafor" not in names  # SmartRecruiters: hired


def test_credentials_are_checked_per_ats(run):
    bad = run("connect", "lever", "--name", "x", "--client-id", "a", "--client-secret", "b",
              ok=False)
    assert bad.exit_code == 2 and "lever needs --api-key" in bad.output
    bad = run("connect", "smartrecruiters", "--name", "y", "--client-id", "a", ok=False)
    assert "smartrecruiters needs --client-secret" in bad.output  # the set it started
    bad = run("connect", "smartrecruiters", "--name", "y", ok=False)
    assert "smartrecruiters needs --api-key or --client-id and --client-secret" in bad.output
    run("connect", "smartrecruiters", "--name", "oauth", "--client-id", "a",
        "--client-secret", "b")
    conn = _connections(run)["oauth"]
    assert conn.credentials == {"client_id": "a", "client_secret": "b"}
    assert conn.token_url == "https://api.smartrecruiters.com/identity/oauth/token"
    assert conn.base_url == "https://api.smartrecruiters.com"
