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
from elasticsearch import Elasticsearch

from bench.osmem import make_plain_client as make_test_client
from rediscover.indexer.backends.elasticsearch import ElasticsearchBackend

ES_URL = os.environ.get("REDISCOVER_TEST_ES_URL", "")


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
