"""One sync per connection at a time, across processes: a lock row in the store.

The row (``sync_locks``, one per connection) is taken with a conditional ``UPDATE`` (free or
expired → ours) or, the first time, an ``INSERT`` that the primary key makes atomic; both
work the same on SQLite and PostgreSQL. The holder renews the expiry as it goes (after each
page), so a live sync keeps its lock for as long as it runs and a crashed one frees it after
``LOCK_TTL``. A holder on this host whose process is gone is taken over at once (a killed
CLI must not block the next sync for the whole TTL).
"""
from __future__ import annotations

import logging
import os
import socket
import time
import uuid
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING

from sqlalchemy import or_, update
from sqlalchemy.exc import IntegrityError

from rediscover.core.models import SyncLock
from rediscover.sync.errors import FatalSyncError

if TYPE_CHECKING:
    from collections.abc import Callable

    from sqlalchemy.orm import Session, sessionmaker

log = logging.getLogger(__name__)

LOCK_TTL = timedelta(minutes=10)  # a sync that stops renewing for this long loses its lock


class LockHeldError(Exception):
    """Another process is syncing this connection."""

    def __init__(self, connection_id: int, owner: str | None,
                 expires_at: datetime | None) -> None:
        super().__init__(f"connection {connection_id} is being synced by {owner} "
                         f"(lock expires {expires_at:%Y-%m-%d %H:%M:%S} UTC)"
                         if expires_at else f"connection {connection_id} is being synced")
        self.connection_id = connection_id
        self.owner = owner
        self.expires_at = expires_at


class LockLostError(FatalSyncError):
    """Our lock expired and another process took it: stop writing at once."""


class SyncLockHandle:
    """A held sync lock: renew it while working, release it when done."""

    def __init__(self, session_factory: sessionmaker[Session], connection_id: int, owner: str,
                 ttl: timedelta, clock: Callable[[], float]) -> None:
        self.session_factory = session_factory
        self.connection_id = connection_id
        self.owner = owner
        self.ttl = ttl
        self.clock = clock

    def renew(self) -> None:
        """Push the expiry out; raises ``LockLostError`` if the lock is no longer ours."""
        with self.session_factory() as session:
            result = session.execute(
                update(SyncLock)
                .where(SyncLock.connection_id == self.connection_id, SyncLock.owner == self.owner)
                .values(expires_at=_now(self.clock) + self.ttl))
            session.commit()
        if result.rowcount != 1:
            raise LockLostError(
                f"lost the sync lock of connection {self.connection_id} (it expired and "
                f"another process took it over); stopping this run")

    def release(self) -> None:
        """Free the lock (only if it is still ours)."""
        with self.session_factory() as session:
            session.execute(
                update(SyncLock)
                .where(SyncLock.connection_id == self.connection_id, SyncLock.owner == self.owner)
                .values(owner=None, expires_at=None))
            session.commit()

    def __enter__(self) -> SyncLockHandle:
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()


def acquire_sync_lock(session_factory: sessionmaker[Session], connection_id: int, *,
                      ttl: timedelta = LOCK_TTL,
                      clock: Callable[[], float] = time.time) -> SyncLockHandle:
    """Take the connection's sync lock or raise ``LockHeldError``."""
    owner = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
    now = _now(clock)
    with session_factory() as session:
        if _take(session, connection_id, owner, now, ttl):
            return SyncLockHandle(session_factory, connection_id, owner, ttl, clock)
        holder = session.get(SyncLock, connection_id)
        if holder is not None and holder.owner and _owner_is_gone(holder.owner):
            log.warning("sync lock taken over from a dead process",
                        extra={"connection_id": connection_id})
            if _take(session, connection_id, owner, now, ttl, previous=holder.owner):
                return SyncLockHandle(session_factory, connection_id, owner, ttl, clock)
            session.expire_all()
            holder = session.get(SyncLock, connection_id)
    raise LockHeldError(connection_id, holder.owner if holder else None,
                        holder.expires_at if holder else None)


def _take(session: Session, connection_id: int, owner: str, now: datetime, ttl: timedelta,
          *, previous: str | None = None) -> bool:
    """One atomic attempt: update a free/expired (or ``previous``-owned) row, else insert."""
    free = (SyncLock.owner == previous) if previous else or_(
        SyncLock.owner.is_(None), SyncLock.expires_at < now)
    result = session.execute(
        update(SyncLock).where(SyncLock.connection_id == connection_id, free)
        .values(owner=owner, acquired_at=now, expires_at=now + ttl))
    if result.rowcount == 1:
        session.commit()
        return True
    if previous or session.get(SyncLock, connection_id) is not None:
        session.rollback()
        return False
    try:
        session.add(SyncLock(connection_id=connection_id, owner=owner, acquired_at=now,
                             expires_at=now + ttl))
        session.commit()
        return True
    except IntegrityError:  # another process inserted it first: theirs
        session.rollback()
        return False


def _owner_is_gone(owner: str) -> bool:
    """True when ``owner`` ran on this host and its process no longer exists."""
    host, _, rest = owner.partition(":")
    pid_text = rest.partition(":")[0]
    if host != socket.gethostname() or not pid_text.isdigit():
        return False  # another machine: only the expiry can tell
    try:
        os.kill(int(pid_text), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


def _now(clock: Callable[[], float]) -> datetime:
    return datetime.fromtimestamp(clock(), tz=timezone.utc)
