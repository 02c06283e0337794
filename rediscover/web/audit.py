"""The audit trail: who searched what, opened whom, exported or enrolled whom, changed what."""
from __future__ import annotations

import logging
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from rediscover.core.models import AuditEvent, User

log = logging.getLogger(__name__)

# Actions, as stored.
SEARCH = "search"
VIEW_PERSON = "view_person"
EXPORT = "export"
ENROLL = "enroll"
LOGIN = "login"
ADMIN = "admin_change"
MAX_EVENTS = 500


def record(db: Session, team_id: int, user_id: int | None, action: str,
           target: str | None = None, **details: Any) -> None:
    """Add one event to ``db`` (the caller commits, so the event lands with what it describes)."""
    db.add(AuditEvent(team_id=team_id, user_id=user_id, action=action, target=target,
                      details=details))


def recent(db: Session, team_id: int, *, action: str | None = None, user_id: int | None = None,
           limit: int = 100) -> list[dict[str, Any]]:
    """The team's newest events (newest first), optionally of one action or one user."""
    stmt = (select(AuditEvent, User.email).outerjoin(User, User.id == AuditEvent.user_id)
            .where(AuditEvent.team_id == team_id).order_by(AuditEvent.id.desc())
            .limit(min(max(limit, 1), MAX_EVENTS)))
    if action:
        stmt = stmt.where(AuditEvent.action == action)
    if user_id:
        stmt = stmt.where(AuditEvent.user_id == user_id)
    return [
        {"id": e.id, "at": e.created_at.isoformat(), "user": email, "action": e.action,
         "target": e.target, "details": e.details}
        for e, email in db.execute(stmt)
    ]
