"""Sync errors, named by what the caller does next.

Hierarchy::

    SyncError
    ├── RetryableSyncError      back off and retry (429, 5xx, timeouts, broken connections)
    │   └── MalformedBodyError  a 2xx whose body is not the JSON we expect (truncated, garbled)
    ├── FatalSyncError          stop this connection (401 after a refresh, 403, 404, 422, config)
    └── SkippedRecordError      one bad record: log it, count it, record it, continue

Context rides as attributes (``ats``, ``status``, ``url``), as on httpx's ``HTTPStatusError``.
Messages name the ATS, the status and what to check; they never carry secrets (client
secrets, bearer tokens, signed download URLs) or candidate PII.
"""
from __future__ import annotations

from collections.abc import Mapping


class SyncError(Exception):
    """Root of every error the sync package raises on purpose."""

    def __init__(
        self,
        message: str,
        *,
        ats: str | None = None,
        status: int | None = None,
        url: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.ats = ats
        self.status = status
        self.url = url


class RetryableSyncError(SyncError):
    """A transient failure: 429, 5xx, timeout, dropped connection, unreadable body."""

    def __init__(
        self,
        message: str,
        *,
        ats: str | None = None,
        status: int | None = None,
        url: str | None = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message, ats=ats, status=status, url=url)
        self.retry_after = retry_after  # seconds the server asked us to wait, if it said
        self.attempts = 1  # set by the client when it gives up


class MalformedBodyError(RetryableSyncError):
    """A successful response whose body could not be read as the expected JSON.

    ``headers`` are kept so a caller that gave up retrying can still follow the page's
    ``Link`` header and record just this page as failed.
    """

    def __init__(
        self,
        message: str,
        *,
        ats: str | None = None,
        status: int | None = None,
        url: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(message, ats=ats, status=status, url=url)
        self.headers: Mapping[str, str] = headers or {}


class FatalSyncError(SyncError):
    """Retrying will not help: bad credentials, missing scope, bad configuration."""


class SkippedRecordError(SyncError):
    """One record could not be taken; the sync records it and goes on.

    ``reread`` marks a skip that may heal by itself (it refers to a record not stored yet):
    the window holding it is then read again by the next sync instead of being committed.
    ``gone`` marks a record the ATS listed but then would not show (deleted since, or
    secured from us): a full listing does not count it as seen, so a stored copy is swept.
    """

    def __init__(self, message: str, *, resource: str | None = None,
                 remote_id: str | None = None, reread: bool = False,
                 gone: bool = False) -> None:
        super().__init__(message)
        self.resource = resource
        self.remote_id = remote_id
        self.reread = reread
        self.gone = gone
