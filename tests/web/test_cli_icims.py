"""``rediscover connect icims``: OAuth client or integration account flags, then a real sync."""
from __future__ import annotations

import json

import pytest
from click.testing import CliRunner
from sqlalchemy import create_engine, select

from rediscover.core.models import Connection
from rediscover.fakeats import icims as fake
from rediscover.fakeats.server import serve_in_thread
from rediscover.web.cli import cli

API = f"/customers/{fake.CUSTOMER_ID}"


@pytest.fixture
def run(tmp_path):
    runner = CliRunner()
    url = f"sqlite:///{tmp_path / 'cli.sqlite'}"

    def invoke(*args: str, ok: bool = True, extra_env: dict | None = None):
        result = runner.invoke(cli, list(args),
                               env={"REDISCOVER_DATABASE_URL": url, **(extra_env or {})},
                               catch_exceptions=False)
        if ok:
            assert result.exit_code == 0, result.output
        return result

    invoke.url = url
    return invoke


@pytest.fixture
def icims():
    # Every profile readable, so the sync succeeds (secured ones: tests/sync/test_icims.py).
    url, stop = serve_in_thread(fake.create_app(fake.load_fixture_dataset(unreadable=False)))
    yield url
    stop()


def _connection(run, name: str):
    engine = create_engine(run.url)
    with engine.connect() as c:
        row = c.execute(select(Connection.base_url, Connection.token_url,
                               Connection.credentials).where(Connection.name == name)).one()
    engine.dispose()
    return row


def test_an_oauth_connection_syncs_and_searches(run, icims):
    run("connect", "icims", "--name", "ic", "--base-url", f"{icims}{API}",
        "--token-url", f"{icims}/oauth/token", "--client-id", fake.FIXTURE_CLIENT_ID,
        extra_env={"REDISCOVER_ICIMS_CLIENT_SECRET": fake.FIXTURE_CLIENT_SECRET})

    result = run("sync")

    assert "sync ic: succeeded" in result.output
    run("users", "add", "rita@acme.example")
    page = json.loads(run("search", "--as", "rita@acme.example", "--json").output)
    names = {row["name"] for row in page["results"]}
    assert "Priya Raman" in names  # rejected: rediscoverable
    assert "Daniel Okafor" not in names  # hired
    assert "Tomás Herrera" in names  # withdrew


def test_an_integration_account_connection_syncs(run, icims):
    run("connect", "icims", "--name", "basic", "--base-url", f"{icims}{API}",
        "--username", fake.FIXTURE_USERNAME, "--password", fake.FIXTURE_PASSWORD)
    assert "sync basic: succeeded" in run("sync", "--no-index").output


def test_flags_are_checked_and_the_token_url_defaults_to_icims_login(run):
    bad = run("connect", "icims", "--name", "x", "--client-id", "a", ok=False)
    assert bad.exit_code == 2 and "icims needs --client-secret" in bad.output
    bad = run("connect", "icims", "--name", "x", ok=False)
    assert "icims needs --client-id and --client-secret or --username and --password" in \
        bad.output
    bad = run("connect", "icims", "--name", "x", "--client-id", "a", "--client-secret", "b",
              ok=False)
    assert "icims needs --base-url (the customer's API root, " \
           "https://api.icims.com/customers/CUSTOMER_ID)" in bad.output
    run("connect", "icims", "--name", "x", "--client-id", "a", "--client-secret", "b",
        "--base-url", "https://api.icims.com/customers/4321/")
    conn = _connection(run, "x")
    assert conn.base_url == "https://api.icims.com/customers/4321"
    assert conn.token_url == "https://login.icims.com/oauth/token"
    assert conn.credentials == {"client_id": "a", "client_secret": "b"}
