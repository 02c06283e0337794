"""The client's building blocks on their own: Link parsing, retry policy, rate-limit pacing."""
from __future__ import annotations

import pytest
from sync_support import FakeClock

from rediscover.sync.errors import FatalSyncError, RetryableSyncError
from rediscover.sync.http import RateLimitPacer
from rediscover.sync.pagination import LinkHeaderPaginator, parse_link_header
from rediscover.sync.retry import RetryPolicy


@pytest.mark.parametrize("header, expected", [
    ('<https://h/v3/jobs?cursor=abc>; rel="next"', {"next": "https://h/v3/jobs?cursor=abc"}),
    ('<https://h/p?page=2>; rel="next", <https://h/p?page=9>; rel="last"',
     {"next": "https://h/p?page=2", "last": "https://h/p?page=9"}),
    ("</v3/jobs?cursor=x>; rel=next", {"next": "https://h/v3/jobs?cursor=x"}),  # relative
    ("", {}),
])
def test_link_headers_are_parsed(header, expected):
    assert parse_link_header(header, "https://h/v3/jobs?per_page=2") == expected


def test_no_next_link_means_last_page():
    paginator = LinkHeaderPaginator()
    assert paginator.next_url({}, "https://h/v3/jobs") is None
    assert paginator.next_url({"link": '<https://h/x>; rel="prev"'}, "https://h/v3/jobs") is None


def _calls(policy: RetryPolicy, errors: list[BaseException]) -> tuple[list[float], int]:
    sleeps: list[float] = []
    attempts = 0

    def flaky() -> str:
        nonlocal attempts
        attempts += 1
        if errors:
            raise errors.pop(0)
        return "ok"

    try:
        policy.retrying(sleep=sleeps.append)(flaky)
    except (RetryableSyncError, FatalSyncError):
        pass
    return sleeps, attempts


def test_retry_after_is_honoured_and_capped():
    policy = RetryPolicy(max_retry_after=60)
    sleeps, attempts = _calls(policy, [RetryableSyncError("429", retry_after=7),
                                       RetryableSyncError("429", retry_after=3600)])
    assert sleeps == [7, 60] and attempts == 3


def test_backoff_grows_with_jitter_and_stops_after_the_attempts():
    policy = RetryPolicy(attempts=4, backoff_initial=1, backoff_max=100, jitter=0.5)
    sleeps, attempts = _calls(policy, [RetryableSyncError("500")] * 10)
    assert attempts == 4 and len(sleeps) == 3
    for n, slept in enumerate(sleeps):
        assert 2 ** n <= slept <= 2 ** n + 0.5


def test_total_waiting_is_bounded():
    policy = RetryPolicy(attempts=50, max_wait_seconds=20, backoff_initial=4, jitter=0)
    sleeps, _ = _calls(policy, [RetryableSyncError("503")] * 50)
    assert sum(sleeps) <= 20 and sleeps == [4, 8]


def test_fatal_errors_are_not_retried():
    sleeps, attempts = _calls(RetryPolicy(), [FatalSyncError("403")])
    assert (sleeps, attempts) == ([], 1)


def test_pacer_waits_for_the_window_reset_only_when_nothing_remains():
    clock = FakeClock(1_717_200_000)
    pacer = RateLimitPacer(clock=clock, sleep=clock.sleep, window_seconds=30, margin_seconds=0.5)
    pacer.before_request()
    pacer.observe({"X-RateLimit-Limit": "75", "X-RateLimit-Remaining": "1",
                   "X-RateLimit-Reset": "1717200020"})
    pacer.before_request()
    assert clock.sleeps == []
    pacer.observe({"x-ratelimit-limit": "75", "x-ratelimit-remaining": "0",
                   "x-ratelimit-reset": "1717200020"})  # a Unix timestamp
    pacer.before_request()
    assert clock.sleeps == [20.5] and pacer.budget == 2.5
    pacer.observe({"x-ratelimit-remaining": "0", "x-ratelimit-reset": "12"})  # seconds from now
    pacer.before_request()
    assert clock.sleeps == [20.5, 12.5]


def test_pacer_without_headers_never_waits():
    clock = FakeClock()
    pacer = RateLimitPacer(clock=clock, sleep=clock.sleep)
    for _ in range(3):
        pacer.before_request()
        pacer.observe({})
    assert clock.sleeps == [] and pacer.budget is None


def test_a_cursor_that_does_not_advance_stops_the_walk():
    """A server handing out the same next link again would otherwise page forever."""
    from flask import Flask, jsonify
    from sync_cases import GREENHOUSE

    from rediscover.fakeats.server import serve_in_thread
    from rediscover.sync.adapters.base import ConnectionConfig
    from rediscover.sync.adapters.greenhouse import GreenhouseAdapter

    app = Flask(__name__)

    @app.post("/token")
    def token():
        return jsonify(access_token="t", expires_in=3600)

    @app.get("/v3/candidates")
    def stuck():
        response = jsonify([{"id": 1}])
        response.headers["Link"] = '</v3/candidates?cursor=same>; rel="next"'
        return response

    base, stop = serve_in_thread(app)
    try:
        adapter = GreenhouseAdapter(ConnectionConfig(
            id=1, name="gh", ats="greenhouse", base_url=f"{base}/v3", token_url=f"{base}/token",
            credentials=GREENHOUSE.connection_fields(base)["credentials"]))
        pages = []
        with adapter.make_client(sleep=lambda _: None) as client, pytest.raises(FatalSyncError,
                                                             match="pagination does not advance"):
            for page in adapter.paginator.iter_pages(client, "candidates", {"per_page": "1"}):
                pages.append(page)
                assert len(pages) < 5
    finally:
        stop()
