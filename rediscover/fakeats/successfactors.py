"""A fake SAP SuccessFactors OData v2 server: the RCM entity sets Rediscover reads.

What it does like the real one (per ``shared/ats/successfactors.md``): verbose OData v2 JSON
(``{"d": {"results": [...], "__next": …}}``, single entities as ``{"d": {...}}``); snapshot
paging by opaque ``$skiptoken`` in ``__next`` (it carries the last key read, so rows deleted
between two page requests shift nothing) with ``customPageSize`` capped at 1,000; a
``$filter`` subset (``lastModifiedDateTime ge/le datetimeoffset'…'``, ``field eq 'x'``,
``and``); ``$expand`` (unexpanded navigations come back ``__deferred``) and ``$select``;
OAuth SAML bearer (``/oauth/idp`` issues an assertion, ``/oauth/token`` exchanges it) and
Basic ``user@company``; OData error bodies; 429 + ``Retry-After`` past a fixed-window budget
(SF publishes no rate-limit headers, so none are sent).

For tests: scripted faults per path (``FaultPlan``), every request recorded, helpers to change
data between syncs. Rows are stored fully expanded; the server hides what was not asked for.
"""
from __future__ import annotations

import base64
import binascii
import json
import math
import re
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from importlib import resources
from typing import Any
from urllib.parse import quote, urlencode

from flask import Flask, Response, current_app, jsonify, request

from rediscover.fakeats.server import (
    FaultPlan,
    RecordedRequest,
    garble_body,
    oauth_error,
    record_request,
    take_fault,
)

Clock = Callable[[], float]
Row = dict[str, Any]

API = "/odata/v2"
FIXTURE_COMPANY_ID = "rediscoverT1"
FIXTURE_CLIENT_ID = "rediscover-sf-client"
FIXTURE_USER_ID = "sfapi"
FIXTURE_PRIVATE_KEY = "ZmFrZS1wcml2YXRlLWtleQ=="  # a fake server's fake key (base64)
SAML_GRANT = "urn:ietf:params:oauth:grant-type:saml2-bearer"
MAX_PAGE = 1000
KEYS: dict[str, str] = {
    "JobRequisition": "jobReqId",
    "JobApplicationStatus": "appStatusId",
    "Candidate": "candidateId",
    "JobApplication": "applicationId",
    "JobApplicationInterview": "applicationInterviewId",
    "Attachment": "attachmentId",
}
_CLAUSE_TIME = re.compile(r"^(\w+) (ge|gt|le|lt|eq) datetimeoffset'([^']+)'$")
_CLAUSE_EQ = re.compile(r"^(\w+) eq (?:'([^']*)'|(-?\d+)L?)$")
_COMPARE: dict[str, Callable[[datetime, datetime], bool]] = {
    "ge": lambda v, b: v >= b, "gt": lambda v, b: v > b, "le": lambda v, b: v <= b,
    "lt": lambda v, b: v < b, "eq": lambda v, b: v == b,
}
_DATE = re.compile(r"^/Date\((-?\d+)(?:[+-]\d{1,4})?\)/$")


@dataclass
class FakeSuccessFactors:
    """The data and bookkeeping behind one fake server."""

    dataset: dict[str, list[Row]]
    files: dict[str, bytes]
    rate_limit: int
    window: float
    faults: FaultPlan
    clock: Clock
    company_id: str
    client_id: str
    private_key: str
    basic: tuple[str, str] | None
    token_ttl: float
    requests: list[RecordedRequest] = field(default_factory=list)
    tokens: dict[str, float] = field(default_factory=dict)
    windows: dict[int, int] = field(default_factory=dict)
    rate_limited: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def api_requests(self, path: str | None = None) -> list[RecordedRequest]:
        """Recorded OData requests, optionally only those to ``path``."""
        return [r for r in self.requests if r.path.startswith(API + "/")
                and (path is None or r.path == path)]

    def now_odata(self) -> str:
        """The fake's current time as an Edm.DateTimeOffset value."""
        return f"/Date({int(self.clock() * 1000)}+0000)/"

    def update(self, entity: str, key: str, **changes: Any) -> Row:
        """Change a row as SF would: apply ``changes`` and bump ``lastModifiedDateTime``."""
        with self.lock:
            row = next(r for r in self.dataset[entity] if str(r[KEYS[entity]]) == str(key))
            row.update(changes)
            row["lastModifiedDateTime"] = changes.get("lastModifiedDateTime", self.now_odata())
            return row

    def delete_candidate(self, candidate_id: str) -> None:
        """Purge a candidate with their applications, interviews and attachments."""
        with self.lock:
            apps = {str(a["applicationId"]) for a in self.dataset.get("JobApplication", [])
                    if str(a["candidateId"]) == str(candidate_id)}
            keep = {
                "Candidate": lambda r: str(r["candidateId"]) != str(candidate_id),
                "JobApplication": lambda r: str(r["applicationId"]) not in apps,
                "JobApplicationInterview": lambda r: str(r["applicationId"]) not in apps,
                "Attachment": lambda r: str(r.get("documentEntityId")) != str(candidate_id),
            }
            for entity, wanted in keep.items():
                self.dataset[entity] = [r for r in self.dataset.get(entity, []) if wanted(r)]


def get_state(app: Flask) -> FakeSuccessFactors:
    """The ``FakeSuccessFactors`` behind an app made by ``create_app``."""
    return app.extensions["fake_successfactors"]


# ---------------------------------------------------------------------- the app


def create_app(
    dataset: dict[str, Any],
    *,
    rate_limit: int = 1000,
    window: float = 60,
    faults: FaultPlan | None = None,
    clock: Clock | None = None,
    company_id: str = FIXTURE_COMPANY_ID,
    client_id: str = FIXTURE_CLIENT_ID,
    private_key: str = FIXTURE_PRIVATE_KEY,
    basic: tuple[str, str] | None = None,
    token_ttl: float = 3600,
) -> Flask:
    """A Flask app serving ``dataset`` (``{entity set: rows}`` + ``files: {id: bytes}``)."""
    app = Flask(__name__)
    app.extensions["fake_successfactors"] = FakeSuccessFactors(
        dataset={k: [json.loads(json.dumps(r)) for r in v] for k, v in dataset.items()
                 if k != "files"},
        files={str(k): v for k, v in (dataset.get("files") or {}).items()},
        rate_limit=rate_limit, window=window, faults=faults or FaultPlan(),
        clock=clock or time.time, company_id=company_id, client_id=client_id,
        private_key=private_key, basic=basic, token_ttl=token_ttl,
    )
    app.add_url_rule("/oauth/idp", "idp", _idp, methods=["POST"])
    app.add_url_rule("/oauth/token", "token", _token, methods=["POST"])
    app.add_url_rule(f"{API}/<path:target>", "odata", _odata)
    app.before_request(_before)
    app.after_request(_after)
    return app


def _state() -> FakeSuccessFactors:
    return get_state(current_app)


def _before() -> Response | None:
    """Scripted faults, then auth and the request budget."""
    state = _state()
    fault = take_fault(state.faults, request.path)
    if fault is not None and fault.kind == "status":
        response = _error(fault.status, "FAULT", fault.message)
        if fault.retry_after is not None:
            response.headers["Retry-After"] = str(int(fault.retry_after))
        return response
    if not request.path.startswith(API + "/"):
        return None
    if not _authorized(state):
        return _error(401, "UNAUTHORIZED", "Invalid or expired credentials")
    return _spend_budget(state)


def _after(response: Response) -> Response:
    state = _state()
    # Every OData answer is JSON, attachments too (base64 inside): all of them can be garbled.
    garble_body(response, b'{"d": {"results": [,,', json_only=True)
    record_request(state.requests, state.lock, response)
    return response


def _authorized(state: FakeSuccessFactors) -> bool:
    header = request.headers.get("Authorization", "")
    if header.startswith("Bearer "):
        with state.lock:
            expires = state.tokens.get(header[len("Bearer "):])
        return expires is not None and state.clock() < expires
    auth = request.authorization
    return bool(state.basic and auth and auth.type == "basic"
                and (auth.username, auth.password) == state.basic)


def _spend_budget(state: FakeSuccessFactors) -> Response | None:
    """Count the request in its fixed window; past the budget answer 429 + Retry-After."""
    now = state.clock()
    index = math.floor(now / state.window)
    with state.lock:
        used = state.windows.get(index, 0)
        if used >= state.rate_limit:
            state.rate_limited += 1
            response = _error(429, "TOO_MANY_REQUESTS", "Request throttled")
            response.headers["Retry-After"] = str(max(1, math.ceil((index + 1) * state.window
                                                                   - now)))
            return response
        state.windows[index] = used + 1
    return None


def _idp() -> Response:
    """SF's IdP: a (here unsigned, opaque) SAML assertion for a registered client and key."""
    state = _state()
    form = request.form
    if form.get("client_id") != state.client_id or form.get("private_key") != state.private_key:
        return Response("Unable to generate SAML assertion: invalid client or key", 401)
    if not form.get("user_id") or not form.get("token_url"):
        return Response("user_id and token_url are required", 400)
    claims = {"client_id": state.client_id, "user_id": form["user_id"],
              "nonce": secrets.token_hex(8)}
    return Response(base64.b64encode(json.dumps(claims).encode()).decode(), 200,
                    mimetype="text/plain")


def _token() -> Response:
    """``/oauth/token`` for the SAML-bearer grant."""
    state = _state()
    form = request.form
    if form.get("grant_type") != SAML_GRANT:
        return oauth_error(400, "unsupported_grant_type")
    if form.get("company_id") != state.company_id or form.get("client_id") != state.client_id:
        return oauth_error(401, "invalid_client")
    try:
        claims = json.loads(base64.b64decode(form.get("assertion") or ""))
    except (ValueError, binascii.Error):
        return oauth_error(400, "invalid_grant")
    if claims.get("client_id") != state.client_id:
        return oauth_error(400, "invalid_grant")
    token = secrets.token_hex(16)
    with state.lock:
        state.tokens[token] = state.clock() + state.token_ttl
    return jsonify(access_token=token, token_type="Bearer", expires_in=int(state.token_ttl))


def _odata(target: str) -> Response:
    entity, key = _parse_target(target)
    if entity not in KEYS:
        return _error(404, "COE_RESOURCE_NOT_FOUND", f"Entity set {entity!r} not found")
    if key is not None:
        return _single(entity, key)
    try:
        clauses = _parse_filter(request.args.get("$filter", ""))
        after = _decode_skiptoken(request.args.get("$skiptoken"))
        size = min(int(request.args.get("customPageSize", MAX_PAGE)), MAX_PAGE)
    except ValueError as exc:
        return _error(400, "COE_BAD_REQUEST", str(exc))
    if size < 1:
        return _error(400, "COE_BAD_REQUEST", "customPageSize must be positive")
    state = _state()
    with state.lock:
        rows = [r for r in state.dataset.get(entity, []) if _matches(r, clauses)]
    rows.sort(key=lambda r: _key_order(r[KEYS[entity]]))
    if after is not None:  # snapshot paging: rows deleted meanwhile do not shift the pages
        rows = [r for r in rows if _key_order(r[KEYS[entity]]) > after]
    page = rows[:size]
    body: Row = {"results": [_render(entity, r) for r in page]}
    if size < len(rows):
        params = [(k, v) for k, v in request.args.items(multi=True) if k != "$skiptoken"]
        token = _encode_skiptoken(str(page[-1][KEYS[entity]]))
        query = urlencode(params, safe="$',/:", quote_via=quote)
        body["__next"] = f"{request.base_url}?{query}&$skiptoken={token}"
    return jsonify(d=body)


def _single(entity: str, key: str) -> Response:
    state = _state()
    with state.lock:
        row = next((r for r in state.dataset.get(entity, [])
                    if str(r[KEYS[entity]]) == key), None)
    if row is None:
        return _error(404, "COE_RESOURCE_NOT_FOUND", f"{entity}({key}L) not found")
    out = _render(entity, row)
    if entity == "Attachment" and key in state.files:
        out["fileContent"] = base64.b64encode(state.files[key]).decode()
        out = _select(out, request.args.get("$select"))
    return jsonify(d=out)


def _parse_target(target: str) -> tuple[str, str | None]:
    match = re.fullmatch(r"(\w+)\((\d+)L?\)", target)
    return (match.group(1), match.group(2)) if match else (target, None)


def _parse_filter(text: str) -> list[tuple[str, str, Any]]:
    clauses = []
    for part in (p.strip() for p in re.split(r"\s+and\s+", text.strip()) if p.strip()):
        if match := _CLAUSE_TIME.match(part):
            clauses.append((match.group(1), match.group(2), _iso(match.group(3))))
        elif match := _CLAUSE_EQ.match(part):
            value = match.group(2) if match.group(2) is not None else match.group(3)
            clauses.append((match.group(1), "eq-str", value))
        else:
            raise ValueError(f"Invalid $filter expression: {part[:80]}")
    return clauses


def _matches(row: Row, clauses: list[tuple[str, str, Any]]) -> bool:
    for name, op, value in clauses:
        if op == "eq-str":
            if str(row.get(name)) != value:
                return False
            continue
        moment = _date(row.get(name))
        if moment is None or not _COMPARE[op](moment, value):
            return False
    return True


def _render(entity: str, row: Row) -> Row:
    """The row with navigations not in ``$expand`` deferred and ``$select`` applied."""
    expand = {e.split("/")[0] for e in request.args.get("$expand", "").split(",") if e}
    uri = f"{request.host_url.rstrip('/')}{API}/{entity}({row[KEYS[entity]]}L)"
    out: Row = {"__metadata": {"uri": uri, "type": f"SFOData.{entity}"}}
    for name, value in row.items():
        if name.startswith("_") or name == "__metadata":
            continue
        if _is_navigation(value) and name not in expand:
            value = {"__deferred": {"uri": f"{uri}/{name}"}}
        out[name] = value
    if entity == "Attachment":
        out.pop("fileContent", None)
    return _select(out, request.args.get("$select"))


def _select(row: Row, select: str | None) -> Row:
    if not select:
        return row
    wanted = {s.strip() for s in select.split(",")} | {"__metadata"}
    return {k: v for k, v in row.items() if k in wanted}


def _is_navigation(value: Any) -> bool:
    return isinstance(value, dict) and ("results" in value or "__deferred" in value
                                        or "__metadata" in value)


def _key_order(value: Any) -> tuple[int, str]:
    text = str(value)
    return (int(text), text) if text.lstrip("-").isdigit() else (0, text)


def _date(value: Any) -> datetime | None:
    match = _DATE.match(str(value or ""))
    if not match:
        return None
    return datetime.fromtimestamp(int(match.group(1)) / 1000, tz=timezone.utc)


def _iso(value: str) -> datetime:
    parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)


def _encode_skiptoken(last_key: str) -> str:
    raw = json.dumps({"lastKey": last_key, "sessionKey": secrets.token_hex(8)}).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode_skiptoken(token: str | None) -> tuple[int, str] | None:
    """The sort key of the last row the previous page gave (None on a first page)."""
    if not token:
        return None
    try:
        data = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
        return _key_order(str(data["lastKey"]))
    except (ValueError, KeyError, TypeError, binascii.Error) as exc:
        raise ValueError("Invalid $skiptoken") from exc


def _error(status: int, code: str, message: str) -> Response:
    response = jsonify(error={"code": code, "message": {"lang": "en-US", "value": message}})
    response.status_code = status
    return response


# ---------------------------------------------------------------------- the bundled fixtures

DATA_PACKAGE = "rediscover.fakeats"
DATA_DIR = "data/successfactors"


def load_fixture_dataset() -> dict[str, Any]:
    """The shared SF fixtures (``data/successfactors``) as one expanded dataset."""
    folder = resources.files(DATA_PACKAGE).joinpath(DATA_DIR)

    def read(name: str) -> Any:
        return json.loads(folder.joinpath(name).read_text(encoding="utf-8"))["d"]

    def pages(prefix: str) -> list[Row]:
        names = sorted(e.name for e in folder.iterdir()
                       if e.name.startswith(prefix + "_page") and e.name.endswith(".json"))
        return [row for name in names for row in read(name)["results"]]

    names = {e.name for e in folder.iterdir()}
    candidates, applications = pages("Candidate"), pages("JobApplication")
    for cand in candidates:
        work = f"Candidate_{cand['candidateId']}_outsideWorkExperience.json"
        if work in names:
            cand["outsideWorkExperience"] = {"results": read(work)["results"]}
    for app in applications:
        trail = f"JobApplication_{app['applicationId']}_jobApplicationStatusAuditTrail.json"
        if trail in names:
            app["jobApplicationStatusAuditTrail"] = {"results": read(trail)["results"]}
    interviews = [row for name in sorted(names) if name.startswith("JobApplicationInterview_")
                  for row in read(name)["results"]]
    attachments, files = [], {}
    for name in sorted(n for n in names if n.endswith("_resume.json")):
        entity = dict(read(name))
        files[str(entity["attachmentId"])] = base64.b64decode(entity.pop("fileContent"))
        attachments.append(entity)
    return {"JobRequisition": pages("JobRequisition"), "Candidate": candidates,
            "JobApplication": applications, "JobApplicationInterview": interviews,
            "JobApplicationStatus": _statuses(applications), "Attachment": attachments,
            "files": files}


def _statuses(applications: list[Row]) -> list[Row]:
    """Every status the fixtures mention, as ``JobApplicationStatus`` rows."""
    found: dict[str, Row] = {}
    for app in applications:
        trail = (app.get("jobApplicationStatusAuditTrail") or {}).get("results") or []
        for status in [app.get("jobAppStatus")] + [r.get("jobAppStatus") for r in trail]:
            if isinstance(status, dict) and status.get("appStatusId"):
                found[str(status["appStatusId"])] = {
                    k: status[k] for k in ("appStatusId", "appStatusName", "appStatusSetId")}
    return [found[k] for k in sorted(found, key=int)]
