"""Pagination: walk a list endpoint page by page, the way the vendor says to.

Greenhouse Harvest v3 (and v1) return the next page as an RFC 5988 ``Link`` header with
``rel="next"``; the cursor in it is opaque. The rules that matter: request that URL
exactly, send no other query parameter with a cursor, and stop when there is no ``next``.
"""
from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import urljoin, urlsplit

from rediscover.sync.errors import FatalSyncError, MalformedBodyError

if TYPE_CHECKING:
    from rediscover.sync.http import ApiClient

_LINK_PART = re.compile(r"<([^>]*)>\s*((?:;\s*[^;,]+)*)")
_REL = re.compile(r"""rel\s*=\s*"?([^";]+)"?""", re.IGNORECASE)


@dataclass(frozen=True)
class Page:
    """One page of a list endpoint.

    ``error`` is set (and ``items`` empty) when the page could not be read even after
    retries; the walk then goes on with the page's ``next`` link if it had one.
    """

    url: str
    items: list[dict[str, Any]] = field(default_factory=list)
    next_url: str | None = None
    error: MalformedBodyError | None = None


def parse_link_header(value: str, base_url: str = "") -> dict[str, str]:
    """Map each ``rel`` of an RFC 5988 ``Link`` header to its (absolute) URL."""
    links: dict[str, str] = {}
    for match in _LINK_PART.finditer(value or ""):
        url, params = match.group(1).strip(), match.group(2)
        for rel_match in _REL.finditer(params):
            for rel in rel_match.group(1).split():
                links.setdefault(rel.lower(), urljoin(base_url, url) if base_url else url)
    return links


class LinkHeaderPaginator:
    """Follow ``Link: <…>; rel="next"`` until it disappears (Harvest v3 cursor paging)."""

    rel = "next"

    def next_url(self, headers: Mapping[str, str], request_url: str) -> str | None:
        """The URL of the next page, or None on the last page."""
        return parse_link_header(headers.get("link", ""), request_url).get(self.rel) or None

    def iter_pages(
        self,
        client: ApiClient,
        path: str,
        params: Mapping[str, str],
        *,
        resume_url: str | None = None,
    ) -> Iterator[Page]:
        """Yield pages from the first one (``path`` + ``params``) or from ``resume_url``.

        Follow-up requests use the ``next`` URL as given, with no parameters of ours:
        Harvest answers 422 when a cursor comes with anything else.
        """
        url, query = (resume_url, None) if resume_url else (path, dict(params))
        followed: set[str] = set()
        while True:
            page = self._fetch(client, url, query)
            yield page
            if not page.next_url:
                return
            if page.next_url in followed or page.next_url == page.url:
                # A cursor that does not advance would page forever.
                raise FatalSyncError(
                    f"{client.ats}: pagination does not advance (the next-page link repeats "
                    f"after {len(followed) + 1} pages of {_path_of(page.url)}); stopping",
                    ats=client.ats,
                    url=page.url,
                )
            followed.add(page.next_url)
            url, query = page.next_url, None

    def _fetch(self, client: ApiClient, url: str, query: dict[str, str] | None) -> Page:
        try:
            response = client.get_json(url, params=query, expect=list)
        except MalformedBodyError as exc:
            # Retries are spent: record this page as failed, but keep walking if the
            # headers still told us where the next page is.
            page_url = exc.url or url
            return Page(url=page_url, next_url=self.next_url(exc.headers, page_url), error=exc)
        return Page(
            url=response.url,
            items=response.data,
            next_url=self.next_url(response.headers, response.url),
        )


def _path_of(url: str) -> str:
    return urlsplit(url).path or url
