"""Sequences and projects: create them, bulk-add people, poll the job, export CSV, deliveries."""
from __future__ import annotations

import csv
import io
import secrets
from typing import Any
from urllib.parse import urlparse

from flask import Blueprint, Response, g, jsonify, request
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from rediscover.core.models import BulkJob, Enrollment, Sequence, User, WebhookDelivery
from rediscover.query.filters import SearchRequest
from rediscover.query.people import person_summaries
from rediscover.web import audit, bulk
from rediscover.web.auth import require_user
from rediscover.web.errors import ApiError
from rediscover.web.wiring import services

bp = Blueprint("sequences", __name__, url_prefix="/api/v1")

KINDS = ("sequence", "project")
MAX_IDS = bulk.MAX_PEOPLE
MAX_KEY = 200


@bp.get("/sequences")
@require_user
def list_sequences():
    """The team's sequences and projects, with how many people each holds."""
    with services().session_factory() as db:
        counts = dict(db.execute(
            select(Enrollment.sequence_id, func.count()).group_by(Enrollment.sequence_id)).all())
        rows = db.scalars(select(Sequence).where(Sequence.team_id == g.team_id)
                          .order_by(Sequence.name)).all()
        return jsonify({"sequences": [_sequence_dict(s, counts.get(s.id, 0)) for s in rows]})


@bp.post("/sequences")
@require_user
def create_sequence():
    """Create a sequence (name, steps, optional webhook URL) or a project (name)."""
    body = _json_body()
    kind = body.get("kind", "sequence")
    if kind not in KINDS:
        raise ApiError("invalid_request", "kind must be sequence or project.", 400, "kind")
    name = _text(body, "name", 200, required=True)
    steps = _text(body, "steps", 20_000) or ""
    url = _webhook_url(body.get("webhook_url"))
    seq = Sequence(team_id=g.team_id, kind=kind, name=name, steps=steps, webhook_url=url,
                   webhook_secret=secrets.token_hex(32) if url else None, created_by=g.user_id)
    try:
        with services().session_factory.begin() as db:
            db.add(seq)
    except IntegrityError:
        raise ApiError("conflict", f"Your team already has a list named {name!r}.", 409, "name") from None
    # The secret is shown once, here; receivers use it to verify signatures.
    return jsonify({**_sequence_dict(seq, 0), "webhook_secret": seq.webhook_secret}), 201


@bp.get("/sequences/<int:sequence_id>")
@require_user
def get_sequence(sequence_id: int):
    """One sequence with its enrolled people (newest first) and its latest deliveries."""
    with services().session_factory() as db:
        seq = _own_sequence(db, sequence_id)
        enrolled = db.execute(select(Enrollment.person_id, Enrollment.created_at)
                              .where(Enrollment.sequence_id == seq.id)
                              .order_by(Enrollment.id.desc()).limit(500)).all()
        total = db.scalar(select(func.count()).where(Enrollment.sequence_id == seq.id))
        people = person_summaries(db, [p for p, _ in enrolled])
        deliveries = db.scalars(select(WebhookDelivery).where(WebhookDelivery.sequence_id == seq.id)
                                .order_by(WebhookDelivery.id.desc()).limit(50)).all()
        return jsonify({
            **_sequence_dict(seq, total),
            "people": [{"person_id": p, "added_at": at.isoformat(), "name": people.get(p, {}).get("name"),
                        "emails": people.get(p, {}).get("emails", [])} for p, at in enrolled],
            "deliveries": [_delivery_dict(d) for d in deliveries],
        })


@bp.post("/sequences/<int:sequence_id>/enrollments")
@require_user
def add_people(sequence_id: int):
    """Start a bulk add of ``person_ids`` or of everyone matching ``filters``; 202 with the job."""
    body = _json_body()
    key = request.headers.get("Idempotency-Key") or body.pop("idempotency_key", None)
    body.pop("idempotency_key", None)
    if key is not None and (not isinstance(key, str) or not 0 < len(key) <= MAX_KEY):
        raise ApiError("invalid_request", f"The idempotency key must be 1-{MAX_KEY} characters.",
                       400, "idempotency_key")
    spec = _bulk_spec(body)
    with services().session_factory() as db:
        _own_sequence(db, sequence_id)
    svc = services()
    try:
        job, created = bulk.start_bulk_add(
            svc, g.user_id, g.team_id, sequence_id, key or secrets.token_hex(16), spec, g.viewer,
            run_async=not svc.config.get("BULK_INLINE"))
    except bulk.IdempotencyConflict:
        raise ApiError("idempotency_key_reused", "This idempotency key was used for a different "
                       "request.", 409, "idempotency_key") from None
    with svc.session_factory() as db:
        job = db.get(BulkJob, job.id)
        return jsonify({"job": bulk.job_dict(job), "created": created}), 202 if created else 200


@bp.get("/bulk-jobs/<int:job_id>")
@require_user
def get_job(job_id: int):
    """A bulk job's progress and report (poll until ``status`` is done or failed)."""
    with services().session_factory() as db:
        job = db.get(BulkJob, job_id)
        if job is None or job.team_id != g.team_id:
            raise ApiError("not_found", f"No bulk job {job_id}.", 404)
        return jsonify({"job": bulk.job_dict(job)})


@bp.get("/sequences/<int:sequence_id>/export.csv")
@require_user
def export_csv(sequence_id: int):
    """The sequence's people as CSV (audited)."""
    with services().session_factory() as db:
        seq = _own_sequence(db, sequence_id)
        rows = db.execute(select(Enrollment.person_id, Enrollment.created_at, User.email)
                          .outerjoin(User, User.id == Enrollment.added_by)
                          .where(Enrollment.sequence_id == seq.id).order_by(Enrollment.id)).all()
        people = person_summaries(db, [r[0] for r in rows])
        audit.record(db, g.team_id, g.user_id, audit.EXPORT, f"sequence:{seq.id}",
                     people=[r[0] for r in rows], format="csv")
        db.commit()
        name = seq.name
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["person_id", "name", "emails", "title", "company", "added_at", "added_by",
                     "ats_links"])
    for pid, at, by in rows:
        p = people.get(pid, {})
        writer.writerow([pid, p.get("name", ""), ";".join(p.get("emails", [])), p.get("title") or "",
                         p.get("company") or "", at.isoformat(), by or "",
                         " ".join(r["url"] for r in p.get("ats_records", []) if r.get("url"))])
    filename = "".join(c if c.isalnum() else "-" for c in name).strip("-") or "sequence"
    return Response(out.getvalue(), mimetype="text/csv", headers={
        "Content-Disposition": f'attachment; filename="{filename}.csv"'})


# --------------------------------------------------------------------------- helpers


def _own_sequence(db, sequence_id: int) -> Sequence:
    seq = db.get(Sequence, sequence_id)
    if seq is None or seq.team_id != g.team_id:
        raise ApiError("not_found", f"No sequence {sequence_id}.", 404)
    return seq


def _json_body() -> dict[str, Any]:
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise ApiError("invalid_json", "The request body must be a JSON object.", 400)
    return body


def _text(body: dict[str, Any], name: str, max_length: int, required: bool = False) -> str | None:
    value = body.get(name)
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise ApiError("invalid_request", f"{name} is required.", 400, name)
        return None
    if not isinstance(value, str) or len(value) > max_length:
        raise ApiError("invalid_request", f"{name} must be text of at most {max_length} characters.",
                       400, name)
    return value.strip()


def _webhook_url(value: Any) -> str | None:
    if value in (None, ""):
        return None
    parsed = urlparse(value) if isinstance(value, str) else None
    if parsed is None or parsed.scheme not in ("http", "https") or not parsed.netloc or len(value) > 1000:
        raise ApiError("invalid_request", "webhook_url must be an http(s) URL.", 400, "webhook_url")
    return value


def _bulk_spec(body: dict[str, Any]) -> dict[str, Any]:
    """``{"person_ids": [...]}`` or ``{"filters": {...}}`` (validated now, run later)."""
    ids, filters = body.get("person_ids"), body.get("filters")
    unknown = set(body) - {"person_ids", "filters"}
    if unknown:
        raise ApiError("invalid_request", f"Unknown field {sorted(unknown)[0]!r}.", 400, sorted(unknown)[0])
    if (ids is None) == (filters is None):
        raise ApiError("invalid_request", "Send person_ids or filters (all matching), not both.", 400,
                       "person_ids")
    if ids is not None:
        if (not isinstance(ids, list) or not ids or len(ids) > MAX_IDS
                or not all(isinstance(i, int) and not isinstance(i, bool) for i in ids)):
            raise ApiError("invalid_request", f"person_ids must be 1-{MAX_IDS} integer ids.", 400,
                           "person_ids")
        return {"person_ids": ids}
    req = SearchRequest.from_dict(filters)  # InvalidQuery -> 400 naming the filter
    return {"filters": {k: v for k, v in req.to_dict().items() if k not in ("cursor", "limit")}}


def _sequence_dict(seq: Sequence, count: int) -> dict[str, Any]:
    return {"id": seq.id, "kind": seq.kind, "name": seq.name, "steps": seq.steps,
            "webhook_url": seq.webhook_url, "people": count,
            "created_at": seq.created_at.isoformat() if seq.created_at else None}


def _delivery_dict(d: WebhookDelivery) -> dict[str, Any]:
    return {"id": d.id, "bulk_job_id": d.bulk_job_id, "url": d.url, "status": d.status,
            "attempts": d.attempts, "response_status": d.response_status, "error": d.error,
            "created_at": d.created_at.isoformat(),
            "delivered_at": d.delivered_at.isoformat() if d.delivered_at else None}
