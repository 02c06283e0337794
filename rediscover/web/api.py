"""The JSON API under ``/api/v1``: search, facets, person detail, sync runs, OpenAPI."""
from __future__ import annotations

import functools
import json
from importlib import resources
from typing import Any

from flask import Blueprint, Response, g, jsonify, request
from sqlalchemy import select

from rediscover.core.accounts import access_tokens, user_by_token
from rediscover.core.models import Connection, SyncRun
from rediscover.query import people, search as search_mod
from rediscover.query.filters import SearchRequest, Viewer
from rediscover.query.results import FACETS
from rediscover.web import status
from rediscover.web.errors import ApiError
from rediscover.web.wiring import services

bp = Blueprint("api", __name__, url_prefix="/api/v1")

# Filters that take several values; in a query string they repeat (?tags=a&tags=b).
LIST_FILTERS = (
    "job_ids", "rejection_reasons", "sources", "tags", "emails", "countries", "regions", "facets",
)


def require_user(view):
    """Resolve the API token (``Authorization: Bearer …``) to a user and a search viewer."""

    @functools.wraps(view)
    def wrapper(*args, **kwargs):
        token = _token_from_request()
        if not token:
            raise ApiError("unauthorized", "An API token is required (Authorization: Bearer <token>).", 401)
        with services().session_factory() as session:
            user = user_by_token(session, token)
            if user is None:
                raise ApiError("unauthorized", "The API token is not valid.", 401)
            g.user_id, g.team_id, g.user_role = user.id, user.team_id, user.role
            g.viewer = Viewer(team_id=user.team_id, access_tokens=access_tokens(user), user_id=user.id)
        return view(*args, **kwargs)

    return wrapper


def _token_from_request() -> str | None:
    header = request.headers.get("Authorization", "")
    if header.lower().startswith("bearer "):
        return header[7:].strip() or None
    return request.headers.get("X-API-Token") or None


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


@bp.route("/search", methods=["GET", "POST"])
@require_user
def search():
    """One page of people matching the filters."""
    req = SearchRequest.from_dict(filters_from_request())
    page = search_mod.search(services().backend, req, g.viewer)
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
        detail = people.person_detail(session, person_id, g.viewer)
        if detail is not None:
            # "As of": confirmed by the last complete read, not just last changed.
            confirmed = status.person_as_of(session, person_id)
            detail["as_of"] = confirmed.isoformat() if confirmed else detail.get("as_of")
    if detail is None:
        raise ApiError("not_found", f"No person {person_id} is visible to you.", 404)
    return jsonify(detail)


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


@bp.get("/openapi.json")
def openapi():
    """The OpenAPI description of this API."""
    text = resources.files("rediscover.web").joinpath("openapi.json").read_text()
    return Response(text, mimetype="application/json")
