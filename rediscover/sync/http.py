"""The one HTTP client every ATS adapter uses (the only module that builds httpx clients).

``make_client`` wires base URL, timeouts, auth, rate-limit pacing, retries and request
counting into an ``ApiClient``. Clock and sleep are injectable so tests run against a
fake server without really waiting.
"""
from __future__ import annotations

import base64
import functools
import hashlib
import logging
import ssl
import time
import xml.etree.ElementTree as ET
from collections.abc import Callable, Generator, Mapping
from dataclasses import dataclass
from email.message import Message
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import httpx

from rediscover.sync.errors import (
    FatalSyncError,
    MalformedBodyError,
    RetryableSyncError,
    SkippedRecordError,
    SyncError,
)
from rediscover.sync.retry import RetryPolicy, Sleep

log = logging.getLogger(__name__)

Clock = Callable[[], float]

DEFAULT_TIMEOUT_SECONDS = 30.0
DEFAULT_WINDOW_SECONDS = 30.0  # Harvest v3: a fixed 30-second window
PACING_MARGIN_SECONDS = 0.5  # wait this much past the advertised reset (clock skew)
TOKEN_REFRESH_MARGIN_SECONDS = 60.0  # renew a bearer token this long before it expires
USER_AGENT = "rediscover-sync/0.1"
_NO_BODY = object()  # a GET sends none (``None`` is a JSON body too)


@dataclass(frozen=True)
class JsonResponse:
    """A decoded JSON response: the final URL, status, headers and body."""

    url: str
    status: int
    headers: httpx.Headers
    data: Any


@dataclass(frozen=True)
class XmlResponse:
    """A parsed XML (SOAP) response: the URL, status, headers and the SOAP ``Body``'s first child."""

    url: str
    status: int
    headers: httpx.Headers
    body: ET.Element


@dataclass(frozen=True)
class Download:
    """A downloaded file: bytes, sha256 hex, the content type the server declared and the
    file name its ``Content-Disposition`` gave, if any."""

    data: bytes
    sha256: str
    content_type: str | None
    filename: str | None = None


class RateLimitPacer:
    """Keep under the budget the server advertises (``X-RateLimit-*``), before any 429.

    After each response it remembers ``Remaining`` and ``Reset``; when nothing remains it
    sleeps until the window resets. ``Reset`` is read as a Unix timestamp, or as seconds
    from now when it is too small to be one. For vendors that advertise nothing (Lever's
    token bucket), ``min_interval_seconds`` spaces requests to their documented steady rate.
    """

    def __init__(
        self,
        *,
        clock: Clock = time.time,
        sleep: Sleep = time.sleep,
        window_seconds: float = DEFAULT_WINDOW_SECONDS,
        margin_seconds: float = PACING_MARGIN_SECONDS,
        min_interval_seconds: float = 0.0,
    ) -> None:
        self.min_interval_seconds = min_interval_seconds
        self.last_request_at: float | None = None
        self.clock = clock
        self.sleep = sleep
        self.window_seconds = window_seconds
        self.margin_seconds = margin_seconds
        self.limit: int | None = None
        self.remaining: int | None = None
        self.reset_at: float | None = None
        self.waited_seconds = 0.0

    @property
    def budget(self) -> float | None:
        """Requests per second the server advertised (limit ÷ window), if it did."""
        if self.limit:
            return self.limit / self.window_seconds
        return 1 / self.min_interval_seconds if self.min_interval_seconds else None

    def before_request(self) -> None:
        """Keep the steady spacing, and wait for the window's reset when nothing remains."""
        self._space()
        if self.remaining is None or self.remaining > 0:
            return
        now = self.clock()
        reset_at = self.reset_at if self.reset_at is not None else now + self.window_seconds
        delay = reset_at - now + self.margin_seconds
        if delay > 0:
            log.info("rate limit pacing", extra={"wait_seconds": round(delay, 3)})
            self.waited_seconds += delay
            self.sleep(delay)
        self.remaining = None  # a new window: unknown until the next response says

    def _space(self) -> None:
        if not self.min_interval_seconds:
            return
        now = self.clock()
        if self.last_request_at is not None:
            delay = self.last_request_at + self.min_interval_seconds - now
            if delay > 0:
                self.waited_seconds += delay
                self.sleep(delay)
                now = self.clock()
        self.last_request_at = now

    def observe(self, headers: Mapping[str, str]) -> None:
        """Remember what a response said about the budget."""
        limit = _int_header(headers, "x-ratelimit-limit")
        remaining = _int_header(headers, "x-ratelimit-remaining")
        if limit is not None:
            self.limit = limit
        if remaining is None:
            return
        self.remaining = remaining
        reset = _float_header(headers, "x-ratelimit-reset")
        if reset is None:
            self.reset_at = None
        else:
            self.reset_at = reset if reset > 1e9 else self.clock() + reset


class ClientCredentialsAuth(httpx.Auth):
    """OAuth 2.0 client credentials: cache a bearer token, refresh it once on a 401.

    The token request is a form POST with HTTP Basic ``client_id:client_secret``; ``form``
    adds vendor fields (Greenhouse: ``sub`` = the user id the calls act as).
    """

    def __init__(
        self,
        token_url: str,
        client_id: str,
        client_secret: str,
        *,
        ats: str,
        form: Mapping[str, str] | None = None,
        clock: Clock = time.time,
    ) -> None:
        self.token_url = token_url
        self.ats = ats
        self.form = {"grant_type": "client_credentials", **(form or {})}
        self.clock = clock
        self._basic = base64.b64encode(f"{client_id}:{client_secret}".encode()).decode()
        self._token: str | None = None
        self._expires_at = 0.0
        self.token_requests = 0

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        """Send with a cached bearer token; on a 401, refresh it once and resend."""
        if self._token is None or self.clock() >= self._expires_at - TOKEN_REFRESH_MARGIN_SECONDS:
            yield from self._refresh()
        request.headers["Authorization"] = f"Bearer {self._token}"
        response = yield request
        if response.status_code == 401:
            # Tokens expire or get revoked early; one fresh token, then the caller decides.
            log.info("access token refused, refreshing", extra={"ats": self.ats})
            yield from self._refresh()
            request.headers["Authorization"] = f"Bearer {self._token}"
            yield request

    def _refresh(self) -> Generator[httpx.Request, httpx.Response, None]:
        self.token_requests += 1
        response = yield httpx.Request(
            "POST",
            self.token_url,
            data=self.form,
            headers={"Authorization": f"Basic {self._basic}", "Accept": "application/json"},
        )
        response.read()
        self._store(response)

    def _store(self, response: httpx.Response) -> None:
        where = _safe_url(self.token_url)
        if response.status_code == 429 or response.status_code >= 500:
            raise RetryableSyncError(
                f"{self.ats}: token endpoint {where} answered HTTP {response.status_code}",
                ats=self.ats, status=response.status_code, url=where,
                retry_after=_retry_after(response.headers, self.clock),
            )
        if response.status_code != 200:
            raise FatalSyncError(_token_refusal(self.ats, where, response), ats=self.ats,
                                 status=response.status_code, url=where)
        try:
            body = response.json()
            self._token = str(body["access_token"])
        except (ValueError, KeyError, TypeError):
            raise RetryableSyncError(
                f"{self.ats}: token endpoint {where} sent an unreadable token response",
                ats=self.ats, status=response.status_code, url=where,
            ) from None
        self._expires_at = self.clock() + float(body.get("expires_in") or 3600)


class SamlBearerAuth(ClientCredentialsAuth):
    """OAuth 2.0 SAML bearer (SAP SuccessFactors): an assertion from the IdP, then a token.

    The assertion comes from SuccessFactors' own IdP endpoint (``POST /oauth/idp`` with the
    client id, the acting user and the OAuth client's registered private key), so no XML
    signing happens here; it is exchanged at ``/oauth/token`` with ``company_id``. Tokens are
    cached and refreshed once on a 401, exactly like client credentials.
    """

    GRANT_TYPE = "urn:ietf:params:oauth:grant-type:saml2-bearer"

    def __init__(
        self,
        token_url: str,
        idp_url: str,
        *,
        client_id: str,
        company_id: str,
        user_id: str,
        private_key: str,
        ats: str,
        clock: Clock = time.time,
    ) -> None:
        super().__init__(token_url, client_id, "", ats=ats, clock=clock)
        self.idp_url = idp_url
        self._idp_form = {"client_id": client_id, "user_id": user_id, "token_url": token_url,
                          "private_key": private_key}
        self.form = {"company_id": company_id, "client_id": client_id,
                     "grant_type": self.GRANT_TYPE}

    def _refresh(self) -> Generator[httpx.Request, httpx.Response, None]:
        self.token_requests += 1
        idp = yield httpx.Request("POST", self.idp_url, data=self._idp_form)
        idp.read()
        assertion = self._assertion(idp)
        response = yield httpx.Request("POST", self.token_url,
                                       data={**self.form, "assertion": assertion},
                                       headers={"Accept": "application/json"})
        response.read()
        self._store(response)

    def _assertion(self, response: httpx.Response) -> str:
        where = _safe_url(self.idp_url)
        if response.status_code == 429 or response.status_code >= 500:
            raise RetryableSyncError(
                f"{self.ats}: SAML IdP {where} answered HTTP {response.status_code}",
                ats=self.ats, status=response.status_code, url=where,
                retry_after=_retry_after(response.headers, self.clock))
        assertion = response.text.strip()
        if response.status_code != 200 or not assertion:
            raise FatalSyncError(
                f"{self.ats}: SAML IdP {where} refused to issue an assertion: HTTP "
                f"{response.status_code}; check client_id, user_id and the private key "
                f"registered for the OAuth client", ats=self.ats, status=response.status_code,
                url=where)
        return assertion


class ApiClient:
    """GET JSON pages and download files, paced, retried and counted."""

    def __init__(
        self,
        http: httpx.Client,
        *,
        ats: str,
        retry: RetryPolicy,
        pacer: RateLimitPacer,
        sleep: Sleep = time.sleep,
        hints: Mapping[int, str] | None = None,
    ) -> None:
        self.http = http
        self.ats = ats
        self.retry = retry
        self.pacer = pacer
        self.sleep = sleep
        self.hints = dict(hints or {})
        self.requests = 0
        http.event_hooks["request"].append(self._count)

    @property
    def rate_budget(self) -> float | None:
        """Requests per second the ATS advertised, once a response said so."""
        return self.pacer.budget

    def get_json(
        self, url: str, *, params: Mapping[str, str] | None = None, expect: type = object,
        auth: httpx.Auth | None = None,
    ) -> JsonResponse:
        """GET ``url`` and decode its JSON body (retrying transient failures).

        ``auth`` replaces the client's own for this request (Workday RaaS takes the ISU's
        HTTP Basic credentials where SOAP calls carry them in the envelope).
        """
        return self._retrying(self._get_json_once, url, params, expect, auth)

    def post_json(self, url: str, body: Any, *, expect: type = object) -> JsonResponse:
        """POST a JSON body and decode the JSON answer (a search that reads, not a write:
        transient failures are retried like a GET's)."""
        return self._retrying(self._get_json_once, url, None, expect, None, body)

    def download(self, url: str, *, max_bytes: int) -> Download:
        """GET a file, following redirects, hashing it as it streams in."""
        return self._retrying(self._download_once, url, max_bytes)

    def post_soap(self, url: str, envelope: bytes, *, operation: str) -> XmlResponse:
        """POST a SOAP 1.1 envelope and parse the answer (faults classified, transients retried)."""
        return self._retrying(self._post_soap_once, url, envelope, operation)

    def close(self) -> None:
        """Close the underlying connection pool."""
        self.http.close()

    def __enter__(self) -> ApiClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # ------------------------------------------------------------------ internals

    def _count(self, request: httpx.Request) -> None:
        self.requests += 1

    def _retrying(self, fn: Callable[..., Any], *args: Any) -> Any:
        retrying = self.retry.retrying(sleep=self.sleep)
        try:
            return retrying(fn, *args)
        except RetryableSyncError as exc:
            exc.attempts = retrying.statistics.get("attempt_number", 1)
            raise

    def _get_json_once(self, url: str, params: Mapping[str, str] | None,
                       expect: type, auth: httpx.Auth | None = None,
                       body: Any = _NO_BODY) -> JsonResponse:
        """One GET (or, given a ``body``, one JSON POST) and its decoded answer."""
        self.pacer.before_request()
        verb = "GET" if body is _NO_BODY else "POST"
        try:
            if body is _NO_BODY:
                response = self.http.get(url, params=params,
                                         **({"auth": auth} if auth is not None else {}))
            else:
                response = self.http.post(url, json=body)
        except httpx.TransportError as exc:
            raise self._transport_error(exc, url, verb) from None
        self.pacer.observe(response.headers)
        final_url = str(response.url)
        self._raise_for_status(response, final_url, where=f"{verb} {_path(final_url)}")
        try:
            data = response.json()
        except ValueError:  # JSONDecodeError and UnicodeDecodeError both land here
            data = _MALFORMED
        if data is _MALFORMED or not isinstance(data, expect):
            raise MalformedBodyError(
                f"{self.ats}: {verb} {_path(final_url)} returned a body that is not the expected JSON "
                f"({len(response.content)} bytes; truncated or garbled)",
                ats=self.ats, status=response.status_code, url=final_url, headers=response.headers,
            )
        return JsonResponse(final_url, response.status_code, response.headers, data)

    def _post_soap_once(self, url: str, envelope: bytes, operation: str) -> XmlResponse:
        self.pacer.before_request()
        where = f"POST {operation}"
        try:
            response = self.http.post(url, content=envelope, headers=SOAP_HEADERS)
        except httpx.TransportError as exc:
            kind = "timed out" if isinstance(exc, httpx.TimeoutException) else "connection failed"
            raise RetryableSyncError(f"{self.ats}: {where} {kind} ({type(exc).__name__})",
                                     ats=self.ats, url=url) from None
        self.pacer.observe(response.headers)
        body = _soap_body(response.content)
        fault = body is not None and body.tag == SOAP_FAULT
        if fault:
            raise self._soap_fault(response, body, where, url)
        self._raise_for_status(response, url, where=where)
        if body is None:
            raise MalformedBodyError(
                f"{self.ats}: {where} returned a body that is not the expected SOAP XML "
                f"({len(response.content)} bytes; truncated or garbled)",
                ats=self.ats, status=response.status_code, url=url, headers=response.headers)
        return XmlResponse(url, response.status_code, response.headers, body)

    def _soap_fault(self, response: httpx.Response, fault: ET.Element, where: str,
                    url: str) -> SyncError:
        """A SOAP ``Fault`` as the error its ``faultcode`` calls for."""
        code = (fault.findtext("faultcode") or "").strip()
        text = " ".join((fault.findtext("faultstring") or "").split())[:200]
        kind = code.rsplit(":", 1)[-1].lower()
        what = (f"{self.ats}: HTTP {response.status_code} from {where}: SOAP fault "
                f"{code or '(no faultcode)'}: {text}")
        if any(k in kind for k in TRANSIENT_FAULTS) or response.status_code in (429, 503):
            return RetryableSyncError(what, ats=self.ats, status=response.status_code, url=url,
                                      retry_after=_retry_after(response.headers, self.pacer.clock))
        status = next((s for k, s in FAULT_STATUS.items() if k in kind), response.status_code)
        hint = self.hints.get(status, _DEFAULT_HINTS.get(status, "check the request"))
        return FatalSyncError(f"{what}; {hint.format(resource=where.split()[-1])}",
                              ats=self.ats, status=status, url=url)

    def _download_once(self, url: str, max_bytes: int) -> Download:
        where = _safe_url(url)
        self.pacer.before_request()
        try:
            with self.http.stream("GET", url, follow_redirects=True) as response:
                for hop in (*response.history, response):
                    self.pacer.observe(hop.headers)
                if response.status_code >= 400:
                    response.read()  # small error bodies explain themselves (422 detail)
                self._raise_for_status(response, where)
                data = _read_capped(response, max_bytes, self.ats, where)
                content_type = response.headers.get("content-type", "").split(";")[0].strip()
                filename = _disposition_filename(response.headers.get("content-disposition"))
        except httpx.TransportError as exc:
            raise self._transport_error(exc, where) from None
        return Download(data, hashlib.sha256(data).hexdigest(), content_type or None, filename)

    def _transport_error(self, exc: httpx.TransportError, url: str,
                         verb: str = "GET") -> RetryableSyncError:
        kind = "timed out" if isinstance(exc, httpx.TimeoutException) else "connection failed"
        return RetryableSyncError(
            f"{self.ats}: {verb} {_path(url)} {kind} ({type(exc).__name__})", ats=self.ats, url=url
        )

    def _raise_for_status(self, response: httpx.Response, url: str, *,
                          where: str | None = None) -> None:
        status = response.status_code
        if status < 400:
            return
        where = where or f"GET {_path(url)}"
        if status == 429 or status >= 500 or status == 408:
            raise RetryableSyncError(
                f"{self.ats}: HTTP {status} from {where}", ats=self.ats, status=status, url=url,
                retry_after=_retry_after(response.headers, self.pacer.clock),
            )
        raise FatalSyncError(self._fatal_message(response, where, url), ats=self.ats,
                             status=status, url=url)

    def _fatal_message(self, response: httpx.Response, where: str, url: str) -> str:
        status = response.status_code
        default = _DEFAULT_HINTS.get(status, "check the connection's settings")
        hint = self.hints.get(status, default).format(resource=_resource(url))
        detail = _server_detail(response) if status == 422 else ""
        return f"{self.ats}: HTTP {status} from {where}{detail}; {hint}"


def basic_auth(username: str, password: str) -> httpx.Auth:
    """HTTP Basic credentials (Workday RaaS with an Integration System User; SuccessFactors
    ``user@company``): no refresh, a 401 is final."""
    return httpx.BasicAuth(username, password)


def make_client(
    *,
    ats: str,
    base_url: str,
    auth: httpx.Auth | None = None,
    timeout: float = DEFAULT_TIMEOUT_SECONDS,
    retry: RetryPolicy | None = None,
    window_seconds: float = DEFAULT_WINDOW_SECONDS,
    min_interval_seconds: float = 0.0,
    hints: Mapping[int, str] | None = None,
    headers: Mapping[str, str] | None = None,
    transport: httpx.BaseTransport | None = None,
    clock: Clock = time.time,
    sleep: Sleep = time.sleep,
) -> ApiClient:
    """Build the ``ApiClient`` for one ATS connection (the only place httpx is configured)."""
    http = httpx.Client(
        base_url=base_url.rstrip("/") + "/",
        auth=auth,
        verify=_ssl_context(),
        timeout=httpx.Timeout(timeout, connect=min(timeout, 10.0)),
        headers={"Accept": "application/json", "User-Agent": USER_AGENT, **(headers or {})},
        transport=transport,
        follow_redirects=False,  # list pages never redirect; downloads opt in
    )
    pacer = RateLimitPacer(clock=clock, sleep=sleep, window_seconds=window_seconds,
                           min_interval_seconds=min_interval_seconds)
    return ApiClient(http, ats=ats, retry=retry or RetryPolicy(), pacer=pacer, sleep=sleep,
                     hints=hints)


# ---------------------------------------------------------------------- helpers

SOAP_ENV = "http://schemas.xmlsoap.org/soap/envelope/"
SOAP_FAULT = f"{{{SOAP_ENV}}}Fault"
SOAP_HEADERS = {"Content-Type": "text/xml; charset=utf-8", "Accept": "text/xml"}
# faultcode endings that are worth retrying (Workday: Server.processingFault / PROCESSING_FAULT)
TRANSIENT_FAULTS = ("processingfault", "processing_fault", "server")
# faultcode endings that mean the same as an HTTP status
FAULT_STATUS = {"authenticationerror": 401, "authorizationerror": 403, "permission": 403,
                "validationerror": 400}


@functools.lru_cache(maxsize=1)
def _ssl_context() -> ssl.SSLContext:
    # Loading the CA bundle costs tens of milliseconds; every client can share one context.
    return httpx.create_ssl_context()


_MALFORMED = object()

_DEFAULT_HINTS = {
    401: "the access token was refused even after a refresh: check the client id/secret and "
         "that the credentials are still active",
    403: "the credentials may not read {resource}: check the API scopes and the acting user's "
         "permissions",
    404: "the endpoint does not exist: check the connection's base URL",
    422: "the server rejected the request parameters",
}


def _soap_body(content: bytes) -> ET.Element | None:
    """The first child of the SOAP ``Body``, or None when the bytes are not a SOAP envelope.

    Standard-library parsing: expat (>= 2.4.1, bundled with supported Pythons) refuses
    entity-expansion bombs, and ElementTree never fetches external entities or DTDs, which
    is what ``defusedxml`` would add here.
    """
    try:
        root = ET.fromstring(content)
    except ET.ParseError:
        return None
    body = root.find(f"{{{SOAP_ENV}}}Body")
    return body[0] if body is not None and len(body) else None


def _read_capped(response: httpx.Response, max_bytes: int, ats: str, url: str) -> bytes:
    declared = _int_header(response.headers, "content-length")
    if declared is not None and declared > max_bytes:
        raise SkippedRecordError(f"{ats}: file at {_path(url)} is {declared} bytes, over the "
                                 f"{max_bytes}-byte limit")
    chunks, size = [], 0
    for chunk in response.iter_bytes():
        size += len(chunk)
        if size > max_bytes:
            raise SkippedRecordError(f"{ats}: file at {_path(url)} is over the "
                                     f"{max_bytes}-byte limit")
        chunks.append(chunk)
    return b"".join(chunks)


def _token_refusal(ats: str, where: str, response: httpx.Response) -> str:
    code = ""
    try:
        body = response.json()
        code = str(body.get("error") or "")[:60] if isinstance(body, dict) else ""
    except ValueError:
        pass
    detail = f" ({code})" if code else ""
    if response.status_code in (400, 403) and code not in ("invalid_client",):
        check = "check user_id (the ATS user the calls act as) and the client's grants"
    else:
        check = "check client_id and client_secret"
    return f"{ats}: token endpoint {where} refused the client credentials: HTTP " \
           f"{response.status_code}{detail}; {check}"


def _disposition_filename(value: str | None) -> str | None:
    """The file name a ``Content-Disposition`` header gives (``filename*`` preferred)."""
    if not value:
        return None
    message = Message()
    message["content-disposition"] = value
    name = message.get_filename()
    return (name.strip() or None) if name else None


def _server_detail(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return ""
    errors = body.get("errors") if isinstance(body, dict) else None
    first = errors[0] if isinstance(errors, list) and errors else None
    if first is None and isinstance(body, dict):
        first = body.get("message")  # Lever: {"code", "message"}
    if isinstance(first, dict):
        first = first.get("message")
    return f" ({str(first)[:200]})" if first else ""


def _retry_after(headers: Mapping[str, str], clock: Clock) -> float | None:
    value = headers.get("retry-after")
    if not value:
        return None
    try:
        return max(float(value), 0.0)
    except ValueError:
        pass
    try:
        return max(parsedate_to_datetime(value).timestamp() - clock(), 0.0)
    except (TypeError, ValueError):
        return None


def _int_header(headers: Mapping[str, str], name: str) -> int | None:
    value = _float_header(headers, name)
    return int(value) if value is not None else None


def _float_header(headers: Mapping[str, str], name: str) -> float | None:
    try:
        return float(headers[name])
    except (KeyError, TypeError, ValueError):
        return None


def _path(url: str) -> str:
    return urlsplit(url).path or url


def _resource(url: str) -> str:
    return _path(url).rstrip("/").rsplit("/", 1)[-1]


def _safe_url(url: str) -> str:
    """The URL without its query (signed download links carry tokens)."""
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, parts.path, "", ""))


__all__ = [
    "ApiClient",
    "ClientCredentialsAuth",
    "Download",
    "JsonResponse",
    "XmlResponse",
    "basic_auth",
    "RateLimitPacer",
    "SamlBearerAuth",
    "make_client",
]
