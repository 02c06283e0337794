"""The Elasticsearch search backend: the only module that talks to the cluster.

Searches and incremental writes go to an alias; behind it sits one concrete, versioned index
``<alias>-<utc stamp>`` built from ``rediscover.mappings.elasticsearch``. A rebuild loads a
fresh index aside (no replicas, refresh off), restores the settings, swaps the alias in one
``update_aliases`` call and deletes the old index; if loading fails the new index is
deleted and the old one keeps serving. One rebuild runs at a time across processes: a lock
document in ``<alias>-lock`` (created with ``op_type=create``, kept alive by a heartbeat,
taken over once expired) also names the index being built, so incremental writes made
meanwhile go to both indices and the swap loses none of them. The indexer pipeline also
replays the change log from where the rebuild started, which covers deletes racing the load.

What a search means lives in ``rediscover.query.elasticsearch``; this module only runs the
body it builds (``execute``) and maps cluster trouble to ``BackendUnavailableError``.
"""
from __future__ import annotations

import json
import logging
import re
import socket
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any, Literal

from elastic_transport import TransportError
from elasticsearch import ApiError, Elasticsearch

from rediscover.indexer.backends.base import BulkResult, SearchBackend
from rediscover.indexer.errors import BackendUnavailableError, IndexerError, IndexSchemaError
from rediscover.indexer.text import fold
from rediscover.mappings.elasticsearch import MAPPING_VERSION, index_body, mapping_version

if TYPE_CHECKING:
    from rediscover.indexer.documents import PersonDocument

log = logging.getLogger(__name__)

BATCH_SIZE = 500  # documents per bulk request
MAX_BATCH_BYTES = 8 * 1024 * 1024  # and never more than this per request (resume text is big)
MAX_ATTEMPTS = 4  # tries per document when the cluster pushes back (429 / 5xx items)
RETRY_STATUSES = frozenset({429, 502, 503, 504})
BACKOFF_SECONDS = 0.5  # doubled after every retry
BULK_TIMEOUT = 120.0  # a bulk request may legitimately take longer than a search
LOCK_ID = "rebuild"
LOCK_TTL = timedelta(minutes=10)  # a rebuild that stopped heart-beating this long is dead
LOCK_HEARTBEAT = timedelta(minutes=1)
STAMP_FORMAT = "%Y%m%d%H%M%S%f"  # 20 digits; sorts like the time it names
Refresh = Literal[True, False, "wait_for"]


class RebuildInProgressError(IndexerError):
    """Another rebuild of the same alias holds the lock: try again when it has finished."""


@dataclass
class _Op:
    """One bulk action for one person: the action line and, for writes, the document line."""

    person_id: int
    action: str
    meta: dict[str, Any]
    source: bytes | None = None

    def lines(self) -> list[bytes]:
        head = _dumps({self.action: self.meta})
        return [head] if self.source is None else [head, self.source]

    def size(self) -> int:
        return sum(len(line) + 1 for line in self.lines())


@dataclass
class _Lock:
    """The rebuild lock as this process holds it (for heartbeat and release)."""

    owner: str
    index: str
    seq_no: int
    primary_term: int
    beat_at: float


class ElasticsearchBackend(SearchBackend):
    """Person documents in an Elasticsearch cluster, versioned behind ``alias``."""

    kind = "elasticsearch"

    def __init__(
        self,
        url: str,
        alias: str,
        *,
        timeout: float = 5.0,
        client: Elasticsearch | None = None,
        batch_size: int = BATCH_SIZE,
        shards: int = 1,
        replicas: int = 1,
        refresh_interval: str = "1s",
        refresh: Refresh = False,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if not alias or alias != alias.lower():
            raise ValueError("The Elasticsearch alias must be a non-empty lowercase name.")
        self.url = url
        self.alias = alias
        self.timeout = timeout
        self.client = client or make_client(url, timeout)
        self._owns_client = client is None
        self.batch_size = batch_size
        self.shards = shards
        self.replicas = replicas
        self.refresh_interval = refresh_interval
        self.refresh_policy = refresh
        self.sleep = sleep
        self.lock_index = f"{alias}-lock"
        self._rebuild_lock = threading.Lock()

    @property
    def name(self) -> str:
        return f"elasticsearch:{self.alias}"

    # ------------------------------------------------------------------ lifecycle

    def setup(self) -> None:
        with _unavailable_on_error("setup"):
            live = self.live_indices()
            if live:
                self._check_version(live[0])
                return
            if self.client.indices.exists(index=self.alias):
                raise IndexSchemaError(
                    f"A concrete index named {self.alias!r} is in the alias's place; delete it "
                    "and rebuild (rediscover index --rebuild)."
                )
            self._create_first_index()

    def live_indices(self) -> list[str]:
        """The concrete indices behind the alias (one, unless something went wrong)."""
        response = self.client.options(ignore_status=404).indices.get_alias(name=self.alias)
        if response.meta.status == 404:
            return []
        indices = response.body
        return sorted(name for name in indices if self.alias in indices[name]["aliases"])

    def count(self) -> int:
        with _unavailable_on_error("count"):
            return int(self.client.count(index=self.alias)["count"])

    def refresh(self) -> None:
        """Make every write so far visible to searches (tests and the CLI call this)."""
        with _unavailable_on_error("refresh"):
            self.client.indices.refresh(index=self.alias)

    def drop(self) -> None:
        """Delete every index of this alias, the lock included (tests, teardown)."""
        names = [n for n in self._own_indices() if n != self.alias] + [self.lock_index]
        for name in names:
            self.client.options(ignore_status=404).indices.delete(index=name)

    def close(self) -> None:
        if self._owns_client:  # an injected client belongs to whoever built it
            self.client.close()

    # ------------------------------------------------------------------ writes

    def upsert(self, docs: Iterable[PersonDocument]) -> BulkResult:
        return self._bulk(self._live_ops(docs, self._index_ops), refresh=self.refresh_policy)

    def delete(self, person_ids: Iterable[int]) -> BulkResult:
        return self._bulk(self._live_ops(person_ids, self._delete_ops), refresh=self.refresh_policy)

    def rebuild(self, docs: Iterable[PersonDocument]) -> BulkResult:
        with self._rebuild_lock, _unavailable_on_error("rebuild"):
            new_index = _stamped(self.alias)
            lock = self._acquire_lock(new_index)
            try:
                result = self._load_aside(new_index, docs, lock)
                self._swap(new_index)
            except BaseException:
                self._abandon(new_index)
                raise
            finally:
                self._release_lock(lock)
        log.info("index rebuilt", extra={"alias": self.alias, "index": new_index,
                                         "indexed": result.indexed, "failed": len(result.failed)})
        return result

    # ------------------------------------------------------------------ reads

    def execute(self, compiled: Any) -> dict[str, Any]:
        """Run a search body (a dict, or anything with ``to_dict()``) against the alias."""
        body = compiled.to_dict() if hasattr(compiled, "to_dict") else dict(compiled)
        with _unavailable_on_error("search"):
            return self.client.search(index=self.alias, body=body).body

    def get_document(self, person_id: int) -> dict[str, Any] | None:
        """The stored source of one person's document, or None (tests and debugging)."""
        with _unavailable_on_error("get"):
            response = self.client.options(ignore_status=404).get(
                index=self.alias, id=str(person_id)
            )
        return response.body.get("_source") if response.meta.status == 200 else None

    # ------------------------------------------------------------------ index plumbing

    def _create_first_index(self) -> None:
        name = _stamped(self.alias)
        body = index_body(
            name, shards=self.shards, replicas=self.replicas, refresh_interval=self.refresh_interval
        )
        self.client.indices.create(index=name, aliases={self.alias: {}}, **body)
        live = self.live_indices()
        if len(live) > 1 and name != live[0]:
            # Another process created one at the same moment: keep the oldest, drop ours.
            self.client.indices.update_aliases(
                actions=[{"remove": {"index": name, "alias": self.alias}}]
            )
            self.client.indices.delete(index=name)
        log.info("index created", extra={"alias": self.alias, "index": name})

    def _check_version(self, index: str) -> None:
        mappings = self.client.indices.get_mapping(index=index).body[index]["mappings"]
        found = mapping_version(mappings)
        if found != MAPPING_VERSION:
            raise IndexSchemaError(
                f"The index {index!r} has mapping version {found}, this code needs "
                f"{MAPPING_VERSION}: rebuild it (rediscover index --rebuild)."
            )

    def _own_indices(self) -> list[str]:
        """Every concrete index named like one of this alias's generations."""
        response = self.client.options(ignore_status=404).indices.get(index=f"{self.alias}-*")
        if response.meta.status == 404:
            return []
        pattern = re.compile(rf"^{re.escape(self.alias)}-\d{{20}}$")
        return sorted(name for name in response.body if pattern.match(name))

    def _load_aside(self, index: str, docs: Iterable[PersonDocument], lock: _Lock) -> BulkResult:
        """Create ``index`` tuned for loading, fill it, then give it the live settings."""
        body = index_body(index, shards=self.shards, replicas=0, refresh_interval="-1")
        self.client.indices.create(index=index, **body)
        # "create", not "index": a copy dual-written by an incremental update during the load
        # is newer than the one read for the rebuild, so the rebuild must not overwrite it.
        ops = (self._create_op(doc, index) for doc in docs)
        result = self._bulk(ops, refresh=False, heartbeat=lambda: self._heartbeat(lock))
        self.client.indices.put_settings(
            index=index,
            settings={"index": {"number_of_replicas": self.replicas,
                                "refresh_interval": self.refresh_interval}},
        )
        self.client.indices.refresh(index=index)
        return result

    def _swap(self, new_index: str) -> None:
        """Point the alias at ``new_index`` in one atomic call, then delete the old indices."""
        old = self.live_indices()
        actions: list[dict[str, Any]] = [{"remove": {"index": n, "alias": self.alias}} for n in old]
        actions.append({"add": {"index": new_index, "alias": self.alias}})
        self.client.indices.update_aliases(actions=actions)
        log.info("alias swapped", extra={"alias": self.alias, "index": new_index, "old": old})
        for name in [*old, *self._orphans(new_index)]:
            try:
                self.client.options(ignore_status=404).indices.delete(index=name)
            except (ApiError, TransportError):
                # The swap is done and searches are on the new index; an old index left
                # behind only costs disk and is cleaned up by the next rebuild.
                log.warning("old index not deleted", extra={"alias": self.alias, "index": name})

    def _abandon(self, index: str) -> None:
        """Delete a half-built index; the alias never pointed at it, so nobody notices."""
        log.warning("rebuild abandoned", extra={"alias": self.alias, "index": index})
        try:
            self.client.options(ignore_status=404).indices.delete(index=index)
        except (ApiError, TransportError):
            # The cluster is in trouble; the next rebuild deletes it as an orphan.
            log.warning("abandoned index not deleted", extra={"alias": self.alias, "index": index})

    def _orphans(self, keep: str) -> list[str]:
        """Generations nobody serves: leftovers of rebuilds that died before cleaning up."""
        live = set(self.live_indices())
        return [n for n in self._own_indices() if n != keep and n not in live]

    # ------------------------------------------------------------------ the rebuild lock

    def _acquire_lock(self, index: str) -> _Lock:
        """Take the cluster-wide rebuild lock for building ``index`` (or raise)."""
        self._ensure_lock_index()
        owner = f"{socket.gethostname()}:{threading.get_ident()}:{index}"
        body = self._lock_body(owner, index)
        response = self.client.options(ignore_status=409).index(
            index=self.lock_index, id=LOCK_ID, document=body, op_type="create", refresh=True
        )
        if response.meta.status == 409:
            response = self._take_over_expired_lock(body)
        log.info("rebuild lock taken", extra={"alias": self.alias, "index": index})
        return _Lock(owner, index, response["_seq_no"], response["_primary_term"], time.monotonic())

    def _take_over_expired_lock(self, body: dict[str, Any]) -> Any:
        current = self.client.get(index=self.lock_index, id=LOCK_ID)
        held = current["_source"]
        if datetime.fromisoformat(held["expires_at"]) > _utcnow():
            raise RebuildInProgressError(
                f"A rebuild of {self.alias!r} is already running (building {held['index']})."
            )
        response = self.client.options(ignore_status=409).index(
            index=self.lock_index, id=LOCK_ID, document=body, refresh=True,
            if_seq_no=current["_seq_no"], if_primary_term=current["_primary_term"],
        )
        if response.meta.status == 409:
            raise RebuildInProgressError(
                f"Another process took the rebuild lock of {self.alias!r}."
            )
        log.warning("stale rebuild lock taken over", extra={"alias": self.alias,
                                                           "stale_index": held["index"]})
        return response

    def _heartbeat(self, lock: _Lock) -> None:
        """Extend the lock's expiry now and then; losing it aborts the rebuild."""
        if time.monotonic() - lock.beat_at < LOCK_HEARTBEAT.total_seconds():
            return
        response = self.client.options(ignore_status=409).index(
            index=self.lock_index, id=LOCK_ID, document=self._lock_body(lock.owner, lock.index),
            if_seq_no=lock.seq_no, if_primary_term=lock.primary_term,
        )
        if response.meta.status == 409:
            raise RebuildInProgressError("The rebuild lock was taken over; this rebuild stops.")
        lock.seq_no, lock.primary_term = response["_seq_no"], response["_primary_term"]
        lock.beat_at = time.monotonic()

    def _release_lock(self, lock: _Lock) -> None:
        try:
            self.client.options(ignore_status=(404, 409)).delete(
                index=self.lock_index, id=LOCK_ID, refresh=True,
                if_seq_no=lock.seq_no, if_primary_term=lock.primary_term,
            )
        except (ApiError, TransportError):
            # It expires by itself (LOCK_TTL); the next rebuild takes it over then.
            log.warning("rebuild lock not released", extra={"alias": self.alias})

    def _ensure_lock_index(self) -> None:
        self.client.options(ignore_status=400).indices.create(
            index=self.lock_index,
            settings={"number_of_shards": 1, "number_of_replicas": self.replicas},
            mappings={"dynamic": False, "properties": {}},
        )

    def _lock_body(self, owner: str, index: str) -> dict[str, Any]:
        now = _utcnow()
        return {"owner": owner, "index": index, "alias": self.alias,
                "beat_at": now.isoformat(), "expires_at": (now + LOCK_TTL).isoformat()}

    def _building_index(self) -> str | None:
        """The index a rebuild is loading right now, if any (writes go there too)."""
        response = self.client.options(ignore_status=404).get(index=self.lock_index, id=LOCK_ID)
        if response.meta.status != 200:
            return None
        held = response.body["_source"]
        if datetime.fromisoformat(held["expires_at"]) <= _utcnow():
            return None
        return held.get("index")

    # ------------------------------------------------------------------ bulk

    def _live_ops(
        self, items: Iterable[Any], make: Callable[[Any, str | None], Iterator[_Op]]
    ) -> Iterator[_Op]:
        """Ops for incremental writes: to the alias, and to the index a rebuild is loading.

        The rebuild lock is looked up once, when the first item arrives (no item, no request).
        """
        building: str | None = None
        for n, item in enumerate(items):
            if n == 0:
                building = self._building_index()
            yield from make(item, building)

    def _index_ops(self, doc: PersonDocument, building: str | None) -> Iterator[_Op]:
        source = _dumps(to_source(doc))
        meta = {"_index": self.alias, "_id": str(doc.person_id), "require_alias": True}
        yield _Op(doc.person_id, "index", meta, source)
        if building:
            yield _Op(doc.person_id, "index", {"_index": building, "_id": str(doc.person_id)},
                      source)

    def _delete_ops(self, person_id: int, building: str | None) -> Iterator[_Op]:
        yield _Op(person_id, "delete", {"_index": self.alias, "_id": str(person_id),
                                        "require_alias": True})
        if building:
            yield _Op(person_id, "delete", {"_index": building, "_id": str(person_id)})

    def _create_op(self, doc: PersonDocument, index: str) -> _Op:
        meta = {"_index": index, "_id": str(doc.person_id)}
        return _Op(doc.person_id, "create", meta, _dumps(to_source(doc)))

    def _bulk(
        self,
        ops: Iterable[_Op],
        *,
        refresh: Refresh,
        heartbeat: Callable[[], None] | None = None,
    ) -> BulkResult:
        """Send ``ops`` in bounded batches; retry what the cluster pushed back, report the rest."""
        result = BulkResult()
        with _unavailable_on_error("bulk"):
            for batch in _batches(ops, self.batch_size, MAX_BATCH_BYTES):
                result.merge(self._send(batch, refresh))
                if heartbeat:
                    heartbeat()
        if result.failed:
            log.warning("bulk items failed", extra={"alias": self.alias,
                                                    "failed": len(result.failed)})
        return result

    def _send(self, batch: list[_Op], refresh: Refresh) -> BulkResult:
        """One batch: retry items that failed with a retryable status, with backoff."""
        result = BulkResult()
        pending, delay = batch, BACKOFF_SECONDS
        for attempt in range(1, MAX_ATTEMPTS + 1):
            response = self.client.options(request_timeout=max(self.timeout, BULK_TIMEOUT)).bulk(
                operations=[line for op in pending for line in op.lines()], refresh=refresh
            )
            retry = self._account(pending, response["items"], result, final=attempt == MAX_ATTEMPTS)
            if not retry:
                break
            log.info("bulk items retried", extra={"alias": self.alias, "items": len(retry),
                                                  "attempt": attempt})
            self.sleep(delay)
            pending, delay = retry, delay * 2
        return result

    def _account(
        self, ops: list[_Op], items: list[dict[str, Any]], result: BulkResult, *, final: bool
    ) -> list[_Op]:
        """Count each item's outcome into ``result``; return the ops worth another try."""
        retry: list[_Op] = []
        for op, item in zip(ops, items, strict=True):
            outcome = item[op.action]
            status = int(outcome.get("status", 500))
            error = outcome.get("error")
            if error and error.get("type") == "index_not_found_exception":
                raise BackendUnavailableError(
                    f"The index behind {self.alias!r} is missing: run rediscover index --rebuild."
                )
            secondary = not op.meta.get("require_alias") and op.action != "create"
            if secondary:
                if error:  # a dual-write to the index being built; the replay repairs it
                    log.warning("dual write failed", extra={"alias": self.alias,
                                                            "status": status})
            elif status in RETRY_STATUSES and not final:
                retry.append(op)
            else:
                _count(op, status, error, result)
        return retry


# --------------------------------------------------------------------------- helpers


def make_client(url: str, timeout: float) -> Elasticsearch:
    """The one client factory: short timeouts for searches, a couple of transport retries."""
    return Elasticsearch(url, request_timeout=timeout, max_retries=2, retry_on_timeout=True)


def to_source(doc: PersonDocument) -> dict[str, Any]:
    """A person document as the index stores it: its fields plus what queries derive from them.

    Derived: ``geo`` from latitude/longitude, each application's scorecard ``ratio`` and
    folded ``job_title_key``, and
    (key, name) entries for the tag and source facets (one tag name per key, like the
    embedded index keeps).
    """
    source = doc.to_dict()
    lat, lon = doc.latitude, doc.longitude
    source["geo"] = {"lat": lat, "lon": lon} if lat is not None and lon is not None else None
    source["tag_entries"] = _entries(dict(zip(doc.tag_keys, doc.tags)).items())
    for app, raw in zip(doc.applications, source["applications"], strict=True):
        raw["ratio"] = app.ratio
        raw["ratio_tenths"] = app.ratio_tenths
        raw["job_title_key"] = fold(app.job_title)
        raw["source_entries"] = _entries(zip(app.source_keys, app.sources))
    return source


def _entries(pairs: Iterable[tuple[str, str]]) -> list[dict[str, str]]:
    return [{"key": key, "name": name} for key, name in pairs]


def _count(op: _Op, status: int, error: dict[str, Any] | None, result: BulkResult) -> None:
    """Record one primary item's final outcome."""
    if op.action == "delete":
        if error is None or status == 404:
            result.deleted += 1 if status == 200 else 0
            return
    elif error is None or (op.action == "create" and status == 409):
        # 409 on create: an incremental update already wrote a newer copy during the rebuild.
        result.indexed += 1
        return
    # The error type and status only: reasons can quote field values (candidate data).
    result.failed[op.person_id] = f"{(error or {}).get('type', 'error')} ({status})"


def _batches(ops: Iterable[_Op], size: int, max_bytes: int) -> Iterator[list[_Op]]:
    """Group ops by person into batches of at most ``size`` people and about ``max_bytes``."""
    batch: list[_Op] = []
    people: set[int] = set()
    used = 0
    for op in ops:
        op_size = op.size()
        new_person = op.person_id not in people
        if batch and new_person and (len(people) >= size or used + op_size > max_bytes):
            yield batch
            batch, people, used = [], set(), 0
        batch.append(op)
        people.add(op.person_id)
        used += op_size
    if batch:
        yield batch


def _dumps(value: Any) -> bytes:
    return json.dumps(value, default=_json_default, separators=(",", ":")).encode()


def _json_default(value: Any) -> Any:
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    raise TypeError(f"cannot serialise {type(value).__name__}")


def _stamped(alias: str) -> str:
    return f"{alias}-{_utcnow().strftime(STAMP_FORMAT)}"


def _utcnow() -> datetime:
    return datetime.now(timezone.utc)


@contextmanager
def _unavailable_on_error(action: str) -> Iterator[None]:
    """Turn "cannot reach the cluster" and server-side trouble into ``BackendUnavailableError``.

    Connection errors and timeouts, 429/5xx answers and a missing index mean "retry later";
    other API errors (400s) are bugs in what we sent and propagate as they are.
    """
    try:
        yield
    except IndexerError:
        raise
    except ApiError as exc:
        if not _is_unavailable(exc):
            raise
        log.warning("search cluster error", extra={"action": action, "status": exc.meta.status})
        raise BackendUnavailableError(f"The search cluster cannot {action} now.") from exc
    except TransportError as exc:
        log.warning("search cluster unreachable", extra={"action": action,
                                                         "error": type(exc).__name__})
        raise BackendUnavailableError(f"The search cluster cannot be reached ({action}).") from exc


def _is_unavailable(exc: ApiError) -> bool:
    status = exc.meta.status
    return status == 429 or status >= 500 or (status == 404 and _error_type(exc) in (
        "index_not_found_exception", "no_such_index"))


def _error_type(exc: ApiError) -> str | None:
    body = exc.body if isinstance(exc.body, dict) else {}
    error = body.get("error")
    return error.get("type") if isinstance(error, dict) else None
