"""A fake Greenhouse Harvest v3 server: a small Flask app speaking the v3 list API.

What it does like the real one (per ``shared/ats/greenhouse.md``): bare JSON arrays ordered
by id descending; opaque URL-safe base64 cursors in ``Link: <…>; rel="next"``; 422 when a
cursor comes with other parameters or ``per_page`` is out of range; ``updated_at`` /
``created_at`` filters (``gte|<ts>|lte|<ts>``); ``X-RateLimit-*`` headers over a real fixed
window, answering 429 + ``Retry-After`` past the budget; an OAuth client-credentials token
endpoint with expiring bearer tokens; attachment downloads that redirect to the file.

For tests: scriptable faults per path (``FaultPlan``), every request recorded, and helpers
to change the data between syncs. ``rediscover demo`` serves it with the bundled sample.
"""
from __future__ import annotations

import base64
import binascii
import json
import math
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from importlib import resources
from typing import Any
from urllib.parse import quote

from flask import Flask, Response, current_app, jsonify, redirect, request

from rediscover.fakeats.server import (
    Fault,
    FaultPlan,
    RecordedRequest,
    garble_body,
    make_pdf,
    oauth_error,
    record_request,
    take_fault,
)

Clock = Callable[[], float]

FIXTURE_CLIENT_ID = "rediscover-demo-client"
FIXTURE_CLIENT_SECRET = "rediscover-demo-secret"  # a fake server's fake secret
FIXTURE_USER_ID = "101"  # the site admin of the sample data

LIST_RESOURCES = (
    "users", "jobs", "job_interview_stages", "job_hiring_managers", "job_owners",
    "user_job_permissions", "rejection_reasons", "rejection_details", "sources",
    "candidate_tags", "applied_candidate_tags", "candidates", "applications",
    "application_stages", "scorecards", "attachments", "offers",
)
ID_FILTERS = {  # list filter -> row field
    "ids": "id", "candidate_ids": "candidate_id", "application_ids": "application_id",
    "job_ids": "job_id", "user_ids": "user_id",
}
TIME_FILTERS = ("updated_at", "created_at")
TIME_OPERATORS: dict[str, Callable[[datetime, datetime], bool]] = {
    "gte": lambda v, b: v >= b, "gt": lambda v, b: v > b,
    "lte": lambda v, b: v <= b, "lt": lambda v, b: v < b,
}
CURSOR_ERROR = "When passing a cursor, do not include other query params."


# ---------------------------------------------------------------------- the fake's state


@dataclass
class FakeGreenhouse:
    """The data and bookkeeping behind one fake server."""

    dataset: dict[str, list[dict[str, Any]]]
    files: dict[str, bytes]
    rate_limit: int
    window: float
    per_page_max: int
    faults: FaultPlan
    clock: Clock
    client_id: str
    client_secret: str
    token_ttl: float
    requests: list[RecordedRequest] = field(default_factory=list)
    tokens: dict[str, float] = field(default_factory=dict)
    windows: dict[int, int] = field(default_factory=dict)
    rate_limited: int = 0  # 429s answered because the budget ran out (not scripted ones)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def api_requests(self, path: str | None = None) -> list[RecordedRequest]:
        """Recorded ``/v3`` requests, optionally only those to ``path``."""
        return [r for r in self.requests if r.path.startswith("/v3/")
                and (path is None or r.path == path)]

    def now_iso(self) -> str:
        """The fake's current time as Greenhouse writes timestamps."""
        now = datetime.fromtimestamp(self.clock(), tz=timezone.utc)
        return now.strftime("%Y-%m-%dT%H:%M:%S.") + f"{now.microsecond // 1000:03d}Z"

    def update(self, resource: str, row_id: int, **changes: Any) -> dict[str, Any]:
        """Change a row as the ATS would: apply ``changes`` and bump ``updated_at`` to now."""
        with self.lock:
            row = self._find(resource, row_id)
            row.update(changes)
            row["updated_at"] = changes.get("updated_at", self.now_iso())
            return row

    def add(self, resource: str, row: dict[str, Any]) -> dict[str, Any]:
        """Add a row (``created_at``/``updated_at`` default to now)."""
        with self.lock:
            row = {"created_at": self.now_iso(), "updated_at": self.now_iso(), **row}
            self.dataset.setdefault(resource, []).append(row)
            return row

    def delete(self, resource: str, row_id: int) -> None:
        """Hard-delete a row (v3 shows no trace of it afterwards)."""
        with self.lock:
            self.dataset[resource] = [r for r in self.dataset.get(resource, [])
                                      if r["id"] != row_id]

    def delete_candidate(self, candidate_id: int) -> None:
        """Hard-delete a candidate with what hangs off it, as Greenhouse does."""
        with self.lock:
            apps = {a["id"] for a in self.dataset.get("applications", [])
                    if a.get("candidate_id") == candidate_id}
            for resource, rows in self.dataset.items():
                self.dataset[resource] = [
                    r for r in rows
                    if not (resource == "candidates" and r["id"] == candidate_id)
                    and r.get("candidate_id") != candidate_id
                    and r.get("application_id") not in apps]

    def expire_tokens(self) -> None:
        """Make every issued token expired (the next API call answers 401)."""
        with self.lock:
            self.tokens = {token: 0.0 for token in self.tokens}

    def _find(self, resource: str, row_id: int) -> dict[str, Any]:
        for row in self.dataset.get(resource, []):
            if row["id"] == row_id:
                return row
        raise KeyError(f"{resource} {row_id} not in the fake's data")


def get_state(app: Flask) -> FakeGreenhouse:
    """The ``FakeGreenhouse`` behind an app made by ``create_app``."""
    return app.extensions["fake_greenhouse"]


# ---------------------------------------------------------------------- the app


def create_app(
    dataset: dict[str, Any],
    *,
    rate_limit: int = 75,
    window: float = 30,
    per_page_max: int = 500,
    faults: FaultPlan | None = None,
    clock: Clock | None = None,
    client_id: str = FIXTURE_CLIENT_ID,
    client_secret: str = FIXTURE_CLIENT_SECRET,
    token_ttl: float = 3600,
) -> Flask:
    """A Flask app serving ``dataset`` (``{resource: [v3 rows]}`` + ``files: {id: bytes}``)."""
    app = Flask(__name__)
    app.extensions["fake_greenhouse"] = FakeGreenhouse(
        dataset={k: [dict(r) for r in v] for k, v in dataset.items() if k != "files"},
        files={str(k): v for k, v in (dataset.get("files") or {}).items()},
        rate_limit=rate_limit, window=window, per_page_max=per_page_max,
        faults=faults or FaultPlan(), clock=clock or time.time, client_id=client_id,
        client_secret=client_secret, token_ttl=token_ttl,
    )
    app.add_url_rule("/token", "token", _token, methods=["POST"])
    app.add_url_rule("/v3/<resource>", "list", _list)
    app.add_url_rule("/v3/attachments/<int:attachment_id>/download", "download", _download)
    app.add_url_rule("/files/<int:attachment_id>/<path:filename>", "file", _file)
    app.before_request(_before)
    app.after_request(_after)
    return app


def _state() -> FakeGreenhouse:
    return get_state(current_app)


def _before() -> Response | None:
    """Scripted faults, then (for the API) bearer auth and the rate-limit budget."""
    state = _state()
    fault = take_fault(state.faults, request.path)
    if fault is not None and fault.kind == "status":
        return _fault_response(fault)
    if not request.path.startswith("/v3/"):
        return None
    if not _authorized(state):
        return _error(401, "Unauthorized")
    return _spend_budget(state)


def _after(response: Response) -> Response:
    state = _state()
    garble_body(response, b'[{"id": 1,, "oops": ')
    record_request(state.requests, state.lock, response)
    return response


def _authorized(state: FakeGreenhouse) -> bool:
    header = request.headers.get("Authorization", "")
    if not header.startswith("Bearer "):
        return False
    with state.lock:
        expires = state.tokens.get(header[len("Bearer "):])
    return expires is not None and state.clock() < expires


def _spend_budget(state: FakeGreenhouse) -> Response | None:
    """Count this request in its fixed window; answer 429 once the window is spent."""
    now = state.clock()
    index = math.floor(now / state.window)
    reset = (index + 1) * state.window
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
        "X-RateLimit-Reset": _number(reset),
    }
    if not refused:
        return None
    response = _error(429, "Rate limit exceeded")
    response.headers["Retry-After"] = str(max(1, math.ceil(reset - now)))
    return _with_rate_headers(response)


def _token() -> Response:
    """OAuth 2.0 client credentials: HTTP Basic client auth, ``sub`` = acting user id."""
    state = _state()
    auth = request.authorization
    if auth is None or auth.username != state.client_id or auth.password != state.client_secret:
        return oauth_error(401, "invalid_client")
    if request.form.get("grant_type") != "client_credentials":
        return oauth_error(400, "unsupported_grant_type")
    users = {str(u["id"]) for u in state.dataset.get("users", [])}
    if request.form.get("sub") not in users:
        return oauth_error(400, "invalid_grant")
    token = secrets.token_hex(16)
    with state.lock:
        state.tokens[token] = state.clock() + state.token_ttl
    return jsonify(access_token=token, token_type="Bearer", expires_in=int(state.token_ttl))


def _list(resource: str) -> Response:
    state = _state()
    if resource not in LIST_RESOURCES:
        return _with_rate_headers(_error(404, "Not found"))
    query = _read_query(state)
    if isinstance(query, Response):
        return _with_rate_headers(query)
    filters, per_page, after_id = query
    with state.lock:
        rows = _select(state.dataset.get(resource, []), filters)
    rows = [r for r in rows if after_id is None or r["id"] < after_id]
    page, more = rows[:per_page], len(rows) > per_page
    response = jsonify([_render(resource, r) for r in page])
    if more:
        cursor = _encode_cursor({"filters": filters, "per_page": per_page,
                                 "last_id": page[-1]["id"]})
        response.headers["Link"] = f'<{request.host_url}v3/{resource}?cursor={cursor}>; rel="next"'
    return _with_rate_headers(response)


def _read_query(state: FakeGreenhouse) -> tuple[dict[str, str], int, int | None] | Response:
    args = request.args
    if "cursor" in args:
        if len(args) > 1 or len(args.getlist("cursor")) > 1:
            return _error(422, CURSOR_ERROR)
        try:
            cursor = _decode_cursor(args["cursor"])
            return dict(cursor["filters"]), int(cursor["per_page"]), int(cursor["last_id"])
        except (ValueError, KeyError, TypeError):
            return _error(422, "Invalid or expired cursor.")
    try:
        per_page = int(args.get("per_page", 100))
    except ValueError:
        per_page = 0
    if not 1 <= per_page <= state.per_page_max:
        return _error(422, f"per_page must be between 1 and {state.per_page_max}.")
    filters = {k: v for k, v in args.items() if k != "per_page"}
    if all(k in filters for k in TIME_FILTERS):
        return _error(422, "Do not send created_at and updated_at together.")
    for name in TIME_FILTERS:
        if name in filters and _parse_window(filters[name]) is None:
            return _error(422, f"Invalid {name} filter.")
    return filters, per_page, None


def _select(rows: list[dict[str, Any]], filters: dict[str, str]) -> list[dict[str, Any]]:
    """Rows matching the filters, by id descending (as v3 orders every list)."""
    matched = list(rows)
    for name in TIME_FILTERS:
        if name in filters:
            bounds = _parse_window(filters[name]) or []
            matched = [r for r in matched if _within(r.get(name), bounds)]
    for name, column in ID_FILTERS.items():
        if filters.get(name):
            wanted = {int(v) for v in filters[name].split(",") if v.strip()}
            matched = [r for r in matched if r.get(column) in wanted]
    return sorted(matched, key=lambda r: r["id"], reverse=True)


def _parse_window(value: str) -> list[tuple[str, datetime]] | None:
    parts = value.split("|")
    if len(parts) % 2 or not parts:
        return None
    try:
        pairs = [(parts[i], _parse_time(parts[i + 1])) for i in range(0, len(parts), 2)]
    except ValueError:
        return None
    return pairs if all(op in TIME_OPERATORS for op, _ in pairs) else None


def _within(value: str | None, bounds: list[tuple[str, datetime]]) -> bool:
    if value is None:
        return False
    moment = _parse_time(value)
    return all(TIME_OPERATORS[op](moment, bound) for op, bound in bounds)


def _parse_time(value: str) -> datetime:
    parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)


def _render(resource: str, row: dict[str, Any]) -> dict[str, Any]:
    out = {k: v for k, v in row.items() if not k.startswith("_")}
    if resource == "attachments":
        # Signed, short-lived link back to this server (Greenhouse hands out fresh ones).
        out["url"] = (f"{request.host_url}v3/attachments/{row['id']}/download"
                      f"?token={secrets.token_hex(12)}")
    return out


def _download(attachment_id: int) -> Response:
    state = _state()
    if not request.args.get("token") or str(attachment_id) not in state.files:
        return _with_rate_headers(_error(404, "Not found"))
    filename = next((a.get("filename") for a in state.dataset.get("attachments", [])
                     if a["id"] == attachment_id), None) or f"{attachment_id}.pdf"
    response = redirect(f"/files/{attachment_id}/{quote(filename)}", code=302)
    return _with_rate_headers(response)


def _file(attachment_id: int, filename: str) -> Response:
    data = _state().files.get(str(attachment_id))
    if data is None:
        return _error(404, "Not found")
    return Response(data, mimetype="application/pdf" if data.startswith(b"%PDF")
                    else "application/octet-stream")


def _fault_response(fault: Fault) -> Response:
    response = _error(fault.status, fault.message)
    if fault.retry_after is not None:
        response.headers["Retry-After"] = _number(fault.retry_after)
    if fault.status == 429:
        response.headers["X-RateLimit-Remaining"] = "0"
    return response


def _with_rate_headers(response: Response) -> Response:
    for name, value in request.environ.get("fakeats.ratelimit", {}).items():
        response.headers.setdefault(name, value)
    return response


def _error(status: int, message: str) -> Response:
    response = jsonify(errors=[message])
    response.status_code = status
    return response


def _encode_cursor(data: dict[str, Any]) -> str:
    raw = json.dumps(data, separators=(",", ":"), sort_keys=True).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode_cursor(value: str) -> dict[str, Any]:
    try:
        raw = base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))
    except (binascii.Error, ValueError) as exc:
        raise ValueError("bad cursor") from exc
    return json.loads(raw)


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:.3f}"


# ---------------------------------------------------------------------- datasets

DATA_PACKAGE = "rediscover.fakeats"
DATA_DIR = "data/greenhouse"

# Text of the sample attachments (the fixtures carry metadata only; the files are made here).
FIXTURE_FILES: dict[int, tuple[str, ...]] = {
    5500001: ("Priya Raman - Senior Software Engineer",
              "Python Kafka distributed systems, stream processing, PostgreSQL",
              "Northwind Analytics 2019-2024: event pipelines on Kafka"),
    5500002: ("Marcus Oyelaran - Staff Engineer",
              "Go payments platform, ledger design, gRPC"),
    5500003: ("Elena Petrova - Product Designer",
              "Design systems, Figma, user research"),
    5500004: ("Offer letter (signed)", "Product Designer, start date 2024-02-26"),
    5500005: ("Kenji Watanabe - Data Engineer",
              "Spark Airflow Python data pipelines, dbt, BigQuery"),
}


def load_fixture_dataset() -> dict[str, Any]:
    """The bundled v3 sample (``data/greenhouse``) as a dataset, with tiny PDFs as files."""
    dataset: dict[str, Any] = {}
    folder = resources.files(DATA_PACKAGE).joinpath(DATA_DIR)
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if not entry.name.endswith(".json"):
            continue
        resource = entry.name.rsplit("_page", 1)[0]
        dataset.setdefault(resource, []).extend(json.loads(entry.read_text(encoding="utf-8")))
    dataset["files"] = {aid: make_pdf(lines) for aid, lines in FIXTURE_FILES.items()}
    return dataset


def generate_dataset(candidates: int, *, seed: int = 7,
                     now: datetime = datetime(2024, 5, 20, tzinfo=timezone.utc)) -> dict[str, Any]:
    """The shared logical dataset rendered as v3 and cut to ``candidates`` candidates.

    ``now`` ends its history (before the sync tests' clock starts). Rows that belong to a dropped
    candidate (applications and what hangs off them, attachments and their files, tags applied)
    go with it, so the result is consistent.
    """
    from rediscover.fakeats.dataset import generate
    from rediscover.fakeats.greenhouse_render import render_greenhouse

    rendered = render_greenhouse(generate(candidates, seed=seed, now=now))  # people may have 2 records
    rendered["candidates"] = rendered["candidates"][:candidates]
    kept = {c["id"] for c in rendered["candidates"]}
    for name in ("applications", "applied_candidate_tags", "attachments", "offers"):
        rendered[name] = [r for r in rendered[name] if r["candidate_id"] in kept]
    apps = {a["id"] for a in rendered["applications"]}
    for name in ("application_stages", "scorecards", "rejection_details"):
        rendered[name] = [r for r in rendered[name] if r["application_id"] in apps]
    files = {a["id"] for a in rendered["attachments"]}
    rendered["files"] = {k: v for k, v in rendered["files"].items() if k in files}
    return rendered


# ---------------------------------------------------------------------- webhooks

WEBHOOK_DIR = "data/greenhouse_webhooks"
WEBHOOK_FIXTURE_SECRET = "gh_fixture_secret_DO_NOT_USE"  # what the bundled deliveries are signed with


def load_webhook_fixture(event: str) -> tuple[bytes, dict[str, str]]:
    """A bundled webhook delivery: the exact body bytes and its request headers."""
    folder = resources.files(DATA_PACKAGE).joinpath(WEBHOOK_DIR)
    body = folder.joinpath(f"{event}.body.json").read_bytes()
    meta = json.loads(folder.joinpath(f"{event}.headers.json").read_text(encoding="utf-8"))
    return body, dict(meta["headers"])
