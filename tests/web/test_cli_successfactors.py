"""``rediscover connect successfactors``: OAuth SAML bearer or Basic, then sync and search."""
from __future__ import annotations

import json

import pytest
from click.testing import CliRunner
from sqlalchemy import create_engine, select

from rediscover.core.models import Connection
from rediscover.fakeats import successfactors as fake_sf
from rediscover.fakeats.server import serve_in_thread
from rediscover.web.cli import cli


@pytest.fixture
def sf():
    """The shared SF fixture scenario over real HTTP, accepting OAuth and Basic."""
    app = fake_sf.create_app(fake_sf.load_fixture_dataset(),
                             basic=(f"api@{fake_sf.FIXTURE_COMPANY_ID}", "pw"))
    base_url, stop = serve_in_thread(app)
    yield base_url
    stop()


@pytest.fixture
def run(tmp_path):
    runner = CliRunner()
    env = {"REDISCOVER_DATABASE_URL": f"sqlite:///{tmp_path / 'cli.sqlite'}"}

    def invoke(*args: str, ok: bool = True):
        result = runner.invoke(cli, list(args), env=env, catch_exceptions=False)
        if ok:
            assert result.exit_code == 0, result.output
        return result

    return invoke


def _search(run, *args: str) -> dict:
    return json.loads(run("search", *args, "--json").output)


def test_oauth_connect_sync_and_search(run, sf, tmp_path):
    key = tmp_path / "client.key"
    key.write_text(f"-----BEGIN PRIVATE KEY-----\n{fake_sf.FIXTURE_PRIVATE_KEY}\n"
                   f"-----END PRIVATE KEY-----\n")
    run("connect", "successfactors", "--name", "sf", "--base-url", f"{sf}/odata/v2",
        "--company-id", fake_sf.FIXTURE_COMPANY_ID, "--client-id", fake_sf.FIXTURE_CLIENT_ID,
        "--user-id", fake_sf.FIXTURE_USER_ID, "--private-key-file", str(key))
    run("users", "add", "ivan@acme.example")
    assert "sync sf: succeeded" in run("sync").output
    page = _search(run, "--reached-stage", "recruiter_screen")
    # Priya was disqualified after the phone screen, Tomás withdrew after the interview; Maya
    # is still in process for another job, Grace is private, Daniel hired.
    rows = {r["name"]: r for r in page["results"]}
    assert set(rows) == {"Priya Raman", "Tomás Herrera"}
    assert rows["Priya Raman"]["rejection_reason"] == "Does Not Meet Minimum Qualifications"
    assert (rows["Priya Raman"]["stage"], rows["Priya Raman"]["milestone"]) == (
        "Phone Screen", "recruiter_screen")
    assert rows["Tomás Herrera"]["rejection_reason"] == "Withdrawn by Candidate"
    assert rows["Tomás Herrera"]["milestone"] == "hiring_manager_screen"  # "Interview"
    active = _search(run, "--reached-stage", "onsite", "--include-active")
    assert "Maya Lindqvist" in {r["name"] for r in active["results"]}


def test_basic_auth_connect(run, sf):
    run("connect", "successfactors", "--name", "sf", "--base-url", f"{sf}/odata/v2",
        "--company-id", fake_sf.FIXTURE_COMPANY_ID, "--username", "api", "--password", "pw")
    assert "sync sf: succeeded" in run("sync", "--no-index").output


@pytest.mark.parametrize("args, message", [
    ((), "needs --company-id, --client-id, --user-id and --private-key-file or --company-id, "
         "--username and --password"),
    (("--company-id", "c"), "needs --client-id, --user-id and --private-key-file"),
    (("--company-id", "c", "--username", "api"), "needs --password"),
    (("--username", "api", "--password", "pw"), "needs --company-id"),
])
def test_missing_credential_flags_are_named(run, args, message):
    result = run("connect", "successfactors", "--name", "sf", "--base-url", "https://x/odata/v2",
                 *args, ok=False)
    assert result.exit_code == 2 and message in " ".join(result.output.split())


def test_the_base_url_is_required_and_says_what_it_is(run):
    result = run("connect", "successfactors", "--name", "sf", "--company-id", "c",
                 "--username", "api", "--password", "pw", ok=False)
    assert result.exit_code == 2 and "API server" in result.output


def test_the_private_key_may_come_from_the_environment_as_pem(run, tmp_path, monkeypatch):
    monkeypatch.setenv("REDISCOVER_SUCCESSFACTORS_PRIVATE_KEY",
                       f"-----BEGIN PRIVATE KEY-----\n{fake_sf.FIXTURE_PRIVATE_KEY}\n"
                       f"-----END PRIVATE KEY-----\n")
    run("connect", "successfactors", "--name", "sf", "--base-url", "https://x/odata/v2",
        "--company-id", "c", "--client-id", "k", "--user-id", "u")
    engine = create_engine(f"sqlite:///{tmp_path / 'cli.sqlite'}")
    with engine.connect() as c:
        credentials = c.scalar(select(Connection.credentials))
    engine.dispose()
    assert credentials == {"company_id": "c", "client_id": "k", "user_id": "u",
                           "private_key": fake_sf.FIXTURE_PRIVATE_KEY}
