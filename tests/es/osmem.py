"""Elasticsearch test plumbing: one osmem-server per session, a fresh alias per test.

Loaded as a pytest plugin (``pytest_plugins`` in ``tests/conftest.py``) so every test folder
can build an ``ElasticsearchBackend``. With ``REDISCOVER_TEST_ES_URL`` set, the same fixtures
point at that real cluster instead of osmem (aliases are still ``test_``-prefixed and dropped
after each test).
"""
from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from elastic_transport import HttpHeaders, NodeConfig, Urllib3HttpNode
from elasticsearch import Elasticsearch

from rediscover.indexer.backends.elasticsearch import ElasticsearchBackend

ES_URL = os.environ.get("REDISCOVER_TEST_ES_URL", "")
_COMPAT = "vnd.elasticsearch+"


class PlainJsonNode(Urllib3HttpNode):
    """A transport node that sends plain JSON media types.

    The 8.x client asks for ``application/vnd.elasticsearch+json; compatible-with=8`` (and
    ``…+x-ndjson`` for bulk), which osmem answers with 406; a real cluster takes both forms.
    """

    def __init__(self, config: NodeConfig) -> None:
        super().__init__(config)
        self._headers = _plain(self._headers)

    def perform_request(self, method: str, target: str, body: bytes | None = None,
                        headers: HttpHeaders | None = None, **kwargs: Any):
        return super().perform_request(method, target, body=body,
                                       headers=_plain(headers) if headers else headers, **kwargs)


def _plain(headers: HttpHeaders) -> HttpHeaders:
    headers = headers.copy()
    for name in ("accept", "content-type"):
        value = headers.get(name)
        if value and _COMPAT in value:
            headers[name] = "application/x-ndjson" if "ndjson" in value else "application/json"
    return headers


def make_test_client(url: str, timeout: float = 10.0) -> Elasticsearch:
    """A client for tests: plain JSON headers, no transport retries (failures show at once)."""
    return Elasticsearch(url, node_class=PlainJsonNode, request_timeout=timeout, max_retries=0)


def new_alias(prefix: str = "test") -> str:
    """A unique, lowercase, ``test_``-prefixed alias (real clusters may be shared)."""
    return f"{prefix}_{uuid.uuid4().hex[:12]}"


@pytest.fixture(scope="session")
def es_server():
    """One unseeded, writable osmem-server for the whole session (its plugin's is frozen)."""
    from osmem_server import OsmemServer

    server = OsmemServer.start(freeze=False, japanese=False)
    yield server
    server.close()


@pytest.fixture(scope="session")
def es_url(request: pytest.FixtureRequest) -> str:
    """The cluster under test: ``REDISCOVER_TEST_ES_URL``, else the session's osmem-server."""
    if ES_URL:
        return ES_URL
    return request.getfixturevalue("es_server").url


@pytest.fixture(scope="session")
def es_client(es_url: str) -> Iterator[Elasticsearch]:
    client = make_test_client(es_url)
    yield client
    client.close()


def make_test_backend(es_url: str, es_client: Elasticsearch, **kwargs: Any) -> ElasticsearchBackend:
    """A backend on a fresh alias whose writes are searchable at once (``refresh=True``)."""
    kwargs.setdefault("refresh", True)
    kwargs.setdefault("replicas", 0)
    return ElasticsearchBackend(es_url, new_alias(), client=es_client, **kwargs)


@pytest.fixture
def es_backend(es_url: str, es_client: Elasticsearch) -> Iterator[ElasticsearchBackend]:
    """An empty, set-up Elasticsearch backend on its own alias; dropped after the test."""
    backend = make_test_backend(es_url, es_client)
    backend.setup()
    yield backend
    backend.drop()
