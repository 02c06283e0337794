"""The JSON API under ``/api/v1``: search, facets, person detail, sync runs, OpenAPI."""
from __future__ import annotations

import hashlib
import hmac
import json
from datetime import datetime, timezone
from importlib import resources
from typing import Any

from flask import Blueprint, Response, g, jsonify, request
from sqlalchemy import and_, exists, func, or_, select

from rediscover.core.enums import UserRole
from rediscover.core.models import (
    Application,
    Connection,
    IndexQueue,
    Job,
    JobTeamMember,
    RejectionReason,
    SavedSearch,
    SyncRun,
    User,
)
from rediscover.indexer.build import reason_category
from rediscover.mappings.reasons import LABELS as REASON_LABELS
from rediscover.mappings.reasons import SHARED_REASONS, default_reason
from rediscover.query import people, saved as saved_mod, search as search_mod
from rediscover.query.filters import SearchRequest
from rediscover.query.people import evaluation_dict
from rediscover.query.results import FACETS
from rediscover.sync.evaluations import InvalidEvaluation, record_evaluation
from rediscover.web import audit, status
from rediscover.web.auth import require_user
from rediscover.web.errors import ApiError
from rediscover.web.wiring import services

bp = Blueprint("api", __name__, url_prefix="/api/v1")

# Filters that take several values; in a query string they repeat (?tags=a&tags=b).
LIST_FILTERS = (
    "job_ids", "rejection_reasons", "sources", "tags", "emails", "countries", "regions", "facets",
    "shared_reasons",
)
SIGNATURE_HEADER = "X-Rediscover-Signature"  # "sha256=<hex HMAC-SHA256 of the raw body>"
TEAM_HEADER = "X-Rediscover-Team"
MAX_SAVED_NAME = 200


def filters_from_request() -> dict[str, Any]:
    """Filters from a JSON body (POST) or the query string (GET)."""
    if request.method == "POST":
        if not request.data:
            return {}
        try:
            return json.loads(request.data)
        except ValueError:
            raise ApiError("invalid_json", "The request body is not valid JSON.", 400) from None
    data: dict[str, Any] = {}
    for key in request.args:
        values = request.args.getlist(key)
        data[key] = values if key in LIST_FILTERS else values[-1]
    return data


def _json_body() -> Any:
    """The JSON body of a POST/PUT (None when empty)."""
    try:
        return json.loads(request.get_data() or b"null")
    except ValueError:
        raise ApiError("invalid_json", "The request body is not valid JSON.", 400) from None


@bp.route("/search", methods=["GET", "POST"])
@require_user
def search():
    """One page of people matching the filters."""
    req = SearchRequest.from_dict(filters_from_request())
    page = search_mod.search(services().backend, req, g.viewer, weights=services().weights)
    if not req.cursor:  # one audit line per search, not per page
        with services().session_factory.begin() as session:
            audit.record(session, g.team_id, g.user_id, audit.SEARCH, None,
                         filters=req.to_dict(), total=page.total)
    return jsonify(page.to_dict())


@bp.route("/facets", methods=["GET", "POST"])
@require_user
def facets():
    """Counts per milestone, rejection reason, source, job and tag for the filters."""
    data = filters_from_request()
    names = data.pop("facets", None) if isinstance(data, dict) else None
    if names is not None:
        names = [names] if isinstance(names, str) else names
        unknown = [n for n in names if n not in FACETS]
        if unknown:
            raise ApiError("invalid_filter", f"Unknown facet {unknown[0]!r}.", 400, "facets")
    req = SearchRequest.from_dict(data)
    result = search_mod.facets(services().backend, req, g.viewer)
    out = {
        name: [vars(v) for v in values]
        for name, values in result.items()
        if names is None or name in names
    }
    return jsonify({"facets": out})


@bp.get("/people/<int:person_id>")
@require_user
def person(person_id: int):
    """A person with every application the user may see, their scorecards and resume snippet."""
    with services().session_factory() as session:
        detail = people.person_detail(session, person_id, g.viewer, weights=services().weights)
        if detail is None:
            raise ApiError("not_found", f"No person {person_id} is visible to you.", 404)
        # "As of": confirmed by the last complete read, not just last changed.
        confirmed = status.person_as_of(session, person_id)
        detail["as_of"] = confirmed.isoformat() if confirmed else detail.get("as_of")
        audit.record(session, g.team_id, g.user_id, audit.VIEW_PERSON, f"person:{person_id}",
                     name=detail["name"])
        session.commit()
    return jsonify(detail)


@bp.get("/me")
@require_user
def me():
    """Who the credentials belong to: email, role, team."""
    with services().session_factory() as session:
        user = session.get(User, g.user_id)
        return jsonify({"id": user.id, "email": user.email, "name": user.name, "role": user.role,
                        "team": user.team.name})


@bp.get("/jobs")
@require_user
def jobs():
    """Jobs of the user's team whose title or requisition id contains ``q`` (autocomplete)."""
    q = (request.args.get("q") or "").strip()
    if len(q) > 200:
        raise ApiError("invalid_request", "q is longer than 200 characters.", 400, "q")
    limit = _int_arg("limit", 20, 1, 100)
    with services().session_factory() as session:
        stmt = (select(Job, Connection.name).join(Connection, Connection.id == Job.connection_id)
                .where(Connection.team_id == g.team_id, _visible_job(g.viewer.access_tokens))
                .order_by(Job.title, Job.id).limit(limit))
        if q:
            like = f"%{q.lower()}%"
            stmt = stmt.where(or_(func.lower(Job.title).like(like),
                                  func.lower(Job.requisition_id).like(like)))
        rows = session.execute(stmt).all()
    return jsonify({"jobs": [
        {"id": j.id, "title": j.title, "requisition_id": j.requisition_id, "status": j.status,
         "confidential": j.confidential, "connection": name}
        for j, name in rows
    ]})


def _visible_job(tokens: frozenset[str]):
    """SQL: the job is not confidential, or one of the viewer's ATS identities is on its team."""
    on_team = [and_(Job.connection_id == int(conn), JobTeamMember.remote_user_id == remote)
               for conn, _, remote in (t.partition(":") for t in tokens)]
    if not on_team:
        return Job.confidential.is_(False)
    member = exists().where(JobTeamMember.job_id == Job.id, or_(*on_team))
    return or_(Job.confidential.is_(False), member)


@bp.get("/sync/runs")
@require_user
def sync_runs():
    """The latest sync runs of the user's team's connections, newest first, and per connection
    the last runs with counts, duration, request rate vs. budget, errors and failures."""
    limit = _int_arg("limit", 20, 1, 200)
    per_connection = _int_arg("per_connection", status.RUNS_PER_CONNECTION, 1, 50)
    with services().session_factory() as session:
        rows = session.execute(
            select(SyncRun, Connection.name)
            .join(Connection, Connection.id == SyncRun.connection_id)
            .where(Connection.team_id == g.team_id)
            .order_by(SyncRun.id.desc())
            .limit(limit)
        ).all()
        connections = status.connection_status(session, g.team_id, per_connection)
    return jsonify({"runs": [status.run_dict(run, name) for run, name in rows],
                    "connections": connections})


def _int_arg(name: str, default: int, low: int, high: int) -> int:
    raw = request.args.get(name)
    if raw in (None, ""):
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ApiError("invalid_parameter", f"{name} must be a whole number.", 400, name) from None
    return min(max(value, low), high)


@bp.post("/admin/erase")
@require_user
def admin_erase():
    """GDPR erase by email (admins only): store, index and cached files; an audit line stays."""
    from rediscover.web.erase import erase_person

    if g.user_role != "admin":
        raise ApiError("forbidden", "Only an admin may erase people.", 403)
    data = filters_from_request()
    email = data.get("email") if isinstance(data, dict) else None
    if not isinstance(email, str) or "@" not in email:
        raise ApiError("invalid_parameter", "email must be an email address.", 400, "email")
    result = erase_person(services(), email, actor=f"user:{g.user_id}", team_id=g.team_id)
    return jsonify(result.to_dict())


# --------------------------------------------------------------------------- evaluations


@bp.post("/evaluations")
def evaluations():
    """Signed intake of one evaluation result; idempotent by provider + external id."""
    team_id = _verified_team()
    data = _json_body()
    with services().session_factory() as session:
        try:
            row, created = record_evaluation(session, team_id, data)
        except InvalidEvaluation as exc:
            raise ApiError("invalid_evaluation", exc.message, 400, exc.field) from None
        session.commit()
        body = {"evaluation": evaluation_dict(row), "created": created}
    return jsonify(body), 201 if created else 200


def _verified_team() -> int:
    """The team whose secret signed this body (``TEAM_HEADER`` + ``SIGNATURE_HEADER``)."""
    secrets_by_team = {str(k): v for k, v in services().config["EVALUATION_SECRETS"].items()}
    team = request.headers.get(TEAM_HEADER, "")
    secret = secrets_by_team.get(team)
    given = request.headers.get(SIGNATURE_HEADER, "").removeprefix("sha256=")
    if not secret or not given:
        message = f"Sign the body with your team's secret ({SIGNATURE_HEADER})."
        raise ApiError("unauthorized", message, 401)
    expected = hmac.new(str(secret).encode(), request.get_data(), hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected, given):
        raise ApiError("unauthorized", "The signature does not match the body.", 401)
    return int(team)


# --------------------------------------------------------------------------- taxonomy


@bp.get("/rejection-reasons")
@require_user
def rejection_reasons():
    """Every ATS rejection reason of the team with its shared reason and where that came from."""
    with services().session_factory() as session:
        rows = session.execute(
            select(RejectionReason, Connection.name)
            .join(Connection, Connection.id == RejectionReason.connection_id)
            .where(Connection.team_id == g.team_id)
            .order_by(Connection.name, RejectionReason.name)
        ).all()
        out = [_reason_dict(r, name) for r, name in rows]
    shared = [
        {"key": k, "label": REASON_LABELS[k], "safe_to_reengage": v}
        for k, v in SHARED_REASONS.items()
    ]
    return jsonify({"shared_reasons": shared, "rejection_reasons": out})


@bp.put("/rejection-reasons/<int:reason_id>")
@require_user
def edit_rejection_reason(reason_id: int):
    """Admins map one ATS reason to a shared reason (``null`` goes back to the default rule)."""
    data = _json_body()
    if not isinstance(data, dict) or "shared_reason" not in data:
        message = 'Send {"shared_reason": key or null}.'
        raise ApiError("invalid_request", message, 400, "shared_reason")
    shared = data["shared_reason"]
    if shared is not None and shared not in SHARED_REASONS:
        message = f"Unknown shared reason {shared!r}."
        raise ApiError("invalid_request", message, 400, "shared_reason")
    with services().session_factory() as session:
        if session.get(User, g.user_id).role != UserRole.ADMIN.value:
            raise ApiError("forbidden", "Only admins edit the rejection-reason map.", 403)
        row = session.execute(
            select(RejectionReason, Connection.name)
            .join(Connection, Connection.id == RejectionReason.connection_id)
            .where(RejectionReason.id == reason_id, Connection.team_id == g.team_id)
        ).first()
        if row is None:
            raise ApiError("not_found", f"No rejection reason {reason_id}.", 404)
        reason, connection = row
        reason.category = shared
        _queue_reason_users(session, reason.id)
        session.commit()
        return jsonify(_reason_dict(reason, connection))


def _reason_dict(reason: RejectionReason, connection: str) -> dict[str, Any]:
    shared = reason_category(reason)
    return {
        "id": reason.id,
        "connection": connection,
        "name": reason.name,
        "type": reason.type_key,
        "shared_reason": shared,
        "safe_to_reengage": SHARED_REASONS[shared] if shared else None,
        "default": default_reason(reason.name, reason.type_key),
        "source": "admin" if reason.category else "default",
    }


def _queue_reason_users(session, reason_id: int) -> None:
    """Re-index everyone rejected with this reason (their documents carry the shared reason)."""
    candidate_ids = session.scalars(
        select(Application.candidate_id)
        .where(Application.rejection_reason_id == reason_id)
        .distinct()
    )
    session.add_all(IndexQueue(candidate_id=cid) for cid in candidate_ids)


# --------------------------------------------------------------------------- saved searches


@bp.get("/saved-searches")
@require_user
def saved_searches():
    """The user's saved searches, each with how many new people match since they last looked."""
    with services().session_factory() as session:
        rows = session.scalars(
            select(SavedSearch).where(SavedSearch.user_id == g.user_id).order_by(SavedSearch.name)
        ).all()
        out = [
            saved_mod.saved_dict(s, _new_count(s, s.last_viewed_at)) for s in rows
        ]
    return jsonify({"saved_searches": out})


@bp.post("/saved-searches")
@require_user
def create_saved_search():
    """Save a filter set under a name (unique per user), with an optional digest webhook."""
    name, filters, webhook = _saved_search_input(_json_body())
    with services().session_factory() as session:
        taken = session.scalar(
            select(SavedSearch.id).where(SavedSearch.user_id == g.user_id, SavedSearch.name == name)
        )
        if taken:
            message = f"You already have a saved search named {name!r}."
            raise ApiError("conflict", message, 409, "name")
        row = SavedSearch(
            user_id=g.user_id, name=name, filters=filters, digest_webhook_url=webhook
        )
        session.add(row)
        session.commit()
        return jsonify(saved_mod.saved_dict(row, 0)), 201


def _saved_search_input(data: Any) -> tuple[str, dict[str, Any], str | None]:
    """(name, validated filters, webhook URL) from a saved-search body."""
    if not isinstance(data, dict):
        raise ApiError("invalid_request", "The body must be a JSON object.", 400)
    name = data.get("name")
    if not isinstance(name, str) or not name.strip() or len(name) > MAX_SAVED_NAME:
        message = f"name must be 1-{MAX_SAVED_NAME} characters."
        raise ApiError("invalid_request", message, 400, "name")
    filters = SearchRequest.from_dict(data.get("filters") or {}).with_cursor(None).to_dict()
    webhook = data.get("digest_webhook_url")
    if webhook is not None and not (
        isinstance(webhook, str) and webhook.startswith(("https://", "http://"))
    ):
        message = "digest_webhook_url must be an http(s) URL."
        raise ApiError("invalid_request", message, 400, "digest_webhook_url")
    return name.strip(), filters, webhook


@bp.get("/saved-searches/<int:saved_id>/results")
@require_user
def saved_search_results(saved_id: int):
    """Run a saved search (``cursor`` pages on); the first page marks it as looked at now."""
    with services().session_factory() as session:
        row = _own_saved(session, saved_id)
        req = SearchRequest.from_dict({**row.filters, **filters_from_request()})
        page = search_mod.search(services().backend, req, g.viewer, weights=services().weights)
        if not req.cursor:
            row.last_viewed_at = datetime.now(timezone.utc)
            session.commit()
    return jsonify(page.to_dict())


@bp.delete("/saved-searches/<int:saved_id>")
@require_user
def delete_saved_search(saved_id: int):
    """Forget a saved search."""
    with services().session_factory() as session:
        session.delete(_own_saved(session, saved_id))
        session.commit()
    return "", 204


def _own_saved(session, saved_id: int) -> SavedSearch:
    row = session.get(SavedSearch, saved_id)
    if row is None or row.user_id != g.user_id:
        raise ApiError("not_found", f"No saved search {saved_id}.", 404)
    return row


def _new_count(saved: SavedSearch, since: datetime) -> int:
    backend, weights = services().backend, services().weights
    return saved_mod.new_since(backend, saved, g.viewer, since, weights=weights).total


@bp.get("/openapi.json")
def openapi():
    """The OpenAPI description of this API."""
    text = resources.files("rediscover.web").joinpath("openapi.json").read_text()
    return Response(text, mimetype="application/json")
