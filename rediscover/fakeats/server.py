"""Shared by the fake ATS servers: serving in a thread, scripted faults, recorded requests, PDFs."""
from __future__ import annotations

import math
import random
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from flask import Response, jsonify
from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server


class _QuietHandler(WSGIRequestHandler):
    """Request handler that keeps the test output clean (no access log lines)."""

    def log_request(self, *args: Any, **kwargs: Any) -> None:
        pass

    def log(self, *args: Any, **kwargs: Any) -> None:
        pass


def serve_in_thread(
    wsgi_app: Callable[..., Iterable[bytes]], host: str = "127.0.0.1", port: int = 0
) -> tuple[str, Callable[[], None]]:
    """Serve ``wsgi_app`` on ``host:port`` (0 = any free port) in a daemon thread.

    Returns the base URL (``http://127.0.0.1:<port>``) and a ``stop()`` that shuts the
    server down and waits for its thread. Threaded, so a deliberately slow response does
    not hold up the next request.
    """
    server: BaseWSGIServer = make_server(host, port, wsgi_app, threaded=True,
                                         request_handler=_QuietHandler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                              name=f"fakeats:{server.port}",
                              daemon=True)
    thread.start()
    stopped = threading.Event()

    def stop() -> None:
        """Shut the server down and wait for its thread (idempotent)."""
        if stopped.is_set():
            return
        stopped.set()
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()

    return f"http://{host}:{server.port}", stop


# ---------------------------------------------------------------------- faults


@dataclass
class Fault:
    """One scripted misbehaviour.

    ``kind``: ``status`` (answer ``status`` with a JSON error; 429 adds ``Retry-After``),
    ``malformed`` (200 with a garbled body), ``truncated`` (200 with the body cut in half),
    ``slow`` (sleep ``delay`` real seconds, then answer normally), ``change`` (call
    ``action`` — e.g. edit or delete a record — then answer normally: the data moves
    between two page requests).
    """

    kind: str
    status: int = 500
    retry_after: float | None = None
    delay: float = 0.0
    message: str = "Internal Server Error"
    action: Callable[[], None] | None = None


# What ``FaultPlan.random`` draws from: a 429 storm, server errors, garbled bodies, timeouts.
RANDOM_FAULTS: tuple[Fault, ...] = (
    Fault("status", 429, retry_after=3, message="Rate limit exceeded"),
    Fault("status", 500),
    Fault("status", 502, message="Bad Gateway"),
    Fault("status", 503, message="Service Unavailable"),
    Fault("malformed"),
    Fault("truncated"),
)


@dataclass
class _Scheduled:
    """A queued fault with how often it fires and how many requests pass first."""

    fault: Fault
    times: float  # math.inf = forever
    after: int  # matching requests to let through first


class FaultPlan:
    """Faults queued per request path (``/v3/candidates``, ``/token``; ``*`` = any path).

    Each entry fires on ``times`` matching requests after letting ``after`` through;
    entries of one path run in the order they were added.
    """

    def __init__(self) -> None:
        self._queues: dict[str, deque[_Scheduled]] = {}
        self._lock = threading.Lock()
        self._rate = 0.0
        self._rng = random.Random(0)
        self._prefix = ""
        self._kinds: tuple[Fault, ...] = RANDOM_FAULTS
        self.injected = 0  # random faults answered so far

    def random(self, rate: float, *, seed: int, prefix: str = "",
               kinds: tuple[Fault, ...] = RANDOM_FAULTS) -> FaultPlan:
        """Answer a ``rate`` share of requests under ``prefix`` with a fault drawn from ``kinds``
        (seeded: the same requests in the same order meet the same faults)."""
        with self._lock:
            self._rate, self._rng, self._prefix, self._kinds = (
                rate, random.Random(seed), prefix, kinds)
        return self

    def change(self, path: str, action: Callable[[], None], *, after: int = 0) -> FaultPlan:
        """Run ``action`` (change the data) just before the ``after``+1-th request to ``path``."""
        return self.add(path, Fault("change", action=action), after=after)

    def add(self, path: str, fault: Fault, *, times: float = 1, after: int = 0) -> FaultPlan:
        """Queue ``fault`` for ``path``; returns the plan so calls chain."""
        with self._lock:
            self._queues.setdefault(path, deque()).append(_Scheduled(fault, times, after))
        return self

    def rate_limited(self, path: str, *, retry_after: float = 5, times: float = 1,
                     after: int = 0) -> FaultPlan:
        """429 with ``Retry-After``."""
        return self.add(path, Fault("status", 429, retry_after=retry_after,
                                    message="Rate limit exceeded"), times=times, after=after)

    def server_error(self, path: str, *, status: int = 500, times: float = 1,
                     after: int = 0) -> FaultPlan:
        """A 5xx answer."""
        return self.add(path, Fault("status", status), times=times, after=after)

    def unauthorized(self, path: str, *, times: float = 1, after: int = 0) -> FaultPlan:
        """401 even with a valid token (as when a token is revoked early)."""
        return self.add(path, Fault("status", 401, message="Unauthorized"), times=times,
                        after=after)

    def forbidden(self, path: str, *, times: float = math.inf, after: int = 0,
                  message: str = "Forbidden") -> FaultPlan:
        """403 (a missing scope or permission); by default for every later request."""
        return self.add(path, Fault("status", 403, message=message), times=times, after=after)

    def malformed(self, path: str, *, times: float = 1, after: int = 0) -> FaultPlan:
        """200 with a body that is not JSON."""
        return self.add(path, Fault("malformed"), times=times, after=after)

    def truncated(self, path: str, *, times: float = 1, after: int = 0) -> FaultPlan:
        """200 with the JSON body cut in half."""
        return self.add(path, Fault("truncated"), times=times, after=after)

    def slow(self, path: str, seconds: float, *, times: float = 1, after: int = 0) -> FaultPlan:
        """Answer after ``seconds`` of real time (to trip the client's timeout)."""
        return self.add(path, Fault("slow", delay=seconds), times=times, after=after)

    def clear(self) -> None:
        """Drop every queued fault and stop random ones (the ATS recovered)."""
        with self._lock:
            self._queues.clear()
            self._rate = 0.0

    def take(self, path: str) -> Fault | None:
        """The fault for this request to ``path``, if one is due."""
        with self._lock:
            for key in (path, "*"):
                queue = self._queues.get(key)
                if not queue:
                    continue
                head = queue[0]
                if head.after > 0:
                    head.after -= 1
                    return None
                head.times -= 1
                if head.times <= 0:
                    queue.popleft()
                return head.fault
            if self._rate and path.startswith(self._prefix) and self._rng.random() < self._rate:
                self.injected += 1
                return self._rng.choice(self._kinds)
        return None


# ---------------------------------------------------------------------- recorded requests


@dataclass(frozen=True)
class RecordedRequest:
    """A request the fake received."""

    method: str
    path: str
    query: dict[str, list[str]]
    query_string: str
    headers: dict[str, str]
    status: int = 0

    def param(self, name: str) -> str | None:
        """The first value of a query parameter."""
        values = self.query.get(name)
        return values[0] if values else None



# ---------------------------------------------------------------------- PDFs


def make_pdf(lines: Iterable[str]) -> bytes:
    """A minimal, valid one-page PDF showing ``lines`` in Helvetica (ASCII; others become ?)."""
    text = "".join(
        f"({_pdf_escape(line)}) Tj 0 -16 Td\n" for line in lines
    )
    content = f"BT /F1 12 Tf 72 720 Td\n{text}ET".encode("ascii")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(content) + content + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref_at = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1, xref_at)
    return bytes(out)


def _pdf_escape(line: str) -> str:
    ascii_line = line.encode("ascii", "replace").decode("ascii")
    return ascii_line.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")


def take_fault(faults: FaultPlan, key: str) -> Fault | None:
    """Take the scripted fault for ``key`` (a path or operation) and play what happens before
    the answer: a slow reply sleeps, a "change" edits the data. The fault is kept in the
    request environ for ``garble_body``; the caller answers "status" faults itself."""
    from flask import request

    fault = faults.take(key)
    request.environ["fakeats.fault"] = fault
    if fault is not None and fault.kind == "slow":
        time.sleep(fault.delay)
    if fault is not None and fault.kind == "change" and fault.action is not None:
        fault.action()  # the data changes between two page requests
    return fault


def garble_body(response: Any, broken: bytes, *, json_only: bool = False) -> None:
    """Apply this request's "malformed" / "truncated" fault to a successful response body."""
    from flask import request

    fault = request.environ.get("fakeats.fault")
    if fault is None or fault.kind not in ("malformed", "truncated"):
        return
    if response.status_code != 200 or (json_only and not response.is_json):
        return
    data = response.get_data()
    response.set_data(broken if fault.kind == "malformed" else data[: max(1, len(data) // 2)])


def record_request(requests: list[RecordedRequest], lock: Any, response: Any) -> None:
    """Append the current request and its answer's status to a fake's request log."""
    from flask import request

    with lock:
        requests.append(RecordedRequest(
            method=request.method, path=request.path, query=request.args.to_dict(flat=False),
            query_string=request.query_string.decode(), headers=dict(request.headers),
            status=response.status_code))


def oauth_error(status: int, code: str) -> Response:
    """An OAuth 2.0 token-endpoint error (RFC 6749 §5.2: ``{"error": code}``), as every vendor's
    token endpoint answers one."""
    response = jsonify(error=code)
    response.status_code = status
    return response
