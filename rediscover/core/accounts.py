"""Teams, users, passwords and API tokens (tokens are shown once and stored only as a hash)."""
from __future__ import annotations

import hashlib
import secrets

from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from rediscover.core.enums import UserRole
from rediscover.core.models import Connection, Team, User, UserATSIdentity

TOKEN_PREFIX = "rdk_"
MIN_PASSWORD_LENGTH = 8
# Compared against when the email is unknown, so a wrong email costs as much as a wrong password.
_DUMMY_HASH = generate_password_hash("rediscover-dummy-password")


def hash_token(token: str) -> str:
    """The stored form of an API token."""
    return hashlib.sha256(token.encode()).hexdigest()


def get_or_create_team(session: Session, name: str) -> Team:
    """The team called ``name``, created when missing."""
    team = session.scalar(select(Team).where(Team.name == name))
    if team is None:
        team = Team(name=name)
        session.add(team)
        session.flush()
    return team


def create_user(
    session: Session,
    team: Team,
    email: str,
    *,
    name: str = "",
    role: UserRole | str = UserRole.RECRUITER,
    ats_identities: dict[Connection, str] | None = None,
    password: str | None = None,
) -> tuple[User, str]:
    """Create a user with a fresh API token; returns the user and the token (shown once)."""
    token = TOKEN_PREFIX + secrets.token_urlsafe(24)
    user = User(
        team_id=team.id,
        email=email.strip().lower(),
        name=name,
        role=str(UserRole(role)),
        api_token_hash=hash_token(token),
    )
    if password is not None:
        set_password(user, password)
    for connection, remote_user_id in (ats_identities or {}).items():
        user.ats_identities.append(
            UserATSIdentity(connection_id=connection.id, remote_user_id=str(remote_user_id))
        )
    session.add(user)
    session.flush()
    return user, token


def rotate_token(session: Session, user: User) -> str:
    """Give ``user`` a new API token (the old one stops working)."""
    token = TOKEN_PREFIX + secrets.token_urlsafe(24)
    user.api_token_hash = hash_token(token)
    session.flush()
    return token


def user_by_token(session: Session, token: str) -> User | None:
    """The active user holding ``token``, if any."""
    user = session.scalar(select(User).where(User.api_token_hash == hash_token(token)))
    return user if user is not None and user.active else None


def access_tokens(user: User) -> frozenset[str]:
    """The ``"<connection_id>:<remote user id>"`` tokens that decide confidential visibility."""
    return frozenset(f"{i.connection_id}:{i.remote_user_id}" for i in user.ats_identities)


def set_password(user: User, password: str) -> None:
    """Store a salted hash of ``password`` (werkzeug's scrypt/pbkdf2); ValueError if too short."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ValueError(f"A password needs at least {MIN_PASSWORD_LENGTH} characters.")
    user.password_hash = generate_password_hash(password)


def authenticate(session: Session, email: str, password: str) -> User | None:
    """The active user with this email and password, else None (same cost either way)."""
    user = session.scalar(select(User).where(User.email == email.strip().lower()))
    stored = user.password_hash if user is not None and user.password_hash else _DUMMY_HASH
    ok = check_password_hash(stored, password)
    if user is None or not user.active or not user.password_hash or not ok:
        return None
    return user
