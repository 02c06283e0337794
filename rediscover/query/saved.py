"""Saved searches: a user's named filter sets, what is new since they looked, daily digests.

"New" people are those matching the saved filters whose last in process is at or after the
moment the owner last looked (or the last digest): people who entered this pool since, which
both backends answer exactly with the ``last_in_process_after`` filter.
"""
from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from rediscover.core.accounts import access_tokens
from rediscover.core.models import SavedSearch, User
from rediscover.query.filters import SearchRequest, Viewer
from rediscover.query.search import search

if TYPE_CHECKING:
    from sqlalchemy.orm import Session, sessionmaker

    from rediscover.indexer.backends.base import SearchBackend
    from rediscover.query.ranking import RankingWeights
    from rediscover.query.results import SearchPage

log = logging.getLogger(__name__)

DIGEST_EVERY = timedelta(days=1)
DIGEST_PEOPLE = 20  # people listed in one digest (the total says how many there are)


def viewer_of(user: User) -> Viewer:
    """The search viewer a user is."""
    return Viewer(team_id=user.team_id, access_tokens=access_tokens(user), user_id=user.id)


def new_since(
    backend: SearchBackend,
    saved: SavedSearch,
    viewer: Viewer,
    since: datetime,
    *,
    limit: int = 1,
    weights: RankingWeights | None = None,
) -> SearchPage:
    """People matching ``saved`` whose last in process is at or after ``since``."""
    request = SearchRequest.from_dict(saved.filters)
    after = request.last_in_process_after
    bound = max(after, since) if after else since
    before = request.last_in_process_before
    if before and bound >= before:
        bound = before  # an empty range, not an invalid one
    request = replace(request, last_in_process_after=bound, limit=limit, cursor=None)
    return search(backend, request, viewer, weights=weights)


def saved_dict(saved: SavedSearch, new: int | None = None) -> dict[str, Any]:
    """A saved search as the API shows it."""
    return {
        "id": saved.id,
        "name": saved.name,
        "filters": saved.filters,
        "last_viewed_at": saved.last_viewed_at.isoformat(),
        "digest_webhook_url": saved.digest_webhook_url,
        "last_digest_at": saved.last_digest_at.isoformat() if saved.last_digest_at else None,
        "new_count": new,
    }


def run_digests(
    session_factory: sessionmaker[Session],
    backend: SearchBackend,
    send: Callable[[str, dict[str, Any]], None],
    *,
    weights: RankingWeights | None = None,
    now: datetime | None = None,
) -> int:
    """Send each due daily digest (saved searches with a webhook) once; returns how many were sent.

    A digest is due a day after the previous one (or the search's creation). One that fails
    to send is logged and retried on the next run, so nothing is skipped.
    """
    now = now or datetime.now(timezone.utc)
    sent = 0
    with session_factory() as session:
        due = session.execute(
            select(SavedSearch, User)
            .join(User, User.id == SavedSearch.user_id)
            .where(SavedSearch.digest_webhook_url.is_not(None), User.active.is_(True))
            .order_by(SavedSearch.id)
        ).all()
        for saved, user in due:
            since = saved.last_digest_at or saved.created_at
            if now - since < DIGEST_EVERY:
                continue
            sent += _send_digest(session, backend, saved, user, since, now, send, weights)
    return sent


def _send_digest(
    session: Session,
    backend: SearchBackend,
    saved: SavedSearch,
    user: User,
    since: datetime,
    now: datetime,
    send: Callable[[str, dict[str, Any]], None],
    weights: RankingWeights | None,
) -> int:
    page = new_since(backend, saved, viewer_of(user), since, limit=DIGEST_PEOPLE, weights=weights)
    body = {
        "saved_search": {"id": saved.id, "name": saved.name},
        "since": since.isoformat(),
        "new_count": page.total,
        "people": [r.to_dict() for r in page.results],
    }
    try:
        if page.total:
            send(saved.digest_webhook_url or "", body)
    except Exception:  # any delivery failure: keep the window, try again next run
        log.warning("digest delivery failed", extra={"saved_search_id": saved.id}, exc_info=True)
        return 0
    saved.last_digest_at = now
    session.commit()
    return 1 if page.total else 0
