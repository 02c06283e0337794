"""Retry policy as data: when to give up and how long to wait between attempts.

Built on tenacity: stop conditions composed with ``|``, ``Retry-After`` read through
``wait_exception``, exponential backoff with jitter otherwise, and ``sleep`` injected so
tests never really sleep.
"""
from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

from tenacity import (
    RetryCallState,
    Retrying,
    retry_if_exception_type,
    stop_after_attempt,
    wait_exception,
    wait_exponential_jitter,
)
from tenacity.stop import stop_base
from tenacity.wait import wait_base

from rediscover.sync.errors import RetryableSyncError

log = logging.getLogger(__name__)

Sleep = Callable[[float], None]


@dataclass(frozen=True)
class RetryPolicy:
    """How hard to try before a transient failure becomes the run's failure.

    ``max_wait_seconds`` bounds the total time spent waiting between attempts (measured as
    the sum of the waits, so it holds with an injected sleep too).
    """

    attempts: int = 5
    max_wait_seconds: float = 300.0
    backoff_initial: float = 1.0  # first backoff, doubled per attempt
    backoff_max: float = 60.0
    jitter: float = 1.0
    max_retry_after: float = 300.0  # never trust a server to park us longer than this

    def retrying(self, *, sleep: Sleep = time.sleep) -> Retrying:
        """A tenacity ``Retrying`` that retries ``RetryableSyncError`` under this policy."""
        return Retrying(
            retry=retry_if_exception_type(RetryableSyncError),
            stop=stop_after_attempt(self.attempts) | stop_after_waiting(self.max_wait_seconds),
            wait=wait_server_first(
                wait_exception(self._retry_after),
                wait_exponential_jitter(
                    multiplier=self.backoff_initial, max=self.backoff_max, jitter=self.jitter
                ),
            ),
            sleep=sleep,
            reraise=True,
            before_sleep=_log_retry,
        )

    def _retry_after(self, exc: BaseException) -> float:
        value = getattr(exc, "retry_after", None) or 0.0
        return min(max(float(value), 0.0), self.max_retry_after)


class stop_after_waiting(stop_base):  # noqa: N801 - tenacity's naming
    """Stop once the waits so far plus the next one would exceed ``limit`` seconds."""

    def __init__(self, limit: float) -> None:
        self.limit = limit

    def __call__(self, retry_state: RetryCallState) -> bool:
        return retry_state.idle_for + (retry_state.upcoming_sleep or 0.0) > self.limit


class wait_server_first(wait_base):  # noqa: N801 - tenacity's naming
    """Wait what the server asked (429 ``Retry-After``), else back off with jitter."""

    def __init__(self, told: wait_base, backoff: wait_base) -> None:
        self.told = told
        self.backoff = backoff

    def __call__(self, retry_state: RetryCallState) -> float:
        exc = retry_state.outcome.exception() if retry_state.outcome else None
        if getattr(exc, "retry_after", None) is not None:
            return self.told(retry_state)
        return self.backoff(retry_state)


def _log_retry(retry_state: RetryCallState) -> None:
    exc = retry_state.outcome.exception() if retry_state.outcome else None
    log.warning(
        "sync request retrying",
        extra={
            "attempt": retry_state.attempt_number,
            "wait_seconds": round(retry_state.upcoming_sleep or 0.0, 3),
            "status": getattr(exc, "status", None),
            "url": getattr(exc, "url", None),
        },
    )
