"""The recruiter UI: login, the search page, sequences and the admin page (server-rendered shells).

Pages read data through the JSON API with the session cookie; writes carry the CSRF token the
page embeds (``<meta name="csrf-token">``).
"""
from __future__ import annotations

import functools
import hmac
from urllib.parse import urlparse

from flask import Blueprint, abort, g, redirect, render_template, request, session, url_for
from sqlalchemy import func, select

from rediscover.core import accounts
from rediscover.core.enums import UserRole
from rediscover.core.milestones import LABELS, MILESTONES
from rediscover.core.models import Connection, Enrollment, Sequence
from rediscover.web import audit
from rediscover.web.auth import csrf_token, login_session, remember, session_user
from rediscover.web.wiring import services

bp = Blueprint("ui", __name__)


def login_required(view):
    """Redirect to the login page unless a user is logged in."""

    @functools.wraps(view)
    def wrapper(*args, **kwargs):
        with services().session_factory() as db:
            user = session_user(db)
            if user is None:
                return redirect(url_for("ui.login", next=request.path))
            remember(user)
            g.user_name = user.name or user.email
        return view(*args, **kwargs)

    return wrapper


@bp.app_context_processor
def _page_context():
    return {"csrf_token": csrf_token, "is_admin": getattr(g, "role", None) == UserRole.ADMIN.value}


@bp.route("/login", methods=["GET", "POST"])
def login():
    """The login form; on success a session cookie and a redirect to where the user was going."""
    error = None
    if request.method == "POST":
        if not _csrf_ok():
            error = "Your session expired; please try again."
        else:
            with services().session_factory() as db:
                user = accounts.authenticate(db, request.form.get("email", ""),
                                             request.form.get("password", ""))
                if user is not None:
                    login_session(user)
                    audit.record(db, user.team_id, user.id, audit.LOGIN, f"user:{user.email}")
                    db.commit()
                    return redirect(_safe_next(request.args.get("next")))
            error = "Wrong email or password."
    return render_template("login.html", error=error), 401 if error else 200


@bp.post("/logout")
def logout():
    """End the session."""
    if _csrf_ok():
        session.clear()
    return redirect(url_for("ui.login"))


@bp.get("/")
@login_required
def index():
    """The search page: filters, facet counts, results, person view, bulk add."""
    return render_template("search.html", milestones=[(m, LABELS[m]) for m in MILESTONES])


@bp.get("/sequences")
@login_required
def sequences():
    """The team's sequences and projects with their people counts."""
    with services().session_factory() as db:
        rows = db.execute(
            select(Sequence, func.count(Enrollment.id))
            .outerjoin(Enrollment, Enrollment.sequence_id == Sequence.id)
            .where(Sequence.team_id == g.team_id).group_by(Sequence.id).order_by(Sequence.name)
        ).all()
    return render_template("sequences.html", rows=rows)


@bp.get("/admin")
@login_required
def admin():
    """Users, connections, stage maps and the audit trail (admins only)."""
    if g.role != UserRole.ADMIN.value:
        abort(403)
    with services().session_factory() as db:
        connections = db.scalars(select(Connection).where(Connection.team_id == g.team_id)).all()
    return render_template("admin.html", connections=connections,
                           milestones=[(m, LABELS[m]) for m in MILESTONES])


def _csrf_ok() -> bool:
    """The form's CSRF field matches the session's (both present)."""
    sent, expected = request.form.get("csrf") or "", session.get("csrf") or ""
    return bool(expected) and hmac.compare_digest(sent, expected)


def _safe_next(target: str | None) -> str:
    """Only same-site paths (no open redirect through ?next=)."""
    if target and target.startswith("/") and not target.startswith("//") and not urlparse(target).netloc:
        return target
    return url_for("ui.index")
