"""An Elasticsearch client that osmem-server answers (the benchmark's and the tests' stand-in).

osmem-server is an in-memory Elasticsearch work-alike in Python: right for equality of
results, not for speed. Figures measured against it are marked as such in the report.
"""
from __future__ import annotations

from typing import Any

from elastic_transport import HttpHeaders, NodeConfig, Urllib3HttpNode
from elasticsearch import Elasticsearch

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


def make_plain_client(url: str, timeout: float = 10.0) -> Elasticsearch:
    """A client with plain JSON headers and no transport retries (failures show at once)."""
    return Elasticsearch(url, node_class=PlainJsonNode, request_timeout=timeout, max_retries=0)
