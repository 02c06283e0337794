"""What every ATS adapter is: declarations of resources plus ``to_record`` hooks.

The request loop, pagination, retries, checkpoints and writes live once in ``sync/``; an
adapter says which endpoints to read, how to filter them by time, how to authenticate and
how one raw row becomes a record (compare ``GreenhouseStream`` and its one-line
subclasses in Airbyte's ``source-greenhouse``).
"""
from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any, ClassVar

from rediscover.core.enums import TeamRole
from rediscover.sync.errors import FatalSyncError, MalformedBodyError, SkippedRecordError
from rediscover.sync.http import ApiClient, Clock
from rediscover.sync.pagination import LinkHeaderPaginator
from rediscover.sync.retry import RetryPolicy, Sleep

if TYPE_CHECKING:
    import httpx

    from rediscover.sync.records import Record

# Where a "whole history" window starts: before any ATS record we could meet.
HISTORY_START = datetime(2000, 1, 1, tzinfo=timezone.utc)


@dataclass(frozen=True)
class ConnectionConfig:
    """A connection's configuration as plain values (the runner reads it from the store)."""

    id: int
    name: str
    ats: str
    base_url: str
    token_url: str | None = None
    credentials: Mapping[str, Any] = field(default_factory=dict)
    settings: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Resource:
    """One list endpoint an adapter pulls.

    ``incremental`` resources are read in ``updated_at`` windows from the watermark; the
    others are listed in full every run (and, with ``team_roles``, reconciled: team members
    of those roles missing from a complete listing are removed).

    One row may stand for several records (a Lever opportunity is a candidate record, its
    application and its stage history): ``to_record`` may return a tuple, parents first,
    and ``also`` names the other record types so a full listing reconciles them too; the
    row then counts once, under the resource. Record types a row carries but ``also`` does
    not name (a Workday candidate's applications) are counted under their own names and
    not reconciled by this listing.
    ``expand`` fetches what a row only links to (per-row detail endpoints such as Lever's
    feedback or SmartRecruiters' status history) before ``to_record`` sees it.
    """

    name: str  # checkpoint key and counts key
    path: str  # relative to the connection's base URL
    record: type  # the record class ``to_record`` returns
    # (adapter, raw row) -> record, or a tuple of records (parents first) for nested payloads
    to_record: Callable[[Any, Any], Record | tuple[Record, ...]]
    params: Mapping[str, str] = field(default_factory=dict)  # first-page filters
    incremental: bool = True
    team_roles: frozenset[TeamRole] = frozenset()
    also: tuple[type, ...] = ()  # other record types ``to_record`` returns
    # (adapter, client, raw row) -> the row with its linked details added
    expand: Callable[[Any, ApiClient, dict[str, Any]], dict[str, Any]] | None = None
    key: str = "id"  # the raw row's id field (named in failures of rows we could not read)

    @property
    def record_types(self) -> tuple[type, ...]:
        """Every record type rows of this resource become."""
        return (self.record, *self.also)


class Adapter:
    """Base class of the ATS adapters: settings, time windows, record conversion."""

    ats: ClassVar[str]
    default_base_url: ClassVar[str]
    resources: ClassVar[tuple[Resource, ...]] = ()
    paginator: ClassVar[LinkHeaderPaginator] = LinkHeaderPaginator()
    required_credentials: ClassVar[tuple[str, ...]] = ()
    page_size_param: ClassVar[str] = "per_page"  # the vendor's name for the page size

    # Tuning knobs a connection's ``settings`` may override.
    DEFAULT_PER_PAGE: ClassVar[int] = 100
    MAX_PER_PAGE: ClassVar[int] = 100
    DEFAULT_LOOKBACK_MINUTES: ClassVar[float] = 5.0
    DEFAULT_TIMEOUT_SECONDS: ClassVar[float] = 30.0
    DEFAULT_ATTACHMENT_MAX_BYTES: ClassVar[int] = 20 * 1024 * 1024
    WINDOW_SECONDS: ClassVar[float] = 30.0

    def __init__(self, config: ConnectionConfig) -> None:
        self.config = config
        missing = [k for k in self.required_credentials if not config.credentials.get(k)]
        if missing:
            raise FatalSyncError(
                f"{self.ats}: connection {config.name!r} is missing credentials "
                f"{', '.join(missing)}; set them on the connection and sync again",
                ats=self.ats,
            )
        self.per_page = self._int_setting("per_page", self.DEFAULT_PER_PAGE, 1, self.MAX_PER_PAGE)
        self.lookback = timedelta(minutes=self._float_setting("lookback_minutes",
                                                              self.DEFAULT_LOOKBACK_MINUTES))
        self.timeout = self._float_setting("timeout_seconds", self.DEFAULT_TIMEOUT_SECONDS)
        self.attachment_max_bytes = self._int_setting(
            "attachment_max_bytes", self.DEFAULT_ATTACHMENT_MAX_BYTES, 1, 2**40)
        self.download_attachments = bool(config.settings.get("download_attachments", True))
        self.retry_policy = RetryPolicy(
            attempts=self._int_setting("max_attempts", RetryPolicy.attempts, 1, 50))

    @property
    def base_url(self) -> str:
        """The API root requests are made against (any server speaking this ATS's API)."""
        return (self.config.base_url or self.default_base_url).rstrip("/")

    def make_client(
        self,
        *,
        transport: httpx.BaseTransport | None = None,
        clock: Clock = time.time,
        sleep: Sleep = time.sleep,
        retry: RetryPolicy | None = None,
    ) -> ApiClient:
        """The HTTP client for this connection (built by ``sync.http.make_client``)."""
        raise NotImplementedError

    def window_params(self, start: datetime, end: datetime) -> dict[str, str]:
        """Query parameters selecting records updated within ``[start, end]``."""
        raise NotImplementedError

    def first_params(self, resource: Resource, start: datetime, end: datetime) -> dict[str, str]:
        """Parameters of a window's first page: filters, page size, time window."""
        return {**resource.params, self.page_size_param: str(self.per_page),
                **self.window_params(start, end)}

    def target_params(self, resource: Resource, candidate_ids: list[str],
                      application_ids: list[str]) -> list[dict[str, str]] | None:
        """Filters reading ``resource`` for just these candidates (one dict per request, as
        id lists are capped), or None to leave the resource out of a targeted re-read."""
        return None

    def to_records(self, resource: Resource, raw: Any,
                   client: ApiClient | None = None) -> tuple[Record, ...]:
        """One raw row as its records (details fetched first when the resource expands)."""
        if resource.expand is not None and client is not None:
            raw = self._expand(resource, raw, client)
        made = self.to_record(resource, raw)
        return made if isinstance(made, tuple) else (made,)

    def _expand(self, resource: Resource, raw: dict[str, Any],
                client: ApiClient) -> dict[str, Any]:
        try:
            return resource.expand(self, client, raw)
        except MalformedBodyError as exc:
            # A detail we could not read even after retries: skip the row, read it again later.
            raise SkippedRecordError(
                f"{exc.message} (gave up after {exc.attempts} attempts)",
                resource=resource.name, remote_id=_remote_id(raw, resource.key),
                reread=True) from None

    def to_record(self, resource: Resource, raw: Any) -> Record | tuple[Record, ...]:
        """Turn one raw row into a record; a row we cannot read raises ``SkippedRecordError``."""
        try:
            return resource.to_record(self, raw)
        except SkippedRecordError:
            raise
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise SkippedRecordError(
                f"{self.ats}: could not read a {resource.name} row: {type(exc).__name__}: "
                f"{str(exc)[:120]}",
                resource=resource.name, remote_id=_remote_id(raw, resource.key),
            ) from None

    # ------------------------------------------------------------------ settings

    def _int_setting(self, name: str, default: int, low: int, high: int) -> int:
        value = self.config.settings.get(name, default)
        try:
            number = int(value)
        except (TypeError, ValueError):
            number = low - 1
        if not low <= number <= high:
            raise FatalSyncError(
                f"{self.ats}: setting {name}={value!r} of connection {self.config.name!r} "
                f"must be a whole number from {low} to {high}",
                ats=self.ats,
            )
        return number

    def _float_setting(self, name: str, default: float) -> float:
        value = self.config.settings.get(name, default)
        try:
            number = float(value)
        except (TypeError, ValueError):
            number = -1.0
        if number < 0:
            raise FatalSyncError(
                f"{self.ats}: setting {name}={value!r} of connection {self.config.name!r} "
                f"must be a non-negative number",
                ats=self.ats,
            )
        return number


def parse_datetime(value: str | None) -> datetime | None:
    """An ISO 8601 timestamp as an aware UTC datetime (naive input is taken as UTC)."""
    if not value:
        return None
    parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    if parsed.tzinfo is None:
        return parsed.replace(tzinfo=timezone.utc)
    return parsed.astimezone(timezone.utc)


def format_datetime(value: datetime) -> str:
    """An aware datetime as ``2024-01-01T00:00:00.000Z`` (millisecond precision, UTC)."""
    utc = value.astimezone(timezone.utc)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"


def remote_id(value: Any) -> str | None:
    """A remote id as a string (None stays None)."""
    return None if value is None else str(value)


def _remote_id(raw: Any, key: str = "id") -> str | None:
    return remote_id(raw.get(key)) if isinstance(raw, dict) else None
