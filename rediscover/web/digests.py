"""Daily saved-search digests to webhooks: the job the scheduler (``web/schedule.py``) calls.

    from rediscover.web.digests import run_digests
    run_digests(services)   # e.g. hourly; each saved search gets at most one digest a day
"""
from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

import httpx

from rediscover.query import saved as saved_mod

if TYPE_CHECKING:
    from rediscover.web.wiring import Services

WEBHOOK_TIMEOUT = 10.0  # seconds per delivery; a slow receiver must not stall the schedule


def post_webhook(url: str, body: dict[str, Any]) -> None:
    """POST one digest as JSON; a non-2xx answer raises (the digest is retried next run)."""
    response = httpx.post(url, json=body, timeout=WEBHOOK_TIMEOUT)
    response.raise_for_status()


def run_digests(services: Services, *, now: datetime | None = None, send=post_webhook) -> int:
    """Send every due digest; returns how many were sent."""
    return saved_mod.run_digests(
        services.session_factory, services.backend, send, weights=services.weights, now=now
    )
