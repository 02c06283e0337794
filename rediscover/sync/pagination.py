"""Pagination: walk a list endpoint page by page, the way the vendor says to.

Greenhouse Harvest v3 (and v1) return the next page as an RFC 5988 ``Link`` header with
``rel="next"``; the cursor in it is opaque. The rules that matter: request that URL
exactly, send no other query parameter with a cursor, and stop when there is no ``next``.

Lever and SmartRecruiters put the cursor in the body instead (``{"data", "next",
"hasNext"}`` / ``{"content", "nextPageId"}``) and want it back as one query parameter with
every other parameter kept identical (``BodyCursorPaginator``). SAP SuccessFactors (OData
v2) puts a complete next-page URL in the body, ``d.__next`` with an opaque ``$skiptoken``,
followed verbatim (``ODataPaginator``). Either way a page's ``next_url`` is a complete URL, so
checkpoints resume the same way for every vendor.
"""
from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

from rediscover.sync.errors import FatalSyncError, MalformedBodyError, SyncError

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
    # Part of the page the ATS would not give (no permission): recorded, the page is taken.
    refused: SyncError | None = None


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


class BodyCursorPaginator(LinkHeaderPaginator):
    """Follow a cursor read from the JSON body, sent back as ``cursor_param``.

    Args:
        items_key: the key holding the page's rows (``data``, ``content``).
        next_key: the key holding the opaque cursor (``next``, ``nextPageId``).
        cursor_param: the query parameter the cursor goes back in (``offset``, ``pageId``).
        more_key: a boolean key that must be true for a next page (Lever's ``hasNext``).
    """

    def __init__(self, *, items_key: str, next_key: str, cursor_param: str,
                 more_key: str | None = None) -> None:
        self.items_key = items_key
        self.next_key = next_key
        self.cursor_param = cursor_param
        self.more_key = more_key

    def cursor_of(self, url: str) -> str | None:
        """The cursor a page URL carries (None on a first page)."""
        return dict(parse_qsl(urlsplit(url).query)).get(self.cursor_param)

    def _fetch(self, client: ApiClient, url: str, query: dict[str, str] | None) -> Page:
        try:
            response = client.get_json(url, params=query, expect=dict)
        except MalformedBodyError as exc:
            # The cursor was in the unreadable body: this window cannot go on past it.
            return Page(url=exc.url or url, error=exc)
        body = response.data
        items = body.get(self.items_key)
        if not isinstance(items, list):
            return Page(url=response.url, error=MalformedBodyError(
                f"{client.ats}: GET {_path_of(response.url)} has no {self.items_key!r} list",
                ats=client.ats, status=response.status, url=response.url))
        cursor = body.get(self.next_key)
        more = bool(cursor) and (self.more_key is None or bool(body.get(self.more_key)))
        return Page(url=response.url, items=items,
                    next_url=_with_param(response.url, self.cursor_param, str(cursor))
                    if more else None)


class ODataPaginator(LinkHeaderPaginator):
    """Follow ``d.__next`` (OData v2 verbose JSON) verbatim until it is absent.

    The ``$skiptoken`` inside changes every page and goes back exactly as given, like a
    Harvest cursor. The link is in the body, so an unreadable page ends the window there
    (recorded; the window is read again next time).
    """

    def _fetch(self, client: ApiClient, url: str, query: dict[str, str] | None) -> Page:
        try:
            response = client.get_json(url, params=query, expect=dict)
        except MalformedBodyError as exc:
            return Page(url=exc.url or url, error=exc)
        body = response.data.get("d")
        items = body.get("results") if isinstance(body, dict) else None
        if not isinstance(items, list):
            return Page(url=response.url, error=MalformedBodyError(
                f"{client.ats}: GET {_path_of(response.url)} has no d.results list",
                ats=client.ats, status=response.status, url=response.url))
        next_url = body.get("__next")
        return Page(url=response.url, items=items,
                    next_url=urljoin(response.url, next_url) if next_url else None)


def _with_param(url: str, name: str, value: str) -> str:
    """``url`` with query parameter ``name`` set to ``value`` (the others kept, in order)."""
    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k != name]
    query.append((name, value))
    return urlunsplit((parts.scheme, parts.netloc, parts.path, urlencode(query), ""))


def _path_of(url: str) -> str:
    return urlsplit(url).path or url


class QueryStatePaginator:
    """Paging whose whole state is a query string: each page's ``next_url`` (and so the
    resumable checkpoint) is the next request's parameters, urlencoded.

    Subclasses give the first request's parameters (``first_query``) and fetch one page
    (``_fetch``); the loop, and resuming from a checkpoint, live here.
    """

    def iter_pages(
        self,
        client: ApiClient,
        path: str,
        params: Mapping[str, str],
        *,
        resume_url: str | None = None,
    ) -> Iterator[Page]:
        """Yield pages from the first request of ``params`` or from the one a checkpoint names."""
        query = dict(parse_qsl(resume_url, keep_blank_values=True)) if resume_url \
            else self.first_query(path, params)
        while True:
            page = self._fetch(client, path, query)
            yield page
            if not page.next_url:
                return
            query = dict(parse_qsl(page.next_url, keep_blank_values=True))

    def first_query(self, path: str, params: Mapping[str, str]) -> dict[str, str]:
        raise NotImplementedError

    def _fetch(self, client: ApiClient, path: str, query: dict[str, str]) -> Page:
        raise NotImplementedError


class PageNumberSoapPaginator(QueryStatePaginator):
    """SOAP page-number paging (Workday ``Response_Filter/Page`` 1..``Total_Pages``).

    The adapter supplies how to build one page's envelope and how to read its items; the stop
    rule (``Page`` reaches ``Total_Pages`` or ``Page_Results`` is 0) lives here, and the
    checkpoint is the request's parameters plus ``Page``.
    """

    def __init__(
        self,
        build_envelope: Callable[[Mapping[str, str]], bytes],
        read_page: Callable[[Any], tuple[list[Any], int, int]],
        *,
        endpoint: str = "",
    ) -> None:
        self.build_envelope = build_envelope  # params (with "operation", "Page") -> envelope
        self.read_page = read_page  # body -> (items, page_results, total_pages)
        self.endpoint = endpoint

    def first_query(self, path: str, params: Mapping[str, str]) -> dict[str, str]:
        """Page 1 of ``params``."""
        return {**params, "operation": params.get("operation") or path, "Page": "1"}

    def _fetch(self, client: ApiClient, path: str, query: dict[str, str]) -> Page:
        number, key = int(query["Page"]), urlencode(query)
        known_total = int(query.get("_total") or 0)
        try:
            response = client.post_soap(self.endpoint, self.build_envelope(query),
                                        operation=query["operation"])
        except MalformedBodyError as exc:
            # Retries are spent: record the page; go on only when an earlier page told us
            # how many there are.
            more = number < known_total
            return Page(url=key, next_url=_next(query, number) if more else None, error=exc)
        items, results, total = self.read_page(response.body)
        query["_total"] = str(total)
        more = results > 0 and number < total
        return Page(url=key, items=items, next_url=_next(query, number) if more else None)


def _next(query: dict[str, str], number: int) -> str:
    return urlencode({**query, "Page": str(number + 1)})


class IdSearchPaginator(QueryStatePaginator):
    """A POSTed search answering ids ascending, at most a fixed number per call (iCIMS).

    The next page is the same search AND-ed with "id greater than the last id seen"; a page
    with fewer ids than the cap is the last (so a last page of exactly the cap costs one more,
    empty, call). The adapter builds the body from the page's parameters (``build_body``);
    the stop rule lives here, and the checkpoint is the parameters plus ``after``. An
    unreadable page ends its window: the next id is in its body.

    Args:
        build_body: (path, params with maybe ``after``) -> the JSON search body.
        items_key: the key of the body's id rows (``searchResults``).
        cap_param: the parameter holding the server's per-call cap (not sent).
    """

    after_param = "after"

    def __init__(self, build_body: Callable[[str, Mapping[str, str]], Any], *,
                 items_key: str, cap_param: str) -> None:
        self.build_body = build_body
        self.items_key = items_key
        self.cap_param = cap_param

    def first_query(self, path: str, params: Mapping[str, str]) -> dict[str, str]:
        """The first search: ``params`` as given."""
        return dict(params)

    def _fetch(self, client: ApiClient, path: str, query: dict[str, str]) -> Page:
        key = urlencode(query)
        try:
            response = client.post_json(path, self.build_body(path, query), expect=dict)
        except MalformedBodyError as exc:
            return Page(url=f"{path}?{key}", error=exc)
        rows = response.data.get(self.items_key)
        ids = [row.get("id") for row in rows if isinstance(row, dict)] \
            if isinstance(rows, list) else None
        if ids is None or not all(isinstance(i, int) and not isinstance(i, bool) for i in ids):
            return Page(url=f"{path}?{key}", error=MalformedBodyError(
                f"{client.ats}: POST {_path_of(response.url)} has no {self.items_key!r} list "
                f"of numeric ids", ats=client.ats, status=response.status, url=response.url))
        more = bool(ids) and len(ids) >= int(query[self.cap_param])
        after = max(ids) if ids else None
        if more and self.after_param in query and after <= int(query[self.after_param]):
            raise FatalSyncError(
                f"{client.ats}: search paging does not advance (ids after "
                f"{query[self.after_param]} start at or below it in {_path_of(response.url)}); "
                f"stopping", ats=client.ats, url=response.url)
        return Page(url=f"{path}?{key}", items=rows,
                    next_url=urlencode({**query, self.after_param: str(after)}) if more else None)
