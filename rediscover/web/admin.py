"""Admin API: users, connections, stage maps and the audit trail (admins of the team only)."""
from __future__ import annotations

from typing import Any

from flask import Blueprint, g, jsonify, request
from sqlalchemy import or_, select

from rediscover.core import accounts
from rediscover.core.enums import UserRole
from rediscover.core.milestones import MILESTONES
from rediscover.core.models import (
    Application,
    Connection,
    IndexQueue,
    Stage,
    StageEvent,
    Team,
    User,
    UserATSIdentity,
)
from rediscover.web import audit, jobs
from rediscover.web.auth import require_admin
from rediscover.web.errors import ApiError
from rediscover.web.wiring import services

bp = Blueprint("admin", __name__, url_prefix="/api/v1/admin")


# --------------------------------------------------------------------------- users


@bp.get("/users")
@require_admin
def list_users():
    """The team's users with their roles and ATS identities."""
    with services().session_factory() as db:
        users = db.scalars(select(User).where(User.team_id == g.team_id).order_by(User.email)).all()
        return jsonify({"users": [_user_dict(u) for u in users]})


@bp.post("/users")
@require_admin
def create_user():
    """Add a user to the admin's team; answers with their API token (shown once)."""
    body = _json_body()
    email = body.get("email")
    if not isinstance(email, str) or "@" not in email or len(email) > 320:
        raise ApiError("invalid_request", "email must be an email address.", 400, "email")
    role = _role(body.get("role", "recruiter"))
    with services().session_factory.begin() as db:
        if db.scalar(select(User.id).where(User.email == email.strip().lower())):
            raise ApiError("conflict", "A user with this email exists.", 409, "email")
        team = db.get(Team, g.team_id)
        user, token = accounts.create_user(db, team, email, name=str(body.get("name") or ""),
                                           role=role)
        _apply_password(user, body)
        _apply_identities(db, user, body)
        audit.record(db, g.team_id, g.user_id, audit.ADMIN, f"user:{user.email}", change="created",
                     role=role)
        db.flush()
        out = _user_dict(user)
    return jsonify({**out, "api_token": token}), 201


@bp.patch("/users/<int:user_id>")
@require_admin
def update_user(user_id: int):
    """Change a user's role, active flag, password or ATS identities."""
    body = _json_body()
    with services().session_factory.begin() as db:
        user = db.get(User, user_id)
        if user is None or user.team_id != g.team_id:
            raise ApiError("not_found", f"No user {user_id}.", 404)
        if "role" in body:
            user.role = _role(body["role"])
        if "active" in body:
            if not isinstance(body["active"], bool):
                raise ApiError("invalid_request", "active must be true or false.", 400, "active")
            user.active = body["active"]
        _apply_password(user, body)
        _apply_identities(db, user, body)
        changed = sorted(k for k in body if k != "password") + (["password"] if "password" in body else [])
        audit.record(db, g.team_id, g.user_id, audit.ADMIN, f"user:{user.email}", change="updated",
                     fields=changed)
        db.flush()
        return jsonify(_user_dict(user))


def _role(value: Any) -> str:
    if value not in [r.value for r in UserRole]:
        raise ApiError("invalid_request", "role must be admin or recruiter.", 400, "role")
    return value


def _apply_password(user: User, body: dict[str, Any]) -> None:
    if body.get("password") is None:
        return
    if not isinstance(body["password"], str):
        raise ApiError("invalid_request", "password must be text.", 400, "password")
    try:
        accounts.set_password(user, body["password"])
    except ValueError as exc:
        raise ApiError("invalid_request", str(exc), 400, "password") from None


def _apply_identities(db, user: User, body: dict[str, Any]) -> None:
    """``ats_identities``: {connection name: ATS user id}; replaces the user's identities."""
    given = body.get("ats_identities")
    if given is None:
        return
    if not isinstance(given, dict) or not all(isinstance(v, (str, int)) for v in given.values()):
        raise ApiError("invalid_request", "ats_identities maps connection names to ATS user ids.",
                       400, "ats_identities")
    conns = {c.name: c for c in db.scalars(select(Connection).where(Connection.team_id == g.team_id))}
    unknown = [name for name in given if name not in conns]
    if unknown:
        raise ApiError("invalid_request", f"No connection named {unknown[0]!r}.", 400, "ats_identities")
    user.ats_identities = [UserATSIdentity(connection_id=conns[name].id, remote_user_id=str(remote))
                           for name, remote in given.items()]


def _user_dict(user: User) -> dict[str, Any]:
    return {"id": user.id, "email": user.email, "name": user.name, "role": user.role,
            "active": user.active, "has_password": bool(user.password_hash),
            "ats_identities": {i.connection_id: i.remote_user_id for i in user.ats_identities}}


# --------------------------------------------------------------------------- connections


@bp.get("/connections")
@require_admin
def list_connections():
    """The team's ATS connections (credentials are never returned)."""
    with services().session_factory() as db:
        rows = db.scalars(select(Connection).where(Connection.team_id == g.team_id)
                          .order_by(Connection.name)).all()
        return jsonify({"connections": [_connection_dict(c) for c in rows]})


@bp.patch("/connections/<int:connection_id>")
@require_admin
def update_connection(connection_id: int):
    """Enable or disable a connection, or point it at another base URL."""
    body = _json_body()
    with services().session_factory.begin() as db:
        conn = _own_connection(db, connection_id)
        if "enabled" in body:
            if not isinstance(body["enabled"], bool):
                raise ApiError("invalid_request", "enabled must be true or false.", 400, "enabled")
            conn.enabled = body["enabled"]
        if "base_url" in body:
            url = body["base_url"]
            if not isinstance(url, str) or not url.startswith(("http://", "https://")):
                raise ApiError("invalid_request", "base_url must be an http(s) URL.", 400, "base_url")
            conn.base_url = url.rstrip("/")
        audit.record(db, g.team_id, g.user_id, audit.ADMIN, f"connection:{conn.name}",
                     change="updated", fields=sorted(body))
        db.flush()
        return jsonify(_connection_dict(conn))


def _own_connection(db, connection_id: int) -> Connection:
    conn = db.get(Connection, connection_id)
    if conn is None or conn.team_id != g.team_id:
        raise ApiError("not_found", f"No connection {connection_id}.", 404)
    return conn


def _connection_dict(c: Connection) -> dict[str, Any]:
    return {"id": c.id, "name": c.name, "ats": c.ats, "base_url": c.base_url, "enabled": c.enabled,
            "created_at": c.created_at.isoformat()}


# --------------------------------------------------------------------------- stage maps


@bp.get("/connections/<int:connection_id>/stages")
@require_admin
def list_stages(connection_id: int):
    """A connection's stages with their milestones (``source``: default or admin)."""
    with services().session_factory() as db:
        _own_connection(db, connection_id)
        rows = db.scalars(select(Stage).where(Stage.connection_id == connection_id)
                          .order_by(Stage.job_id, Stage.sort_order, Stage.id)).all()
        return jsonify({"milestones": list(MILESTONES), "stages": [
            {"id": s.id, "name": s.name, "job_id": s.job_id, "job": s.job.title if s.job else None,
             "order": s.sort_order, "active": s.active, "milestone": s.milestone,
             "source": s.milestone_source} for s in rows]})


@bp.patch("/stages/<int:stage_id>")
@require_admin
def update_stage(stage_id: int):
    """Map a stage to a milestone (or none); kept across re-syncs; affected people reindexed."""
    body = _json_body()
    milestone = body.get("milestone", "missing")
    if milestone is not None and milestone not in MILESTONES:
        raise ApiError("invalid_request", f"milestone must be one of {', '.join(MILESTONES)} or null.",
                       400, "milestone")
    svc = services()
    with svc.session_factory.begin() as db:
        stage = db.get(Stage, stage_id)
        if stage is None:
            raise ApiError("not_found", f"No stage {stage_id}.", 404)
        _own_connection(db, stage.connection_id)
        before = stage.milestone
        stage.milestone, stage.milestone_source = milestone, "admin"
        _queue_people_in_stage(db, stage.id)
        audit.record(db, g.team_id, g.user_id, audit.ADMIN, f"stage:{stage.id}", change="milestone",
                     name=stage.name, before=before, after=milestone)
    jobs.index_changes(svc)  # reached-stage filters use the new map right away
    return jsonify({"id": stage_id, "milestone": milestone, "source": "admin"})


def _queue_people_in_stage(db, stage_id: int) -> None:
    """Queue every candidate with an application that is or was in this stage for reindexing."""
    in_history = select(StageEvent.application_id).where(StageEvent.stage_id == stage_id)
    candidate_ids = set(db.scalars(select(Application.candidate_id).where(or_(
        Application.current_stage_id == stage_id, Application.id.in_(in_history)))))
    db.add_all(IndexQueue(candidate_id=cid) for cid in candidate_ids)


# --------------------------------------------------------------------------- audit


@bp.get("/audit")
@require_admin
def audit_log():
    """The team's audit trail, newest first (``action``, ``user_id``, ``limit`` narrow it)."""
    try:
        limit = int(request.args.get("limit") or 100)
        user_id = int(request.args["user_id"]) if request.args.get("user_id") else None
    except ValueError:
        raise ApiError("invalid_request", "limit and user_id must be integers.", 400, "limit") from None
    with services().session_factory() as db:
        events = audit.recent(db, g.team_id, action=request.args.get("action") or None,
                              user_id=user_id, limit=limit)
    return jsonify({"events": events})


def _json_body() -> dict[str, Any]:
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise ApiError("invalid_json", "The request body must be a JSON object.", 400)
    return body
