"""The sync lock on SQLite and PostgreSQL: one holder, expiry, dead-owner takeover, renewal."""
from __future__ import annotations

import subprocess
import sys
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from rediscover.core.models import Connection, SyncLock, Team
from rediscover.sync.lock import LockHeldError, LockLostError, acquire_sync_lock


@pytest.fixture
def connection_id(store) -> int:
    with store.session_factory() as s:
        conn = Connection(team=Team(name="Acme"), name="gh", ats="greenhouse", base_url="x")
        s.add(conn)
        s.commit()
        return conn.id


def test_one_holder_at_a_time(store, connection_id):
    sf = store.session_factory
    held = acquire_sync_lock(sf, connection_id)
    with pytest.raises(LockHeldError) as caught:
        acquire_sync_lock(sf, connection_id)
    assert caught.value.owner == held.owner
    held.release()
    again = acquire_sync_lock(sf, connection_id)
    assert again.owner != held.owner
    with pytest.raises(LockLostError):
        held.renew()  # released locks cannot be renewed into existence
    again.renew()


def test_an_expired_lock_is_taken_over_and_its_holder_stops(store, connection_id):
    sf = store.session_factory
    now = [1_700_000_000.0]
    stale = acquire_sync_lock(sf, connection_id, ttl=timedelta(seconds=60), clock=lambda: now[0])
    _pretend_other_host(sf, connection_id, stale)
    now[0] += 30
    with pytest.raises(LockHeldError):
        acquire_sync_lock(sf, connection_id, clock=lambda: now[0])
    now[0] += 31

    fresh = acquire_sync_lock(sf, connection_id, clock=lambda: now[0])

    with pytest.raises(LockLostError, match="another process took it over"):
        stale.renew()
    fresh.renew()


def test_a_lock_of_a_dead_process_on_this_host_is_taken_over_at_once(store, connection_id):
    sf = store.session_factory
    held = acquire_sync_lock(sf, connection_id)
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True).stdout.strip()
    host = held.owner.split(":")[0]
    with sf() as s:
        s.execute(update(SyncLock).values(owner=f"{host}:{dead}:deadbeef"))
        s.commit()

    taken = acquire_sync_lock(sf, connection_id)

    with sf() as s:
        assert s.scalar(select(SyncLock.owner)) == taken.owner


def _pretend_other_host(sf, connection_id: int, handle) -> None:
    # A holder on another machine can only be judged by its expiry.
    owner = "elsewhere:1:" + handle.owner.rsplit(":", 1)[1]
    with sf() as s:
        s.execute(update(SyncLock).where(SyncLock.connection_id == connection_id)
                  .values(owner=owner))
        s.commit()
    handle.owner = owner
