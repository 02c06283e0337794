"""Fixtures for sync tests: a fake ATS over real HTTP on 127.0.0.1, a fake clock.

Fakes stand in only for what is outside the repo: the ATS, the clock and ``sleep`` (one
virtual clock shared by client and server, so pacing and ``Retry-After`` cost no real time).
"""
from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from sqlalchemy.orm import sessionmaker
from sync_cases import CASES, AtsCase
from sync_support import FakeClock, FakeServer, SyncHarness, add_connection

from rediscover.fakeats.server import serve_in_thread


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def serve(clock: FakeClock) -> Iterator[Callable[..., FakeServer]]:
    """Start a fake ATS: ``serve(case, dataset=None, faults=None, **app_options)``."""
    stops: list[Callable[[], None]] = []

    def start(case: AtsCase, dataset: dict[str, Any] | None = None, **options: Any) -> FakeServer:
        options.setdefault("clock", clock)
        app = case.make_app(case.fixture_dataset() if dataset is None else dataset, **options)
        base_url, stop = serve_in_thread(app)
        stops.append(stop)
        return FakeServer(case, app, base_url, stop)

    yield start
    for stop in stops:
        stop()


@pytest.fixture
def harness(session_factory, serve, clock) -> Callable[..., SyncHarness]:
    """``harness(case, dataset=None, faults=None, settings={}, **app_options)``."""

    def make(case: AtsCase, dataset: dict[str, Any] | None = None, *,
             settings: dict[str, Any] | None = None, factory: sessionmaker | None = None,
             **options: Any) -> SyncHarness:
        server = serve(case, dataset, **{**case.server_options(settings or {}), **options})
        sf = factory or session_factory
        return SyncHarness(case, server, sf, clock, add_connection(sf, server, **(settings or {})))

    return make


@pytest.fixture(params=[c.ats for c in CASES])
def case(request) -> AtsCase:
    """Every ATS adapter with its fake server (the contract suite runs once per ATS)."""
    return next(c for c in CASES if c.ats == request.param)


