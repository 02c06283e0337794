"""The CLI end to end: connect a Harvest-v3 server, add users, sync, search as each user."""
from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from rediscover.fakeats.greenhouse import (
    FIXTURE_CLIENT_ID,
    FIXTURE_CLIENT_SECRET,
    create_app as create_fake_greenhouse,
    load_fixture_dataset,
)
from rediscover.fakeats.server import serve_in_thread
from rediscover.web.cli import cli


@pytest.fixture
def greenhouse():
    """The shared v3 fixture scenario served over real HTTP on 127.0.0.1."""
    base_url, stop = serve_in_thread(create_fake_greenhouse(load_fixture_dataset()))
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


@pytest.fixture
def synced(run, greenhouse):
    run("connect", "greenhouse", "--name", "acme", "--base-url", f"{greenhouse}/v3",
        "--token-url", f"{greenhouse}/token", "--client-id", FIXTURE_CLIENT_ID,
        "--client-secret", FIXTURE_CLIENT_SECRET, "--user-id", "101")
    # 104: interviewer off the confidential VP job; 103: its hiring manager.
    run("users", "add", "ivan@acme.example", "--ats-user", "acme=104")
    run("users", "add", "harold@acme.example", "--ats-user", "acme=103")
    result = run("sync")
    assert "sync acme: succeeded" in result.output
    return run


def search(run, *args: str) -> dict:
    return json.loads(run("search", *args, "--json").output)


def names(page: dict) -> set[str]:
    return {row["name"] for row in page["results"]}


def test_silver_medalist_search_returns_the_right_people(synced):
    page = search(synced, "--as", "ivan@acme.example", "--reached-stage", "onsite")
    # Sofia reached Offer and was rejected; Aisha is on a confidential job Ivan is not on;
    # Priya reached onsite but is in process for another job; Marcus is private; Elena hired.
    assert names(page) == {"Sofia Rossi"}
    row = page["results"][0]
    assert row["stage"] == "Offer" and row["milestone"] == "offer"
    assert row["rejection_reason"] == "Compensation expectations"
    assert row["source"] == "Referral"
    assert set(row["scorecards"]) == {"positive", "negative", "strong_no", "pending"}
    assert page["total"] == 1 and page["next_cursor"] is None


def test_the_hiring_team_also_sees_the_confidential_applicant(synced):
    page = search(synced, "--as", "harold@acme.example", "--reached-stage", "onsite")
    assert names(page) == {"Sofia Rossi", "Aisha Khan"}


def test_include_active_adds_people_in_process(synced):
    page = search(synced, "--as", "ivan@acme.example", "--reached-stage", "onsite", "--include-active")
    assert names(page) == {"Sofia Rossi", "Priya Raman"}


def test_keyword_and_rejection_reason_filters(synced):
    page = search(synced, "--as", "ivan@acme.example", "Kotlin OR Java", "--rejection-reason",
                  "compensation EXPECTATIONS")
    assert names(page) == {"Sofia Rossi"}
    assert search(synced, "--as", "ivan@acme.example", "Kotlin", "--rejection-reason", "Hiring freeze")["total"] == 0


def test_duplicates_merge_by_email_into_one_person(synced):
    page = search(synced, "--as", "ivan@acme.example", "--email", "DANA.WHITFIELD@example.com",
                  "--include-active")
    assert [row["name"] for row in page["results"]] == ["Dana Whitfield"]


def test_second_sync_changes_nothing_and_index_is_a_no_op(synced):
    result = synced("sync")
    assert "created 0" in result.output and "updated 0" in result.output


def test_search_with_a_bad_filter_is_a_usage_error(synced):
    result = synced("search", "--as", "ivan@acme.example", "--last-in-process-before", "soon", ok=False)
    assert result.exit_code == 2
    assert "last-in-process-before" in result.output


def test_search_needs_to_know_who_searches_when_several_users_exist(synced):
    result = synced("search", "--reached-stage", "onsite", ok=False)
    assert result.exit_code == 2 and "--as" in result.output


def test_merges_explain_split_and_unsplit(synced):
    def dana() -> list[dict]:
        return search(synced, "--as", "ivan@acme.example", "--email", "dana.whitfield@example.com",
                      "--include-active")["results"]

    [row] = dana()
    explained = synced("merges", "explain", str(row["person_id"])).output
    [line] = [ln for ln in explained.splitlines() if " joined " in ln]
    record, _, rest = line.partition(" joined ")
    assert rest.endswith("by email dana.whitfield@example.com")
    synced("merges", "split", record, "--by", "admin@acme.example")
    assert len(dana()) == 2
    assert "created 0" in synced("sync").output  # a re-sync keeps the split
    assert len(dana()) == 2
    synced("merges", "unsplit", record, rest.split(" ")[0])
    assert len(dana()) == 1


def test_merges_split_of_an_unknown_record_is_a_usage_error(synced):
    result = synced("merges", "split", "acme:no-such-id", ok=False)
    assert result.exit_code == 2 and "No candidate record" in result.output


def test_search_filters_on_resume_text(synced):
    with_text = search(synced, "--as", "ivan@acme.example", "--has-resume-text", "--include-active")
    without = search(synced, "--as", "ivan@acme.example", "--no-resume-text", "--include-active")
    everyone = search(synced, "--as", "ivan@acme.example", "--include-active")
    assert names(with_text) | names(without) == names(everyone)
    assert not names(with_text) & names(without)
    assert all(r["has_resume_text"] for r in with_text["results"])
