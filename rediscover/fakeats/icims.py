"""A fake iCIMS REST server: the Search API, person/job/workflow profiles, resume binaries.

What it does like the real one (per ``shared/ats/icims.md``): OAuth client credentials at
``/oauth/token`` (form ``client_id``/``client_secret``/``audience``, or HTTP Basic on the
token call) and bearer tokens, or HTTP Basic on every call; ``POST
/customers/{cid}/search/{people|jobs|applicantworkflows}`` answering ``{"searchResults":
[{"self", "id"}]}`` ascending, at most ``cap`` ids per call (1,000), filtered by
``<type>.updateddate`` ranges (``value``/``secondaryValue``, ``yyyy-mm-dd hh:mm AM`` or
``{DATE:END}``), ``<type>.id`` / ``applicantworkflow.person.id`` lists and the paging filter
``<type>.id > last``; profiles with empty fields omitted; 404 with ``{"errors": [{...,
"errorCode": 2|3}]}`` and ``X-Error`` for a profile gone or secured; the resume binary with its
``Content-Type``/``Content-Disposition``, or ``application/json`` when there is none; the
licence's request budget (10,000 a day by default), answered 429 with ``Retry-After`` once spent.

For tests: scriptable faults per path (``FaultPlan``), every request recorded (a search's
filters as ``updated_from``/``updated_to``/``after`` query values), per-window request counts,
and helpers to change the data between syncs.
"""
from __future__ import annotations

import copy
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

from flask import Flask, Response, current_app, jsonify, request

from rediscover.fakeats.server import (
    Fault,
    FaultPlan,
    RecordedRequest,
    garble_body,
    oauth_error,
    record_request,
    take_fault,
)

Clock = Callable[[], float]

CUSTOMER_ID = "4321"
FIXTURE_CLIENT_ID = "rediscover-demo-icims-client"  # a fake server's fake credentials
FIXTURE_CLIENT_SECRET = "rediscover-demo-icims-secret"
FIXTURE_USERNAME = "rediscover-integration"  # the integration account, for HTTP Basic
FIXTURE_PASSWORD = "rediscover-demo-icims-password"
SEARCH_CAP = 1000
DAILY_REQUESTS = 10_000
DAY = 86_400.0
DATETIME_FORMAT = "%Y-%m-%d %I:%M %p"
KINDS = {"people": "person", "jobs": "job", "applicantworkflows": "applicantworkflow"}
NAMES = {"people": "Person", "jobs": "Job", "applicantworkflows": "Recruiting Workflow"}


@dataclass
class FakeICIMS:
    """The data and bookkeeping behind one fake server.

    ``dataset``: ``people``/``jobs``/``applicantworkflows`` (id -> profile), ``secured`` (kind
    -> ids a search lists but a GET refuses), ``padding`` (person ids listed but gone),
    ``resumes`` (person id -> ``{"data", "content_type", "filename"}``).
    """

    dataset: dict[str, Any]
    faults: FaultPlan
    clock: Clock
    client_id: str
    client_secret: str
    cap: int
    rate_limit: int
    window: float
    requests: list[RecordedRequest] = field(default_factory=list)
    windows: dict[int, int] = field(default_factory=dict)
    tokens: set[str] = field(default_factory=set)
    rate_limited: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def api_requests(self, path: str | None = None) -> list[RecordedRequest]:
        """Recorded requests, optionally only those to ``path``."""
        return [r for r in self.requests if path is None or r.path == path]

    def now_icims(self) -> str:
        """The fake's clock as iCIMS writes datetimes."""
        return datetime.fromtimestamp(self.clock(), tz=timezone.utc).strftime(DATETIME_FORMAT)

    def touch_person(self, person_id: int | str, *, title: str) -> None:
        """A new current job title on the person, bumping ``updateddate`` to now."""
        with self.lock:
            profile = self.dataset["people"][int(person_id)]
            work = profile.setdefault("workexperience", [])
            current = [w for w in work if not w.get("workenddate")]
            if current:
                current[0]["worktitle"] = title
            else:
                work.insert(0, {"entry": int(person_id) * 10, "worktitle": title})
            profile["updateddate"] = self.now_icims()

    def set_status(self, workflow_id: int | str, status: dict[str, str],
                   bin_: dict[str, str] | None = None) -> None:
        """Move a workflow to another status (its ``updateddate`` moves with it)."""
        with self.lock:
            profile = self.dataset["applicantworkflows"][int(workflow_id)]
            profile["status"] = dict(status)
            if bin_ is not None:
                profile["bin"] = dict(bin_)
            profile["updateddate"] = self.now_icims()

    def delete_person(self, person_id: int | str) -> None:
        """Delete a person with their workflows and resume (iCIMS reports no deletions)."""
        pid = int(person_id)
        with self.lock:
            self.dataset["people"].pop(pid)
            self.dataset["resumes"].pop(pid, None)
            flows = self.dataset["applicantworkflows"]
            for wid in [w for w, p in flows.items() if _link_id(p.get("associatedprofile")) == pid]:
                flows.pop(wid)


def get_state(app: Flask) -> FakeICIMS:
    """The ``FakeICIMS`` behind an app made by ``create_app``."""
    return app.extensions["fake_icims"]


def create_app(
    dataset: dict[str, Any],
    *,
    cap: int = SEARCH_CAP,
    rate_limit: int = DAILY_REQUESTS,
    window: float = DAY,
    faults: FaultPlan | None = None,
    clock: Clock | None = None,
    client_id: str = FIXTURE_CLIENT_ID,
    client_secret: str = FIXTURE_CLIENT_SECRET,
) -> Flask:
    """A Flask app serving ``dataset`` (as ``load_fixture_dataset`` or the renderer make)."""
    app = Flask(__name__)
    app.extensions["fake_icims"] = FakeICIMS(
        dataset=_copy(dataset), faults=faults or FaultPlan(), clock=clock or time.time,
        client_id=client_id, client_secret=client_secret, cap=cap, rate_limit=rate_limit,
        window=window)
    prefix = "/customers/<cid>"
    app.add_url_rule("/oauth/token", "token", _token, methods=["POST"])
    app.add_url_rule(f"{prefix}/search/<kind>", "search", _search, methods=["POST"])
    app.add_url_rule(f"{prefix}/<kind>/<int:pid>", "profile", _profile)
    app.add_url_rule(f"{prefix}/people/<int:pid>/fields/resume/binary", "resume", _resume)
    app.before_request(_before)
    app.after_request(_after)
    return app


def _copy(dataset: dict[str, Any]) -> dict[str, Any]:
    data = copy.deepcopy({k: v for k, v in dataset.items() if k != "resumes"})
    data["resumes"] = dict(dataset.get("resumes") or {})
    for key in ("people", "jobs", "applicantworkflows"):
        data.setdefault(key, {})
    data.setdefault("secured", {})
    data.setdefault("padding", [])
    return data


def _state() -> FakeICIMS:
    return get_state(current_app)


def _before() -> Response | None:
    state = _state()
    fault = take_fault(state.faults, request.path)
    if fault is not None and fault.kind == "status":
        return _fault_response(fault)
    if request.path == "/oauth/token":
        return None
    if request.view_args and request.view_args.get("cid") not in (None, CUSTOMER_ID):
        return _error(404, 2, "Customer not found.")
    if not _authorized(state):
        return _error(401, 6, "Invalid Username or Password credentials provided.")
    return _spend_budget(state)


def _after(response: Response) -> Response:
    state = _state()
    garble_body(response, b'{"searchResults": [{"id": 1,, ', json_only=True)
    if request.endpoint == "search":
        _record_search(state, response)
    else:
        record_request(state.requests, state.lock, response)
    return response


def _record_search(state: FakeICIMS, response: Response) -> None:
    """A search's filters recorded as query values (the window and the paging filter)."""
    query: dict[str, list[str]] = {}
    body = request.get_json(silent=True) or {}
    for item in body.get("filters") or ():
        name = str(item.get("name") or "")
        if name.endswith(".updateddate"):
            query["updated_from"] = list(item.get("value") or ())
            query["updated_to"] = list(item.get("secondaryValue") or ())
        elif name.endswith(".id") and item.get("operator") == ">":
            query["after"] = list(item.get("value") or ())
    with state.lock:
        state.requests.append(RecordedRequest(
            method=request.method, path=request.path, query=query, query_string="",
            headers=dict(request.headers), status=response.status_code))


def _authorized(state: FakeICIMS) -> bool:
    header = request.headers.get("Authorization", "")
    if header.startswith("Bearer "):
        return header[len("Bearer "):] in state.tokens
    auth = request.authorization
    return auth is not None and (auth.username, auth.password) == (FIXTURE_USERNAME,
                                                                     FIXTURE_PASSWORD)


def _spend_budget(state: FakeICIMS) -> Response | None:
    """Count the request against the licence; 429 with ``Retry-After`` once it is spent."""
    now = state.clock()
    index = math.floor(now / state.window)
    with state.lock:
        used = state.windows.get(index, 0)
        if used >= state.rate_limit:
            state.rate_limited += 1
            response = _error(429, 0, "Daily request limit reached.")
            response.headers["Retry-After"] = str(math.ceil((index + 1) * state.window - now))
            return response
        state.windows[index] = used + 1
    return None


# ---------------------------------------------------------------------- endpoints


def _token() -> Response:
    state = _state()
    form = request.form
    auth = request.authorization
    client_id = form.get("client_id") or (auth.username if auth else None)
    secret = form.get("client_secret") or (auth.password if auth else None)
    if form.get("grant_type") != "client_credentials":
        return oauth_error(400, "unsupported_grant_type")
    if (client_id, secret) != (state.client_id, state.client_secret):
        return oauth_error(401, "invalid_client")
    token = secrets.token_urlsafe(16)
    with state.lock:
        state.tokens.add(token)
    return jsonify(access_token=token, token_type="Bearer", expires_in=86_400)


def _search(cid: str, kind: str) -> Response:
    state = _state()
    if kind not in KINDS:
        return _error(404, 2, f"Unknown search type {kind}.")
    body = request.get_json(silent=True)
    if not isinstance(body, dict) or not isinstance(body.get("filters", []), list):
        return _error(400, 1, "The search body is not valid.")
    try:
        test = _matcher(KINDS[kind], body["filters"] if "filters" in body else [])
    except (KeyError, TypeError, ValueError) as exc:
        return _error(400, 1, f"Invalid search filter: {exc}")
    with state.lock:
        profiles = dict(state.dataset[kind])
        listed = set(profiles) | set(state.dataset["secured"].get(kind, ()))
        if kind == "people":
            listed |= set(state.dataset["padding"])
    ids = sorted(i for i in listed if test(i, profiles.get(i)))[:state.cap]
    return jsonify(searchResults=[
        {"self": f"{request.host_url}customers/{cid}/{kind}/{i}", "id": i} for i in ids])


def _matcher(kind: str, filters: list[dict[str, Any]]) -> Callable[[int, Any], bool]:
    """A predicate over (id, profile or None) for AND-ed filters. An id without a readable
    profile (secured, or gone since the search index saw it) passes any date range: the
    search still lists it, only the GET refuses."""
    tests: list[Callable[[int, Any], bool]] = []
    for item in filters:
        name, op = item["name"], item.get("operator", "=")
        values = [str(v) for v in item.get("value") or ()]
        if name == f"{kind}.updateddate":
            low = _parse(values[0]) if values else None
            ends = [str(v) for v in item.get("secondaryValue") or ()]
            high = _parse(ends[0]) if ends else None
            tests.append(lambda i, p, lo=low, hi=high: p is None or _within(p, lo, hi))
        elif name == f"{kind}.id" and op == ">":
            tests.append(lambda i, p, after=int(values[0]): i > after)
        elif name == f"{kind}.id":
            tests.append(lambda i, p, ids=frozenset(map(int, values)): i in ids)
        elif name == f"{kind}.person.id" and kind == "applicantworkflow":
            tests.append(lambda i, p, ids=frozenset(map(int, values)):
                         p is not None and _link_id(p.get("associatedprofile")) in ids)
        else:
            raise ValueError(f"unsupported filter {name} {op}")
    return lambda i, p: all(t(i, p) for t in tests)


def _within(profile: dict[str, Any], low: datetime | None, high: datetime | None) -> bool:
    updated = _parse(profile.get("updateddate") or "")
    if updated is None:
        return False
    return (low is None or updated >= low) and (high is None or updated <= high)


def _profile(cid: str, kind: str, pid: int) -> Response:
    state = _state()
    if kind not in KINDS:
        return _error(404, 2, "Not found.")
    if pid in state.dataset["secured"].get(kind, ()):
        return _error(404, 3, f"Access to this {NAMES[kind]} profile is denied.")
    profile = state.dataset[kind].get(pid)
    if profile is None:
        return _error(404, 2, f"{NAMES[kind]} not found.")
    return jsonify(profile)


def _resume(cid: str, pid: int) -> Response:
    state = _state()
    if pid not in state.dataset["people"]:
        return _error(404, 2, "Person not found.")
    resume = state.dataset["resumes"].get(pid)
    if resume is None:  # no resume: iCIMS answers JSON (body unconfirmed)
        return jsonify({})
    response = Response(resume["data"], mimetype=resume["content_type"])
    if resume.get("filename"):
        response.headers["Content-Disposition"] = _disposition(resume["filename"])
    return response


def _disposition(filename: str) -> str:
    """``attachment`` with the name; a non-ASCII one also as RFC 6266 ``filename*`` (header
    values are Latin-1 on the wire), with an ASCII fallback."""
    fallback = filename.encode("ascii", "replace").decode().replace('"', "'")
    if fallback == filename:
        return f'attachment; filename="{filename}"'
    return f'attachment; filename="{fallback}"; filename*=UTF-8\'\'{quote(filename)}'


def _parse(value: str) -> datetime | None:
    text = " ".join(str(value).split())
    if text.upper().startswith("{DATE:END}"):
        return None
    return datetime.strptime(text, DATETIME_FORMAT).replace(tzinfo=timezone.utc)


def _link_id(link: Any) -> int | None:
    return int(link["id"]) if isinstance(link, dict) and link.get("id") is not None else None


def _fault_response(fault: Fault) -> Response:
    response = _error(fault.status, 0, fault.message)
    if fault.retry_after is not None:
        response.headers["Retry-After"] = str(fault.retry_after)
    return response


def _error(status: int, code: int, message: str) -> Response:
    response = jsonify(errors=[{"errorMessage": message, "errorCode": code}])
    response.status_code = status
    response.headers["X-Error"] = f"{code}:{message}"
    return response


# ---------------------------------------------------------------------- datasets

DATA_PACKAGE = "rediscover.fakeats"
DATA_DIR = "data/icims"


def load_fixture_dataset(*, unreadable: bool = True) -> dict[str, Any]:
    """The bundled iCIMS sample (``data/icims``) as a dataset.

    ``unreadable``: keep what a search lists but a GET refuses (the secured person 2051 and
    their workflow, the 996 padding ids of search page 1); without them every profile reads.
    """
    folder = resources.files(DATA_PACKAGE).joinpath(DATA_DIR)
    data: dict[str, Any] = {"people": {}, "jobs": {}, "applicantworkflows": {},
                            "secured": {}, "padding": [], "resumes": {}}
    http = json.loads(folder.joinpath("_http/pagination.json").read_text(encoding="utf-8"))
    listed: set[int] = set()
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        name = entry.name
        if not name.endswith(".json"):
            continue
        body = json.loads(entry.read_text(encoding="utf-8"))
        stem = name[:-len(".json")]
        if stem.startswith("search_people"):
            listed |= {row["id"] for row in body["searchResults"]}
            continue
        if stem.startswith("search_"):
            continue
        kind, _, pid = stem.rpartition("_")
        if "errors" in body:
            data["secured"].setdefault(kind, []).append(int(pid))
        else:
            data[kind][int(pid)] = body
    for entry in folder.joinpath("files").iterdir():
        headers = http[f"files/{entry.name}"]["headers"]
        pid = int(entry.name.split("_")[1])
        disposition = headers.get("Content-Disposition", "")
        data["resumes"][pid] = {
            "data": entry.read_bytes(), "content_type": headers["Content-Type"],
            "filename": disposition.partition('filename="')[2].rstrip('"') or None}
    secured = {i for ids in data["secured"].values() for i in ids}
    data["padding"] = sorted(listed - set(data["people"]) - secured)
    if not unreadable:
        hidden = set(data["secured"].get("people", ()))
        data["applicantworkflows"] = {
            w: p for w, p in data["applicantworkflows"].items()
            if _link_id(p.get("associatedprofile")) not in hidden}
        data["secured"], data["padding"] = {}, []
    return data


# Generated histories end here, before the sync tests' clock starts (2024-06-01).
GENERATED_NOW = datetime(2024, 5, 1, tzinfo=timezone.utc)


def generate_dataset(people: int, *, seed: int = 7,
                     now: datetime = GENERATED_NOW) -> dict[str, Any]:
    """A rendered logical dataset cut to ``people`` people (for sync tests)."""
    from rediscover.fakeats.dataset import generate
    from rediscover.fakeats.icims_render import render_icims

    # Private and prospect-only people are not rendered: ask for more, keep the first n.
    rendered = render_icims(generate(people + 15, seed=seed, now=now))
    kept = set(sorted(rendered["people"])[:people])
    rendered["people"] = {k: v for k, v in rendered["people"].items() if k in kept}
    rendered["resumes"] = {k: v for k, v in rendered["resumes"].items() if k in kept}
    rendered["applicantworkflows"] = {
        w: p for w, p in rendered["applicantworkflows"].items()
        if _link_id(p.get("associatedprofile")) in kept}
    return rendered
