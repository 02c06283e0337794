"""The ATS adapters the sync contract suite runs against, each with its fake server.

To put a new adapter through the suite, describe it here as an ``AtsCase``: how to start
its fake server, the connection fields pointing at it, and how to poke its data.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from rediscover.fakeats import greenhouse as fake_gh
from rediscover.fakeats.server import FaultPlan, RecordedRequest


@dataclass(frozen=True)
class AtsCase:
    """An adapter and its fake server, as the contract suite drives them."""

    ats: str
    # (dataset, *, faults=None, clock=None, rate_limit=..., window=...) -> WSGI app
    make_app: Callable[..., Any]
    # app -> state with ``requests``, ``api_requests(path)``, ``rate_limited``, ``windows``
    state_of: Callable[[Any], Any]
    fixture_dataset: Callable[[], dict[str, Any]]
    generated_dataset: Callable[[int], dict[str, Any]]
    connection_fields: Callable[[str], dict[str, Any]]  # base URL -> Connection columns
    list_path: Callable[[str], str]  # resource name -> request path
    candidate_ids: Callable[[dict[str, Any]], set[str]]  # dataset -> remote candidate ids
    touch_candidate: Callable[[Any, str], None]  # (state, remote id): change it on the server
    delete_candidate: Callable[[Any, str], None]  # (state, remote id): hard-delete it
    window_of: Callable[[RecordedRequest], tuple[datetime, datetime] | None]
    is_cursor_request: Callable[[RecordedRequest], bool]
    token_path: str | None  # where tokens are issued (None: no token flow)
    page_size_setting: str = "per_page"

    def faults(self) -> FaultPlan:
        """A fresh fault plan for this fake."""
        return FaultPlan()


def _gh_window(request: RecordedRequest) -> tuple[datetime, datetime] | None:
    value = request.param("updated_at")
    if not value:
        return None
    parts = value.split("|")
    bounds = dict(zip(parts[0::2], parts[1::2]))
    return (datetime.fromisoformat(bounds["gte"].replace("Z", "+00:00")),
            datetime.fromisoformat(bounds["lte"].replace("Z", "+00:00")))


def _gh_touch(state: fake_gh.FakeGreenhouse, remote_id: str) -> None:
    state.update("candidates", int(remote_id), title="Principal Engineer")


GREENHOUSE = AtsCase(
    ats="greenhouse",
    make_app=fake_gh.create_app,
    state_of=fake_gh.get_state,
    fixture_dataset=fake_gh.load_fixture_dataset,
    generated_dataset=lambda n: fake_gh.generate_dataset(n, seed=7),
    connection_fields=lambda base: {
        "base_url": f"{base}/v3", "token_url": f"{base}/token",
        "credentials": {"client_id": fake_gh.FIXTURE_CLIENT_ID,
                        "client_secret": fake_gh.FIXTURE_CLIENT_SECRET,
                        "user_id": fake_gh.FIXTURE_USER_ID},
    },
    list_path=lambda resource: f"/v3/{resource}",
    candidate_ids=lambda data: {str(c["id"]) for c in data["candidates"]},
    touch_candidate=_gh_touch,
    delete_candidate=lambda state, rid: state.delete_candidate(int(rid)),
    window_of=_gh_window,
    is_cursor_request=lambda r: "cursor" in r.query,
    token_path="/token",
)

CASES: tuple[AtsCase, ...] = (GREENHOUSE,)
