"""Who is asking: an API token (``Authorization: Bearer``) or the UI's session cookie.

Every ``/api/v1`` endpoint but the OpenAPI file goes through ``require_user``; admin endpoints
add ``require_admin``. Session-authenticated writes must echo the page's CSRF token in
``X-CSRF-Token`` (token-authenticated calls carry no ambient credential, so they need none).
"""
from __future__ import annotations

import functools
import hmac
import secrets
from collections.abc import Callable
from typing import Any

from flask import g, request, session
from sqlalchemy.orm import Session

from rediscover.core.accounts import access_tokens, user_by_token
from rediscover.core.enums import UserRole
from rediscover.core.models import User
from rediscover.query.filters import Viewer
from rediscover.web.errors import ApiError
from rediscover.web.wiring import services

SAFE_METHODS = ("GET", "HEAD", "OPTIONS")


def csrf_token() -> str:
    """This session's CSRF token (created on first use)."""
    if "csrf" not in session:
        session["csrf"] = secrets.token_urlsafe(24)
    return session["csrf"]


def login_session(user: User) -> None:
    """Start a UI session for ``user`` (a fresh session: no fixation)."""
    session.clear()
    session["user_id"] = user.id
    session.permanent = True
    csrf_token()


def session_user(db: Session) -> User | None:
    """The active user of the session cookie, if any."""
    user_id = session.get("user_id")
    user = db.get(User, user_id) if isinstance(user_id, int) else None
    return user if user is not None and user.active else None


def resolve_user(db: Session) -> User | None:
    """The user behind this request: API token first, else the session cookie (CSRF-checked)."""
    token = _token_from_request()
    if token:
        user = user_by_token(db, token)
        if user is None:
            raise ApiError("unauthorized", "The API token is not valid.", 401)
        return user
    user = session_user(db)
    if user is not None and request.method not in SAFE_METHODS:
        sent = request.headers.get("X-CSRF-Token", "")
        if not hmac.compare_digest(sent, session.get("csrf", "")):
            raise ApiError("csrf_failed", "Missing or wrong X-CSRF-Token header.", 403)
    return user


def remember(user: User) -> None:
    """Put the user's ids, role and search viewer on ``g`` for the rest of the request."""
    g.user_id, g.team_id, g.role = user.id, user.team_id, user.role
    g.user_role = user.role  # the name the rest of the API reads
    g.user_email = user.email
    g.viewer = Viewer(team_id=user.team_id, access_tokens=access_tokens(user), user_id=user.id)


def require_user(view: Callable[..., Any]) -> Callable[..., Any]:
    """401 JSON unless the request carries a valid API token or a logged-in session."""

    @functools.wraps(view)
    def wrapper(*args, **kwargs):
        with services().session_factory() as db:
            user = resolve_user(db)
            if user is None:
                raise ApiError(
                    "unauthorized",
                    "Log in, or send an API token (Authorization: Bearer <token>).",
                    401,
                )
            remember(user)
        return view(*args, **kwargs)

    return wrapper


def require_admin(view: Callable[..., Any]) -> Callable[..., Any]:
    """Like ``require_user``, and 403 JSON unless the user is an admin."""

    @functools.wraps(view)
    def wrapper(*args, **kwargs):
        if g.role != UserRole.ADMIN.value:
            raise ApiError("forbidden", "Only admins may do this.", 403)
        return view(*args, **kwargs)

    return require_user(wrapper)


def _token_from_request() -> str | None:
    header = request.headers.get("Authorization", "")
    if header.lower().startswith("bearer "):
        return header[7:].strip() or None
    return request.headers.get("X-API-Token") or None
