"""Outbound webhooks: enrollments POSTed to a sequence's URL, HMAC-signed, retried with backoff.

Signature (Stripe-style, so receivers can reuse known verifiers):
``X-Rediscover-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<raw body>")>``.
``X-Rediscover-Delivery`` carries the delivery id, the same on every retry, for de-duplication.
"""
from __future__ import annotations

import hashlib
import hmac
import json
import logging
import time
from collections.abc import Callable
from typing import Any

import httpx
from sqlalchemy.orm import Session, sessionmaker

from rediscover.core.models import WebhookDelivery
from rediscover.core.types import utcnow

log = logging.getLogger(__name__)

SIGNATURE_HEADER = "X-Rediscover-Signature"
DELIVERY_HEADER = "X-Rediscover-Delivery"
MAX_ATTEMPTS = 5
BACKOFF_BASE_S = 1.0  # waits 1, 2, 4, 8 s between attempts
BACKOFF_MAX_S = 30.0
TIMEOUT_S = 10.0


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """The signature header value for ``body`` sent at ``timestamp``."""
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={mac}"


def verify(secret: str, header: str, body: bytes) -> bool:
    """Check a signature header (what a receiver does; used by our tests too)."""
    parts = dict(p.split("=", 1) for p in header.split(",") if "=" in p)
    try:
        expected = sign(secret, int(parts.get("t", "")), body)
    except ValueError:
        return False
    return hmac.compare_digest(expected, header)


def create_delivery(db: Session, sequence_id: int, url: str, payload: dict[str, Any],
                    bulk_job_id: int | None = None) -> WebhookDelivery:
    """Record a pending delivery (its body is fixed now, so retries send the same bytes)."""
    delivery = WebhookDelivery(sequence_id=sequence_id, url=url, bulk_job_id=bulk_job_id,
                               body=json.dumps(payload, separators=(",", ":"), default=str))
    db.add(delivery)
    db.flush()
    return delivery


def deliver(session_factory: sessionmaker[Session], delivery_id: int, secret: str, *,
            client: httpx.Client | None = None, sleep: Callable[[float], None] = time.sleep,
            max_attempts: int = MAX_ATTEMPTS) -> str:
    """POST one delivery until a 2xx or ``max_attempts``; every attempt is recorded."""
    own = client is None
    client = client or httpx.Client(timeout=TIMEOUT_S)
    try:
        for attempt in range(1, max_attempts + 1):
            status = _attempt(session_factory, delivery_id, secret, client)
            if status in ("delivered", "gave_up"):
                return "delivered" if status == "delivered" else "failed"
            if attempt < max_attempts:
                sleep(min(BACKOFF_BASE_S * 2 ** (attempt - 1), BACKOFF_MAX_S))
        _finish(session_factory, delivery_id, "failed")
        return "failed"
    finally:
        if own:
            client.close()


def _attempt(session_factory: sessionmaker[Session], delivery_id: int, secret: str,
             client: httpx.Client) -> str:
    """One POST; ``delivered``, ``retry`` (network error, 429, 5xx) or ``gave_up`` (other 4xx)."""
    with session_factory.begin() as db:
        delivery = db.get(WebhookDelivery, delivery_id)
        body, url = delivery.body.encode(), delivery.url
        delivery.attempts += 1
    headers = {"Content-Type": "application/json", DELIVERY_HEADER: str(delivery_id),
               SIGNATURE_HEADER: sign(secret, int(time.time()), body)}
    code, error = None, None
    try:
        code = client.post(url, content=body, headers=headers).status_code
    except httpx.HTTPError as exc:
        error = f"{type(exc).__name__}: {exc}"[:500]
    outcome = "retry"
    if code is not None and 200 <= code < 300:
        outcome = "delivered"
    elif code is not None and code < 500 and code not in (408, 429):
        outcome = "gave_up"
    with session_factory.begin() as db:
        delivery = db.get(WebhookDelivery, delivery_id)
        delivery.response_status, delivery.error = code, error
        if outcome == "delivered":
            delivery.status, delivery.delivered_at = "delivered", utcnow()
        elif outcome == "gave_up":
            delivery.status = "failed"
    log.info("webhook attempt", extra={"delivery": delivery_id, "status": code, "outcome": outcome})
    return outcome


def _finish(session_factory: sessionmaker[Session], delivery_id: int, status: str) -> None:
    with session_factory.begin() as db:
        db.get(WebhookDelivery, delivery_id).status = status
