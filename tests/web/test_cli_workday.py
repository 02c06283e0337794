"""The CLI with Workday: connect an ISU or an OAuth client, sync the fixtures, search."""
from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from rediscover.fakeats import workday as fake_wd
from rediscover.fakeats.server import serve_in_thread
from rediscover.web.cli import cli

ENDPOINT = "/ccx/service/acme1/Recruiting/v42.0"


@pytest.fixture
def workday():
    """The shared Workday fixture scenario served over real HTTP on 127.0.0.1."""
    base_url, stop = serve_in_thread(fake_wd.create_app(fake_wd.load_fixture_dataset()))
    yield base_url
    stop()


@pytest.fixture
def run(tmp_path):
    runner = CliRunner()
    env = {"REDISCOVER_DATABASE_URL": f"sqlite:///{tmp_path / 'cli.sqlite'}",
           "REDISCOVER_WORKDAY_PASSWORD": None, "REDISCOVER_WORKDAY_REFRESH_TOKEN": None}

    def invoke(*args: str, ok: bool = True, **extra_env: str):
        result = runner.invoke(cli, list(args), env={**env, **extra_env}, catch_exceptions=False)
        if ok:
            assert result.exit_code == 0, result.output
        return result

    return invoke


def _names(run) -> set[str]:
    page = json.loads(run("search", "--include-active", "--json").output)
    return {row["name"] for row in page["results"]}


def test_an_isu_connection_syncs_and_searches(run, workday):
    run("connect", "workday", "--name", "wd", "--base-url", f"{workday}{ENDPOINT}",
        "--username", fake_wd.FIXTURE_USERNAME, "--step-history-report", fake_wd.REPORT_PATH,
        REDISCOVER_WORKDAY_PASSWORD=fake_wd.FIXTURE_PASSWORD)
    run("users", "add", "rita@acme.example")
    result = run("sync")
    assert "sync wd: succeeded" in result.output
    assert _names(run) == {"Maya Lindqvist", "Priya Raman", "Tomás Herrera"}
    # Furthest stages come from the step-history report (Get_Candidates has the current one).
    page = json.loads(run("search", "--reached-stage", "hiring_manager_screen", "--json").output)
    assert [(r["name"], r["stage"]) for r in page["results"]] == [
        ("Tomás Herrera", "Hiring Manager Interview")]  # Maya is in process elsewhere
    page = json.loads(run("search", "--reached-stage", "onsite", "--include-active",
                          "--json").output)
    assert [r["name"] for r in page["results"]] == ["Maya Lindqvist"]


def test_an_oauth_connection_syncs(run, workday):
    run("connect", "workday", "--name", "wd", "--base-url", f"{workday}{ENDPOINT}",
        "--token-url", f"{workday}/ccx/oauth2/acme1/token", "--client-id",
        fake_wd.FIXTURE_CLIENT_ID, "--client-secret", fake_wd.FIXTURE_CLIENT_SECRET,
        "--refresh-token", fake_wd.FIXTURE_REFRESH_TOKEN)
    assert "sync wd: succeeded" in run("sync").output


@pytest.mark.parametrize("args, message", [
    ((), "workday needs --username and --password"),
    (("--username", "isu@acme1"), "workday needs --password"),
    (("--client-id", "c", "--refresh-token", "r"), "workday needs --client-secret"),
])
def test_missing_credentials_are_a_usage_error(run, args, message):
    result = run("connect", "workday", "--name", "wd", "--base-url", "https://h" + ENDPOINT,
                 *args, ok=False)
    assert result.exit_code == 2 and message in result.output


def test_workday_needs_the_tenant_endpoint(run):
    result = run("connect", "workday", "--name", "wd", "--username", "u", "--password", "p",
                 ok=False)
    assert result.exit_code == 2 and "--base-url" in result.output
