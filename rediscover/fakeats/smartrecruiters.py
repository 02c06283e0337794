"""A fake SmartRecruiters Customer API server: a small Flask app for candidates and jobs.

What it does like the real one (per ``shared/ats/smartrecruiters.md``): ``X-SmartToken``
auth (header name case-insensitive); ListResult bodies ``{limit, offset, totalFound,
nextPageId, content}`` with the cursor also in ``Link: <…>; rel="next"``, passed back as
``pageId`` (anything else answers 400); ``limit`` 1-100; ``updatedAfter`` on candidates;
candidate details, per-application status history and source, the attachments list and file
downloads; ``X-RateLimit-Limit``/``-Remaining`` on every response over one-second windows
(10 per second), 429 past them with no ``Retry-After``.

For tests: scriptable faults per path (``FaultPlan``), every request recorded, per-window
request counts, and helpers to change the data between syncs.
"""
from __future__ import annotations

import copy
import json
import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from importlib import resources
from typing import Any

from flask import Flask, Response, current_app, jsonify, request

from rediscover.fakeats.server import Fault, FaultPlan, RecordedRequest, garble_body, record_request, take_fault

Clock = Callable[[], float]

FIXTURE_API_KEY = "rediscover-demo-smarttoken"  # a fake server's fake key
MAX_LIMIT = 100
DEFAULT_LIMIT = 10


@dataclass
class FakeSmartRecruiters:
    """The data and bookkeeping behind one fake server."""

    dataset: dict[str, Any]
    faults: FaultPlan
    clock: Clock
    api_key: str
    rate_limit: int
    window: float
    requests: list[RecordedRequest] = field(default_factory=list)
    windows: dict[int, int] = field(default_factory=dict)
    rate_limited: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def api_requests(self, path: str | None = None) -> list[RecordedRequest]:
        """Recorded API requests, optionally only those to ``path``."""
        return [r for r in self.requests if path is None or r.path == path]

    def now_iso(self) -> str:
        """The fake's clock as SmartRecruiters writes timestamps."""
        now = datetime.fromtimestamp(self.clock(), tz=timezone.utc)
        return now.strftime("%Y-%m-%dT%H:%M:%S.") + f"{now.microsecond // 1000:03d}Z"

    def update_candidate(self, candidate_id: str, *, title: str) -> None:
        """A new current job title on the candidate, bumping ``updatedOn`` to now."""
        with self.lock:
            details = self.dataset["details"][candidate_id]
            current = [e for e in details.get("experience") or () if e.get("current")]
            if current:
                current[0]["title"] = title
            else:
                details.setdefault("experience", []).append({"title": title, "current": True})
            for row in (details, self._summary(candidate_id)):
                row["updatedOn"] = self.now_iso()

    def delete_candidate(self, candidate_id: str) -> None:
        """Delete a candidate (GDPR): SmartRecruiters keeps no trace and no deletion feed."""
        with self.lock:
            self.dataset["candidates"].remove(self._summary(candidate_id))
            self.dataset["details"].pop(candidate_id, None)

    def _summary(self, candidate_id: str) -> dict[str, Any]:
        for row in self.dataset["candidates"]:
            if row["id"] == candidate_id:
                return row
        raise KeyError(f"candidate {candidate_id} not in the fake's data")


def get_state(app: Flask) -> FakeSmartRecruiters:
    """The ``FakeSmartRecruiters`` behind an app made by ``create_app``."""
    return app.extensions["fake_smartrecruiters"]


def create_app(
    dataset: dict[str, Any],
    *,
    rate_limit: int = 10,
    window: float = 1,
    faults: FaultPlan | None = None,
    clock: Clock | None = None,
    api_key: str = FIXTURE_API_KEY,
) -> Flask:
    """A Flask app serving ``dataset`` (as ``load_fixture_dataset`` or the renderer make)."""
    app = Flask(__name__)
    data = copy.deepcopy({k: v for k, v in dataset.items() if k != "blobs"})
    data["blobs"] = dict(dataset.get("blobs") or {})
    app.extensions["fake_smartrecruiters"] = FakeSmartRecruiters(
        dataset=data, faults=faults or FaultPlan(), clock=clock or time.time, api_key=api_key,
        rate_limit=rate_limit, window=window)
    app.add_url_rule("/candidates", "candidates", _candidates)
    app.add_url_rule("/jobs", "jobs", _jobs)
    app.add_url_rule("/candidates/<cid>", "details", _details)
    app.add_url_rule("/candidates/<cid>/jobs/<jid>/status/history", "history", _history)
    app.add_url_rule("/candidates/<cid>/jobs/<jid>/source", "source", _source)
    app.add_url_rule("/candidates/<cid>/attachments", "attachments", _attachments)
    app.add_url_rule("/candidates/<cid>/attachments/<aid>", "file", _file)
    app.add_url_rule("/candidates/<cid>/jobs/<jid>/attachments", "app_attachments",
                     _app_attachments)
    app.add_url_rule("/candidates/<cid>/jobs/<jid>/attachments/<aid>", "app_file", _app_file)
    app.before_request(_before)
    app.after_request(_after)
    return app


def _state() -> FakeSmartRecruiters:
    return get_state(current_app)


def _before() -> Response | None:
    state = _state()
    fault = take_fault(state.faults, request.path)
    if fault is not None and fault.kind == "status":
        return _fault_response(fault)
    if request.headers.get("x-smarttoken") != state.api_key:
        return _error(401, "Unauthorized: missing or invalid X-SmartToken")
    return _spend_budget(state)


def _after(response: Response) -> Response:
    state = _state()
    for name, value in request.environ.get("fakeats.ratelimit", {}).items():
        response.headers.setdefault(name, value)
    # Only JSON is garbled: a file's bytes carry nothing a client could check them against
    # (its Content-Length is rewritten with it), so a garbled file would just be another file.
    garble_body(response, b'{"content": [{"id": 1,, ', json_only=True)
    record_request(state.requests, state.lock, response)
    return response


def _spend_budget(state: FakeSmartRecruiters) -> Response | None:
    """Count the request in its window; 429 once the window is spent (no ``Retry-After``)."""
    index = math.floor(state.clock() / state.window)
    with state.lock:
        used = state.windows.get(index, 0)
        refused = used >= state.rate_limit
        if refused:
            state.rate_limited += 1
        else:
            used = state.windows[index] = used + 1
    request.environ["fakeats.ratelimit"] = {
        "X-RateLimit-Limit": str(state.rate_limit),
        "X-RateLimit-Remaining": str(state.rate_limit - used),
        "X-RateLimit-Concurrent-Limit": "8", "X-RateLimit-Concurrent-Remaining": "7",
    }
    return _error(429, "Too Many Requests") if refused else None


# ---------------------------------------------------------------------- endpoints


def _candidates() -> Response:
    state = _state()
    after = request.args.get("updatedAfter")
    try:
        bound = _parse(after) if after else None
    except ValueError:
        return _error(400, "updatedAfter must be an ISO 8601 date-time")
    rows = [r for r in state.dataset.get("candidates", [])
            if bound is None or _parse(r["updatedOn"]) > bound]
    return _page(rows, "candidates")


def _jobs() -> Response:
    return _page(list(_state().dataset.get("jobs", [])), "jobs")


def _details(cid: str) -> Response:
    details = _state().dataset.get("details", {}).get(cid)
    return jsonify(details) if details is not None else _error(404, "Candidate not found")


def _history(cid: str, jid: str) -> Response:
    state = _state()
    if cid not in state.dataset.get("details", {}):
        return _error(404, "Candidate not found")
    content = state.dataset.get("history", {}).get(f"{cid}/{jid}", [])
    return jsonify(totalFound=len(content), content=content)


def _source(cid: str, jid: str) -> Response:
    found = _state().dataset.get("sources", {}).get(f"{cid}/{jid}")
    return jsonify(found) if found is not None else _error(404, "Not found")


def _attachments(cid: str) -> Response:
    """The candidate's own files (the fixtures' shape)."""
    return _attachment_list(cid, _state().dataset.get("attachments", {}).get(cid, []),
                            f"candidates/{cid}/attachments")


def _app_attachments(cid: str, jid: str) -> Response:
    """The files of one application (candidate id + job id)."""
    items = _state().dataset.get("app_attachments", {}).get(f"{cid}/{jid}", [])
    return _attachment_list(cid, items, f"candidates/{cid}/jobs/{jid}/attachments")


def _attachment_list(cid: str, items: list[dict[str, Any]], path: str) -> Response:
    if cid not in _state().dataset.get("details", {}):
        return _error(404, "Candidate not found")
    # Download links point back at this server, whatever host the fixtures named.
    content = [{**a, "actions": {"download": {"url": f"{request.host_url}{path}/{a['id']}",
                                              "method": "GET"}}} for a in items]
    return jsonify(totalFound=len(content), content=content)


def _file(cid: str, aid: str) -> Response:
    return _blob(_state().dataset.get("attachments", {}).get(cid, []), aid)


def _app_file(cid: str, jid: str, aid: str) -> Response:
    return _blob(_state().dataset.get("app_attachments", {}).get(f"{cid}/{jid}", []), aid)


def _blob(items: list[dict[str, Any]], aid: str) -> Response:
    listed = {a["id"]: a for a in items}
    data = _state().dataset["blobs"].get(aid)
    if aid not in listed or data is None:
        return _error(404, "Attachment not found")
    return Response(data, mimetype=listed[aid].get("contentType") or "application/octet-stream")


def _page(rows: list[dict[str, Any]], resource: str) -> Response:
    """One ListResult page; the cursor is opaque here but is simply the next row's index."""
    args = request.args
    try:
        limit = int(args.get("limit", DEFAULT_LIMIT))
    except ValueError:
        limit = 0
    if not 1 <= limit <= MAX_LIMIT:
        return _error(400, f"limit must be between 1 and {MAX_LIMIT}")
    start = 0
    if "pageId" in args:
        try:
            start = int(args["pageId"], 16) ^ 0x5EED
        except ValueError:
            return _error(400, "Invalid pageId")
        if not 0 < start <= len(rows):
            return _error(400, "Invalid pageId")
    page = rows[start:start + limit]
    body: dict[str, Any] = {"limit": limit, "offset": start, "totalFound": len(rows),
                            "content": page}
    response = jsonify(body)
    if start + limit < len(rows):
        page_id = format((start + limit) ^ 0x5EED, "x")
        body["nextPageId"] = page_id
        response = jsonify(body)
        query = "&".join(f"{k}={v}" for k, v in args.items(multi=True) if k != "pageId")
        response.headers["Link"] = f'</{resource}?{query}&pageId={page_id}>; rel="next"'
    return response


def _parse(value: str) -> datetime:
    text = value.strip().replace("Z", "+00:00")
    if len(text) > 5 and text[-5] in "+-" and text[-3] != ":":
        text = text[:-2] + ":" + text[-2:]  # "+0000" as older examples write it
    parsed = datetime.fromisoformat(text)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)


def _fault_response(fault: Fault) -> Response:
    response = _error(fault.status, fault.message)
    if fault.retry_after is not None:
        response.headers["Retry-After"] = str(fault.retry_after)
    return response


def _error(status: int, message: str) -> Response:
    response = jsonify(message=message)
    response.status_code = status
    return response


# ---------------------------------------------------------------------- datasets

DATA_PACKAGE = "rediscover.fakeats"
DATA_DIR = "data/smartrecruiters"


def load_fixture_dataset() -> dict[str, Any]:
    """The bundled SmartRecruiters sample (``data/smartrecruiters``) as a dataset."""
    folder = resources.files(DATA_PACKAGE).joinpath(DATA_DIR)
    data: dict[str, Any] = {"candidates": [], "jobs": [], "details": {}, "history": {},
                            "sources": {}, "attachments": {}, "app_attachments": {},
                            "blobs": {}}
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        name = entry.name
        if name == "files":
            for blob in entry.iterdir():
                data["blobs"][blob.name.rsplit(".", 1)[0]] = blob.read_bytes()
            continue
        if not name.endswith(".json"):
            continue
        body = json.loads(entry.read_text(encoding="utf-8"))
        stem = name[:-len(".json")]
        if stem.startswith("candidates_page"):
            data["candidates"].extend(body["content"])
        elif stem.startswith("jobs_page"):
            data["jobs"].extend(body["content"])
        elif stem.endswith("_status_history"):
            _, cid, _, jid = stem[:-len("_status_history")].split("_")
            data["history"][f"{cid}/{jid}"] = body["content"]
        elif stem.endswith("_source"):
            _, cid, _, jid = stem[:-len("_source")].split("_")
            data["sources"][f"{cid}/{jid}"] = body
        elif stem.endswith("_attachments"):
            data["attachments"][stem.split("_")[1]] = body["content"]
        elif stem.startswith("candidate_"):
            data["details"][stem.split("_")[1]] = body
    return data


# Generated histories end here, before the sync tests' clock starts: ``updatedAfter`` has no
# upper bound, so a record dated after the sync would be in every incremental window.
GENERATED_NOW = datetime(2024, 5, 1, tzinfo=timezone.utc)


def generate_dataset(candidates: int, *, seed: int = 7,
                     now: datetime = GENERATED_NOW) -> dict[str, Any]:
    """A rendered logical dataset cut to ``candidates`` candidates (for sync tests)."""
    from rediscover.fakeats.dataset import generate
    from rediscover.fakeats.smartrecruiters_render import render_smartrecruiters

    # Private and prospect-only people are not rendered: ask for more, keep the first n.
    rendered = render_smartrecruiters(generate(candidates + 15, seed=seed, now=now))
    rendered["candidates"] = rendered["candidates"][:candidates]
    kept = {c["id"] for c in rendered["candidates"]}
    rendered["details"] = {k: v for k, v in rendered["details"].items() if k in kept}
    return rendered
