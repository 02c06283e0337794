"""ATS webhooks: ``POST /webhooks/greenhouse/<connection name>``.

Greenhouse signs each delivery: ``Signature: sha256 <hex>`` = HMAC-SHA256(secret, the raw
body). A bad or missing signature gets 401 and changes nothing (not even the event log).
A good one is recorded once per ``Greenhouse-Event-ID`` (redeliveries answer 200 and do
nothing) with its action and the ids it names — never the body, which carries PII — and
applied at once: payloads are read as "something changed for candidate X" and X is re-read
through the sync runner (v3, ids filter); deletions and merges, which leave nothing to
re-read, are applied directly, anonymisations scrub the record. Then the index catches up.
When the connection is busy syncing, the event waits as ``pending`` and is applied right
after that sync (by whichever entry point ran it).
"""
from __future__ import annotations

import hashlib
import hmac
import json
import logging
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from flask import Blueprint, jsonify, request
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from rediscover.core.models import Connection, WebhookEvent
from rediscover.sync.lock import LockHeldError, acquire_sync_lock
from rediscover.web.errors import ApiError
from rediscover.web.wiring import services

if TYPE_CHECKING:
    from rediscover.web.wiring import Services

log = logging.getLogger(__name__)

bp = Blueprint("webhooks", __name__, url_prefix="/webhooks")

SECRET_KEY = "webhook_secret"  # where a connection's credentials keep the webhook secret
# Events whose payload names a candidate that changed (re-read it).
REREAD_ACTIONS = frozenset({
    "new_candidate_application", "new_prospect_application", "application_updated",
    "delete_application", "candidate_stage_change", "reject_candidate", "unreject_candidate",
    "hire_candidate", "unhire_candidate", "update_candidate", "offer_created",
    "offer_approved", "offer_updated", "offer_deleted",
})


@bp.post("/greenhouse/<name>")
def greenhouse(name: str):
    """Verify, record once, apply."""
    svc = services()
    body = request.get_data(cache=False)  # the exact bytes Greenhouse signed
    with svc.session_factory() as session:
        conn = session.scalar(select(Connection).where(Connection.name == name,
                                                       Connection.ats == "greenhouse"))
        connection_id = conn.id if conn else None
        secret = (conn.credentials or {}).get(SECRET_KEY) if conn else None
    if conn is None:
        raise ApiError("not_found", f"No Greenhouse connection named {name!r}.", 404)
    if not secret or not signature_ok(secret, body, request.headers.get("Signature", "")):
        raise ApiError("invalid_signature", "The Signature header does not match the body "
                       "for this connection's webhook secret.", 401, "Signature")
    payload = _json(body)
    action = str(payload.get("action") or "")
    event_id = request.headers.get("Greenhouse-Event-ID", "").strip()
    if not event_id:
        if action == "ping":
            return jsonify({"status": "ok"})
        raise ApiError("missing_event_id", "The Greenhouse-Event-ID header is required.", 400,
                       "Greenhouse-Event-ID")
    plan = plan_greenhouse(action, payload.get("payload"))
    event = _record(svc, connection_id, event_id, action, plan)
    if event is None:
        return jsonify({"status": "duplicate", "event_id": event_id})
    status = apply_event(svc, event)
    return jsonify({"status": status, "event_id": event_id}), 202 if status == "pending" else 200


def signature_ok(secret: str, body: bytes, header: str) -> bool:
    """``Signature: sha256 <hex>`` matches HMAC-SHA256(secret, body) (constant time)."""
    scheme, _, given = header.strip().partition(" ")
    if scheme.lower() != "sha256" or not given:
        return False
    expected = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, given.strip().lower())


def _json(body: bytes) -> dict[str, Any]:
    try:
        data = json.loads(body)
    except ValueError:
        raise ApiError("invalid_json", "The webhook body is not valid JSON.", 400) from None
    if not isinstance(data, dict):
        raise ApiError("invalid_json", "The webhook body must be a JSON object.", 400)
    return data


def plan_greenhouse(action: str, payload: Any) -> dict[str, list[str]]:
    """What to do for a Greenhouse event, as candidate ids only (no PII is kept)."""
    payload = payload if isinstance(payload, dict) else {}
    person = payload.get("person") if isinstance(payload.get("person"), dict) else {}
    if action == "delete_candidate":
        return {"delete": _ids(person.get("id"))}
    if action == "merge_candidate":  # person = the record merged away into new_candidate_id
        return {"delete": _ids(person.get("id")), "reread": _ids(person.get("new_candidate_id"))}
    if action == "candidate_anonymized":
        return {"scrub": _ids(payload.get("candidate_id"))}
    if action in REREAD_ACTIONS:
        return {"reread": _ids(_candidate_id(payload))}
    return {}


def _candidate_id(payload: dict[str, Any]) -> Any:
    app = payload.get("application") if isinstance(payload.get("application"), dict) else {}
    for holder, key in ((app.get("candidate"), "id"), (payload.get("candidate"), "id"),
                        (payload, "candidate_id"), (app, "candidate_id")):
        if isinstance(holder, dict) and holder.get(key) is not None:
            return holder[key]
    return None


def _ids(*values: Any) -> list[str]:
    return [str(v) for v in values if v is not None and str(v).strip()]


def _record(svc: Services, connection_id: int, event_id: str, action: str,
            plan: dict[str, list[str]]) -> WebhookEvent | None:
    """Insert the event; None when this event id was seen before (a redelivery)."""
    status = "pending" if any(plan.values()) else "ignored"
    with svc.session_factory() as session:
        event = WebhookEvent(connection_id=connection_id, event_id=event_id[:200],
                             action=action[:64] or "unknown", remote_ids=plan, status=status)
        session.add(event)
        try:
            session.commit()
        except IntegrityError:
            session.rollback()
            return None
        return event


def apply_event(svc: Services, event: WebhookEvent) -> str:
    """Apply one recorded event under the connection's sync lock; returns its new status."""
    if event.status != "pending":
        return event.status
    try:
        with acquire_sync_lock(svc.session_factory, event.connection_id):
            status, error = _apply(svc, event)
    except LockHeldError:
        log.info("webhook event waits for the running sync", extra={"event": event.event_id})
        return "pending"
    _finish(svc, event.id, status, error)
    from rediscover.web import jobs

    jobs.index_changes(svc)
    return status


def _apply(svc: Services, event: WebhookEvent) -> tuple[str, str | None]:
    from rediscover.sync.runner import delete_candidates, run_sync, scrub_candidate

    plan = event.remote_ids or {}
    sf, cid = svc.session_factory, event.connection_id
    if plan.get("delete"):
        delete_candidates(sf, cid, plan["delete"])
    for remote_id in plan.get("scrub", ()):
        scrub_candidate(sf, cid, remote_id)
    if plan.get("reread"):
        run = run_sync(cid, sf, candidates=plan["reread"])
        if run.status != "succeeded":
            return "failed", f"re-read run {run.id} {run.status}: {run.error}"
    return "applied", None


def _finish(svc: Services, event_id: int, status: str, error: str | None) -> None:
    with svc.session_factory() as session:
        event = session.get(WebhookEvent, event_id)
        event.status, event.error = status, error
        event.processed_at = datetime.now(timezone.utc)
        session.commit()
    log.info("webhook event applied", extra={"event_id": event_id, "status": status})


def apply_pending(svc: Services, connection: str | None = None) -> int:
    """Apply events that waited for a sync (all connections, or one by name)."""
    stmt = select(WebhookEvent).where(WebhookEvent.status == "pending").order_by(WebhookEvent.id)
    if connection is not None:
        stmt = stmt.join(Connection, Connection.id == WebhookEvent.connection_id).where(
            Connection.name == connection)
    with svc.session_factory() as session:
        events = list(session.scalars(stmt))
    return sum(apply_event(svc, event) != "pending" for event in events)
