"""A fake Lever Data API v1 server: a small Flask app speaking the list and detail API.

What it does like the real one (per ``shared/ats/lever.md``): HTTP Basic with the API key as
username; list bodies ``{"data", "next", "hasNext"}`` with an opaque ``offset`` token (any
other token answers ``Invalid offset token``); ``limit`` 1-100; epoch-millisecond
``updated_at_start``/``_end`` filters (inclusive; a null ``updatedAt`` never matches);
confidential opportunities and postings only with ``confidentiality=confidential|all``;
``expand=applications`` (ids otherwise); per-opportunity feedback (paginated), resumes and
files (not paginated: ``limit``/``offset`` refused) with downloads; a token bucket (10/s
steady, bursts of 20) answering a bare 429 when empty, with no rate-limit headers.

For tests: scriptable faults per path (``FaultPlan``), every request recorded, per-second
request counts, and helpers to change the data between syncs.
"""
from __future__ import annotations

import json
import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

from flask import Flask, Response, current_app, jsonify, request

from rediscover.fakeats.server import Fault, FaultPlan, RecordedRequest, make_pdf, garble_body, record_request, take_fault

Clock = Callable[[], float]

FIXTURE_API_KEY = "rediscover-demo-lever-key"  # a fake server's fake key
LIST_RESOURCES = ("users", "postings", "stages", "archive_reasons", "sources", "tags")
CONFIDENTIAL = "confidential"
MAX_LIMIT = 100
UNPAGED_ERROR = "pagination is not supported for this endpoint"


# ---------------------------------------------------------------------- the fake's state


@dataclass
class FakeLever:
    """The data and bookkeeping behind one fake server."""

    dataset: dict[str, Any]
    faults: FaultPlan
    clock: Clock
    api_key: str
    rate: float  # tokens per second
    burst: float  # bucket size
    requests: list[RecordedRequest] = field(default_factory=list)
    windows: dict[int, int] = field(default_factory=dict)  # requests per 1-second window
    rate_limited: int = 0
    tokens: float = -1.0
    refilled_at: float | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)

    def api_requests(self, path: str | None = None) -> list[RecordedRequest]:
        """Recorded ``/v1`` requests, optionally only those to ``path``."""
        return [r for r in self.requests if r.path.startswith("/v1/")
                and (path is None or r.path == path)]

    def now_ms(self) -> int:
        """The fake's clock in epoch milliseconds."""
        return int(self.clock() * 1000)

    def update_opportunity(self, opportunity_id: str, **changes: Any) -> dict[str, Any]:
        """Change an opportunity as Lever would: apply ``changes``, bump ``updatedAt``."""
        with self.lock:
            row = self._find(opportunity_id)
            row.update(changes)
            row["updatedAt"] = changes.get("updatedAt", self.now_ms())
            return row

    def delete_opportunity(self, opportunity_id: str) -> None:
        """Hard-delete an opportunity; it shows up in ``/opportunities/deleted``."""
        with self.lock:
            row = self._find(opportunity_id)
            self.dataset["opportunities"].remove(row)
            self.dataset.setdefault("deleted", []).append(
                {**row, "deletedAt": self.now_ms(), "deletedBy": None})

    def _find(self, opportunity_id: str) -> dict[str, Any]:
        for row in self.dataset.get("opportunities", []):
            if row["id"] == opportunity_id:
                return row
        raise KeyError(f"opportunity {opportunity_id} not in the fake's data")


def get_state(app: Flask) -> FakeLever:
    """The ``FakeLever`` behind an app made by ``create_app``."""
    return app.extensions["fake_lever"]


# ---------------------------------------------------------------------- the app


def create_app(
    dataset: dict[str, Any],
    *,
    rate_limit: float = 10,
    window: float = 1,
    burst: float | None = None,
    faults: FaultPlan | None = None,
    clock: Clock | None = None,
    api_key: str = FIXTURE_API_KEY,
) -> Flask:
    """A Flask app serving ``dataset`` (as ``load_fixture_dataset`` or ``render_lever`` make).

    The bucket refills at ``rate_limit`` per ``window`` seconds and holds ``burst`` tokens
    (default: two seconds' worth, as Lever's 10/s with bursts of 20).
    """
    app = Flask(__name__)
    rate = rate_limit / window
    app.extensions["fake_lever"] = FakeLever(
        dataset=json.loads(json.dumps({k: v for k, v in dataset.items() if k != "blobs"})),
        faults=faults or FaultPlan(), clock=clock or time.time, api_key=api_key,
        rate=rate, burst=burst if burst is not None else 2 * rate,
    )
    app.extensions["fake_lever"].dataset["blobs"] = dict(dataset.get("blobs") or {})
    app.add_url_rule("/v1/<resource>", "list", _list)
    app.add_url_rule("/v1/opportunities", "opportunities", _opportunities)
    app.add_url_rule("/v1/opportunities/deleted", "deleted", _deleted)
    app.add_url_rule("/v1/opportunities/<oid>/feedback", "feedback", _feedback)
    app.add_url_rule("/v1/opportunities/<oid>/<kind>", "unpaged", _unpaged)
    app.add_url_rule("/v1/opportunities/<oid>/<kind>/<fid>/download", "download", _download)
    app.before_request(_before)
    app.after_request(_after)
    return app


def _state() -> FakeLever:
    return get_state(current_app)


def _before() -> Response | None:
    """Scripted faults, then Basic auth and the token bucket."""
    state = _state()
    fault = take_fault(state.faults, request.path)
    if fault is not None and fault.kind == "status":
        return _fault_response(fault)
    auth = request.authorization
    if auth is None or auth.username != state.api_key or auth.password:
        return _error(401, "UnauthorizedError", "Invalid API key")
    return _take_token(state)


def _after(response: Response) -> Response:
    state = _state()
    # Only JSON is garbled: a file's bytes carry nothing a client could check them against
    # (its Content-Length is rewritten with it), so a garbled file would just be another file.
    garble_body(response, b'{"data": [{"id": 1,, ', json_only=True)
    record_request(state.requests, state.lock, response)
    return response


def _take_token(state: FakeLever) -> Response | None:
    """Spend one token of the bucket; a bare 429 when it is empty (Lever sends no headers)."""
    now = state.clock()
    with state.lock:
        if state.refilled_at is None:
            state.tokens = state.burst
        else:
            state.tokens = min(state.burst, state.tokens + (now - state.refilled_at) * state.rate)
        state.refilled_at = now
        if state.tokens < 1:
            state.rate_limited += 1
            return _error(429, "TooManyRequests", "Rate limit exceeded")
        state.tokens -= 1
        second = math.floor(now)
        state.windows[second] = state.windows.get(second, 0) + 1
    return None


# ---------------------------------------------------------------------- endpoints


def _list(resource: str) -> Response:
    state = _state()
    if resource not in LIST_RESOURCES:
        return _error(404, "ResourceNotFound", "Not found")
    rows = list(state.dataset.get(resource, []))
    if resource == "postings":
        rows = [r for r in rows if _visible(r, request.args.get("confidentiality"))]
    if resource == "archive_reasons" and request.args.get("type"):
        rows = [r for r in rows if r.get("type") == request.args["type"]]
    return _page(rows)


def _opportunities() -> Response:
    state = _state()
    args = request.args
    try:
        start = int(args["updated_at_start"]) if "updated_at_start" in args else None
        end = int(args["updated_at_end"]) if "updated_at_end" in args else None
    except ValueError:
        return _error(400, "BadRequestError", "updated_at filters must be epoch milliseconds")
    rows = [r for r in state.dataset.get("opportunities", [])
            if _visible(r, args.get("confidentiality"))
            and (start is None or (r.get("updatedAt") is not None and r["updatedAt"] >= start))
            and (end is None or (r.get("updatedAt") is not None and r["updatedAt"] <= end))]
    expand = set(args.getlist("expand"))
    if "applications" not in expand:
        rows = [{**r, "applications": [a["id"] for a in r.get("applications") or ()]}
                for r in rows]
    return _page(rows)


def _deleted() -> Response:
    return _page(list(_state().dataset.get("deleted", [])))


def _feedback(oid: str) -> Response:
    state = _state()
    if not _has_opportunity(state, oid):
        return _error(404, "ResourceNotFound", "Opportunity not found")
    return _page(list(state.dataset.get("feedback", {}).get(oid, [])))


def _unpaged(oid: str, kind: str) -> Response:
    state = _state()
    if kind not in ("resumes", "files"):
        return _error(404, "ResourceNotFound", "Not found")
    if "limit" in request.args or "offset" in request.args:
        return _error(400, "BadRequestError", UNPAGED_ERROR)
    if not _has_opportunity(state, oid):
        return _error(404, "ResourceNotFound", "Opportunity not found")
    return jsonify(data=list(state.dataset.get(kind, {}).get(oid, [])))


def _download(oid: str, kind: str, fid: str) -> Response:
    state = _state()
    items = state.dataset.get(kind, {}).get(oid, []) if kind in ("resumes", "files") else []
    item = next((i for i in items if i["id"] == fid), None)
    if item is None:
        return _error(404, "ResourceNotFound", "File not found")
    status = (item.get("file") or item).get("status")
    data = state.dataset["blobs"].get(fid)
    if status in ("error", "unsupported") or data is None:
        return _error(422, "UnprocessableEntity", "The file could not be processed")
    return Response(data, mimetype="application/pdf" if data.startswith(b"%PDF")
                    else "text/plain")


# ---------------------------------------------------------------------- paging


def _page(rows: list[dict[str, Any]]) -> Response:
    """One page of ``rows`` by ``limit``/``offset``, Lever's body-cursor way."""
    args = request.args
    try:
        limit = int(args.get("limit", MAX_LIMIT))
    except ValueError:
        limit = 0
    if not 1 <= limit <= MAX_LIMIT:
        return _error(400, "BadRequestError", f"limit must be between 1 and {MAX_LIMIT}")
    start = 0
    if args.get("offset"):
        start = _position_after(rows, args["offset"])
        if start is None:
            return _error(400, "BadRequestError", "Invalid offset token")
    page = rows[start:start + limit]
    body: dict[str, Any] = {"data": page, "hasNext": start + limit < len(rows)}
    if body["hasNext"]:
        last = page[-1]
        body["next"] = f"0.{last.get('createdAt') or 0}.{last.get('id', start + limit)}"
    return jsonify(body)


def _position_after(rows: list[dict[str, Any]], token: str) -> int | None:
    parts = token.split(".", 2)
    if len(parts) != 3 or parts[0] != "0":
        return None
    for i, row in enumerate(rows):
        if str(row.get("id")) == parts[2]:
            return i + 1
    return None


def _visible(row: dict[str, Any], confidentiality: str | None) -> bool:
    wanted = confidentiality or "non-confidential"
    is_confidential = row.get("confidentiality") == CONFIDENTIAL
    return wanted == "all" or (wanted == CONFIDENTIAL) == is_confidential


def _has_opportunity(state: FakeLever, oid: str) -> bool:
    return any(r["id"] == oid for r in state.dataset.get("opportunities", []))


def _fault_response(fault: Fault) -> Response:
    response = _error(fault.status, "FaultInjected", fault.message)
    if fault.retry_after is not None:
        response.headers["Retry-After"] = str(fault.retry_after)
    return response


def _error(status: int, code: str, message: str) -> Response:
    response = jsonify(code=code, message=message)
    response.status_code = status
    return response


# ---------------------------------------------------------------------- datasets

DATA_PACKAGE = "rediscover.fakeats"
DATA_DIR = "data/lever"
PER_OPPORTUNITY = ("feedback", "resumes", "files")

# Text of the sample resumes and files (the fixtures carry metadata only; bytes are made here).
FIXTURE_FILES: dict[str, tuple[str, ...]] = {
    "1f44a4bd-8d8c-5916-88f2-dc329f104253": (
        "Grace Okafor - Product Designer", "Design systems, Figma, accessibility, user research"),
    "d28299df-0a73-591c-85cd-bd5b5c31de71": ("Grace Okafor - Portfolio", "Case studies"),
    "dff9769d-37b3-5e80-b20a-ed1031958b13": (
        "Noor Haddad - Senior Backend Engineer", "Go Kafka PostgreSQL, payments platform"),
    "b5bdde74-4a59-56a7-8a41-9da752f42918": ("Noor Haddad - CV 2022", "Backend engineer, Go"),
    # 4934cc63… (Hannah) has ``status: "error"``: Lever cannot process it, the fake says 422.
}


def load_fixture_dataset() -> dict[str, Any]:
    """The bundled Lever sample (``data/lever``) as a dataset, with tiny PDFs as files."""
    folder = resources.files(DATA_PACKAGE).joinpath(DATA_DIR)
    dataset: dict[str, Any] = {kind: {} for kind in PER_OPPORTUNITY}
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if not entry.name.endswith(".json"):
            continue
        body = json.loads(entry.read_text(encoding="utf-8"))
        items = body.get("data", body) if isinstance(body, dict) else body
        name = entry.name[:-len(".json")]
        if name.startswith("opportunities_deleted"):
            dataset.setdefault("deleted", []).extend(items)
        elif name.startswith("opportunities_page"):
            dataset.setdefault("opportunities", []).extend(items)
        elif name.startswith("opportunities_"):
            _, oid, kind = name.split("_", 2)
            if kind in PER_OPPORTUNITY:
                dataset[kind][oid] = items
        elif name.startswith("postings_confidentiality_all"):
            dataset["postings"] = items  # the unfiltered listing holds every posting
        elif not name.startswith("postings_"):
            dataset[name.rsplit("_page", 1)[0]] = items
    dataset["blobs"] = {fid: make_pdf(lines) for fid, lines in FIXTURE_FILES.items()}
    return dataset


def generate_dataset(opportunities: int, *, seed: int = 7) -> dict[str, Any]:
    """A rendered logical dataset cut to ``opportunities`` opportunities (for sync tests)."""
    from rediscover.fakeats.dataset import generate
    from rediscover.fakeats.lever_render import render_lever

    # Private people are not rendered and some people have no application: ask for more.
    rendered = render_lever(generate(opportunities + 10, seed=seed))
    kept = rendered["opportunities"][:opportunities]
    ids = {o["id"] for o in kept}
    rendered["opportunities"] = kept
    for kind in PER_OPPORTUNITY:
        rendered[kind] = {k: v for k, v in rendered[kind].items() if k in ids}
    return rendered
