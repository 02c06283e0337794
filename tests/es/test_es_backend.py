"""The Elasticsearch backend against a cluster (osmem, or REDISCOVER_TEST_ES_URL): lifecycle,
bulk writes and failures, the rebuild lock, and what happens when the cluster is down."""
from __future__ import annotations

import socket
import threading
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from es.osmem import make_test_backend, make_test_client

from rediscover.indexer.backends.elasticsearch import (
    LOCK_ID,
    ElasticsearchBackend,
    RebuildInProgressError,
)
from rediscover.indexer.documents import ApplicationDoc, PersonDocument
from rediscover.indexer.errors import BackendUnavailableError, IndexSchemaError
from rediscover.query.errors import SearchUnavailable
from rediscover.query.filters import SearchRequest, Viewer
from rediscover.query.search import search

pytestmark = pytest.mark.elasticsearch
VIEWER = Viewer(team_id=1)


def person(pid: int, name: str, **fields: Any) -> PersonDocument:
    """A searchable person of team 1 with one closed application."""
    app = ApplicationDoc(
        application_id=pid * 10,
        connection_id=1,
        job_id=1,
        job_title="Backend Engineer",
        status="closed",
        last_activity_at=datetime(2024, 1, 1, tzinfo=timezone.utc) + timedelta(days=pid),
    )
    return PersonDocument(person_id=pid, team_id=1, name=name, applications=[app], **fields)


def names(backend: ElasticsearchBackend, **filters: Any) -> set[str]:
    page = search(backend, SearchRequest.from_dict({"limit": 200, **filters}), VIEWER)
    return {row.name for row in page.results}


def dead_url() -> str:
    """The URL of a local port nothing listens on."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}"


# --------------------------------------------------------------------------- lifecycle


def test_setup_creates_one_versioned_index_behind_the_alias(es_backend):
    live = es_backend.live_indices()
    assert len(live) == 1 and live[0].startswith(f"{es_backend.alias}-")
    es_backend.setup()  # idempotent
    assert es_backend.live_indices() == live
    assert es_backend.count() == 0


def test_setup_refuses_an_index_of_another_mapping_version(es_backend):
    index = es_backend.live_indices()[0]
    es_backend.client.indices.put_mapping(index=index, meta={"version": 0})
    with pytest.raises(IndexSchemaError, match="rebuild"):
        es_backend.setup()


def test_upsert_replaces_and_delete_removes(es_backend):
    result = es_backend.upsert([person(1, "Zoë Adams"), person(2, "Bob Brown")])
    assert (result.indexed, result.failed) == (2, {})
    es_backend.upsert([person(1, "Zoe Adams-Smith")])
    assert names(es_backend) == {"Zoe Adams-Smith", "Bob Brown"}
    result = es_backend.delete([2, 99])  # unknown ids are not an error
    assert (result.deleted, result.failed) == (1, {})
    assert names(es_backend) == {"Zoe Adams-Smith"} and es_backend.count() == 1


def test_writes_never_create_an_index_in_the_alias_place(es_url, es_client):
    backend = make_test_backend(es_url, es_client)  # no setup(): the alias does not exist
    try:
        with pytest.raises(BackendUnavailableError, match="missing"):
            backend.upsert([person(1, "Ann")])
        assert not es_client.indices.exists(index=backend.alias)
    finally:
        backend.drop()


def test_rebuild_swaps_the_alias_and_deletes_the_old_index(es_backend):
    es_backend.upsert([person(1, "Old One")])
    old = es_backend.live_indices()
    result = es_backend.rebuild(iter([person(2, "New Two"), person(3, "New Three")]))
    assert (result.indexed, result.failed) == (2, {})
    new = es_backend.live_indices()
    assert len(new) == 1 and new != old
    assert not es_backend.client.indices.exists(index=old[0])
    assert names(es_backend) == {"New Two", "New Three"}
    settings = es_backend.client.indices.get_settings(index=new[0])[new[0]]["settings"]["index"]
    assert settings.get("refresh_interval", "1s") == "1s"  # loading settings were restored
    assert str(settings["number_of_replicas"]) == "0"  # what the test backend asks for


def test_searches_during_a_rebuild_answer_from_the_old_index(es_backend):
    es_backend.upsert([person(1, "Serving Sam")])
    during: list[set[str]] = []

    def docs():
        for pid in range(10, 30):
            yield person(pid, f"Fresh {pid}")
            if pid == 25:  # the new index already holds documents, unrefreshed and unswapped
                during.append(names(es_backend))

    es_backend.batch_size = 5  # several bulk requests before the swap
    es_backend.rebuild(docs())
    assert during == [{"Serving Sam"}]
    assert "Serving Sam" not in names(es_backend) and es_backend.count() == 20


def test_a_failed_rebuild_keeps_the_old_index_serving(es_backend):
    es_backend.upsert([person(1, "Still Here")])
    live = es_backend.live_indices()

    def docs():
        yield person(2, "Half Built")
        raise RuntimeError("store went away")

    with pytest.raises(RuntimeError, match="store went away"):
        es_backend.rebuild(docs())
    assert es_backend.live_indices() == live
    assert es_backend._own_indices() == live  # the half-built index is gone
    assert names(es_backend) == {"Still Here"}
    es_backend.rebuild([person(3, "Next Time")])  # the lock was released
    assert names(es_backend) == {"Next Time"}


def test_updates_during_a_rebuild_reach_the_new_index(es_backend):
    es_backend.upsert([person(1, "Ann Old"), person(2, "Bob Gone")])
    other = ElasticsearchBackend(  # another process applying incremental changes
        es_backend.url, es_backend.alias, client=es_backend.client, refresh=True
    )

    def docs():
        yield person(1, "Ann Old")  # read before the change below
        other.upsert([person(1, "Ann New"), person(3, "Cy Added")])
        other.delete([2])
        yield person(3, "Cy Added")

    es_backend.rebuild(docs())
    assert names(es_backend) == {"Ann New", "Cy Added"}


# --------------------------------------------------------------------------- bulk failures


def test_a_bad_document_fails_alone_and_is_reported(es_backend):
    bad = person(2, "Broken Bea")
    bad.applications[0].milestone_rank = "not a number"  # type: ignore[assignment]
    result = es_backend.upsert([person(1, "Good Gil"), bad, person(3, "Good Hal")])
    assert result.indexed == 2
    assert list(result.failed) == [2]
    assert "Bea" not in result.failed[2]  # reasons carry the error type, never field values
    assert names(es_backend) == {"Good Gil", "Good Hal"}


class FlakyBulkClient:
    """A stand-in cluster whose bulk answers 429 for some items the first ``times`` times."""

    def __init__(self, real, reject: set[str], times: int) -> None:
        self.real, self.reject, self.times = real, reject, times
        self.calls: list[int] = []

    def options(self, **kwargs):
        clone = FlakyBulkClient(self.real.options(**kwargs), self.reject, self.times)
        clone.calls = self.calls
        return clone

    def bulk(self, operations, refresh=None):
        response = self.real.bulk(operations=operations, refresh=refresh).body
        self.calls.append(len(response["items"]))
        if len(self.calls) <= self.times:
            for item in response["items"]:
                outcome = next(iter(item.values()))
                if outcome["_id"] in self.reject:
                    outcome.update(status=429, error={"type": "es_rejected_execution_exception"})
        return response

    def __getattr__(self, name):
        return getattr(self.real, name)


def test_pushed_back_items_are_retried_then_reported(es_backend):
    sleeps: list[float] = []
    flaky = FlakyBulkClient(es_backend.client, reject={"2"}, times=1)
    backend = ElasticsearchBackend(
        es_backend.url, es_backend.alias, client=flaky, refresh=True, sleep=sleeps.append
    )
    result = backend.upsert([person(1, "Ann"), person(2, "Bob")])
    assert (result.indexed, result.failed) == (2, {})
    assert flaky.calls == [2, 1] and sleeps == [0.5]  # only the rejected item went again

    flaky = FlakyBulkClient(es_backend.client, reject={"3"}, times=99)
    backend.client = flaky
    result = backend.upsert([person(3, "Cy")])
    assert result.failed == {3: "es_rejected_execution_exception (429)"}
    assert len(flaky.calls) == 4 and sleeps == [0.5, 0.5, 1.0, 2.0]


def test_batches_are_bounded(es_backend):
    calls: list[int] = []
    flaky = FlakyBulkClient(es_backend.client, reject=set(), times=0)
    flaky.calls = calls
    backend = ElasticsearchBackend(
        es_backend.url, es_backend.alias, client=flaky, refresh=True, batch_size=3
    )
    result = backend.upsert(person(pid, f"P {pid}") for pid in range(1, 9))
    assert result.indexed == 8 and calls == [3, 3, 2]


# --------------------------------------------------------------------------- the rebuild lock


def test_one_rebuild_at_a_time(es_backend):
    started, release = threading.Event(), threading.Event()

    def slow_docs():
        yield person(1, "Slow")
        started.set()
        release.wait(10)

    worker = threading.Thread(target=es_backend.rebuild, args=(slow_docs(),))
    worker.start()
    try:
        assert started.wait(10)
        other = ElasticsearchBackend(es_backend.url, es_backend.alias, client=es_backend.client)
        with pytest.raises(RebuildInProgressError):
            other.rebuild([person(2, "Impatient")])
    finally:
        release.set()
        worker.join(10)
    assert names(es_backend) == {"Slow"}


def test_an_expired_lock_is_taken_over(es_backend):
    expired = (datetime.now(timezone.utc) - timedelta(minutes=1)).isoformat()
    es_backend._ensure_lock_index()
    es_backend.client.index(
        index=es_backend.lock_index, id=LOCK_ID, refresh=True,
        document={"owner": "crashed", "index": f"{es_backend.alias}-20000101000000000000",
                  "expires_at": expired},
    )
    es_backend.rebuild([person(1, "After The Crash")])
    assert names(es_backend) == {"After The Crash"}


# --------------------------------------------------------------------------- cluster down


def test_cluster_down_is_backend_unavailable_everywhere():
    backend = ElasticsearchBackend(dead_url(), "test_down", client=make_test_client(dead_url(), 1))
    with pytest.raises(BackendUnavailableError):
        backend.execute({"query": {"match_all": {}}})
    with pytest.raises(BackendUnavailableError):
        backend.upsert([person(1, "Ann")])
    with pytest.raises(BackendUnavailableError):
        backend.setup()
    with pytest.raises(SearchUnavailable):
        search(backend, SearchRequest(), VIEWER)


def test_a_missing_index_is_search_unavailable(es_url, es_client):
    backend = make_test_backend(es_url, es_client)  # never set up
    with pytest.raises(SearchUnavailable):
        search(backend, SearchRequest(), VIEWER)


def test_a_rebuild_on_a_fresh_cluster_needs_no_setup(es_url, es_client):
    backend = make_test_backend(es_url, es_client)  # the alias does not exist yet
    try:
        backend.rebuild([person(1, "First Ever")])
        assert len(backend.live_indices()) == 1 and names(backend) == {"First Ever"}
        backend.setup()  # and setup accepts what the rebuild made
    finally:
        backend.drop()
