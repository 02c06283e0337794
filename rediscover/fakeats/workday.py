"""A fake Workday Recruiting server: a small Flask app speaking SOAP (WWS v42.0) over HTTP.

What it does like the real one (per ``shared/ats/workday.md``): one POST endpoint
``/ccx/service/<tenant>/Recruiting/<version>`` taking SOAP 1.1 envelopes; ``Get_Candidates``
with the ``Transaction_Log_Criteria_Data`` window (``Updated_From``/``Updated_Through``),
``Get_Job_Requisitions``, ``Get_Interview_Feedbacks`` by candidate + requisition (refused
with an authorization fault when the ISU lacks the domain); ``Response_Filter`` ``Page``/
``Count`` paging with ``Response_Results``; a validation fault for ``Page`` 0; WS-Security
``UsernameToken`` or OAuth bearer tokens from ``/ccx/oauth2/<tenant>/token``
(``grant_type=refresh_token``). Workday publishes no rate-limit headers: past its budget
this fake answers 429 + ``Retry-After``.

For tests: scriptable faults per SOAP operation (``FaultPlan`` keyed ``Get_Candidates``
etc.): 429, 401, 403 (an authorization SOAP fault), 500 (a processing SOAP fault), 503,
malformed or truncated XML, slow answers; every request recorded with its parameters.
"""
from __future__ import annotations

import copy
import json
import math
import secrets
import threading
import time
import xml.etree.ElementTree as ET
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from importlib import resources
from typing import Any

from flask import Flask, Response, current_app, jsonify, request

from rediscover.fakeats.server import Fault, FaultPlan, RecordedRequest, oauth_error

Clock = Callable[[], float]

WD = "urn:com.workday/bsvc"
SOAP_ENV = "http://schemas.xmlsoap.org/soap/envelope/"
WSSE = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd"
ET.register_namespace("env", SOAP_ENV)
ET.register_namespace("wd", WD)

TENANT = "acme1"
VERSION = "v42.0"
FIXTURE_USERNAME = "ISU_Rediscover@acme1"
FIXTURE_PASSWORD = "rediscover-demo-password"  # a fake server's fake secret
FIXTURE_CLIENT_ID = "rediscover-wd-client"
FIXTURE_CLIENT_SECRET = "rediscover-wd-secret"  # a fake server's fake secret
FIXTURE_REFRESH_TOKEN = "rediscover-wd-refresh"
FIXTURE_UPDATED = datetime(2024, 5, 7, 7, 0, tzinfo=timezone.utc)  # As_Of_Entry of the fixtures
DATA_PACKAGE = "rediscover.fakeats"
DATA_DIR = "data/workday"
REPORT = "CR_Candidate_Step_History"  # the RaaS report's name (customer-defined)
OPERATIONS = ("Get_Candidates", "Get_Job_Requisitions", "Get_Interview_Feedbacks", REPORT)
REPORT_PATH = f"/ccx/service/customreport2/{TENANT}/ISU_Rediscover/{REPORT}"


def _q(tag: str) -> str:
    return f"{{{WD}}}{tag}"


# ---------------------------------------------------------------------- the fake's state


@dataclass
class FakeWorkday:
    """The data and bookkeeping behind one fake server.

    ``candidates``/``requisitions`` hold ``wd:Candidate``/``wd:Job_Requisition`` elements in
    list order; ``updated`` maps each one's WID to its last transaction time; ``feedback``
    maps (candidate WID, requisition WID) to ``wd:Interview_Feedback`` elements.
    """

    candidates: list[ET.Element]
    requisitions: list[ET.Element]
    feedback: dict[tuple[str, str], list[ET.Element]]
    updated: dict[str, datetime]
    faults: FaultPlan
    clock: Clock
    rate_limit: int
    window: float
    count_max: int = 999
    feedback_permitted: bool = True
    step_history: dict[str, Any] = field(default_factory=lambda: {"Report_Entry": []})
    step_history_updated: dict[str, datetime] = field(default_factory=dict)
    username: str = FIXTURE_USERNAME
    password: str = FIXTURE_PASSWORD
    client_id: str = FIXTURE_CLIENT_ID
    client_secret: str = FIXTURE_CLIENT_SECRET
    refresh_token: str = FIXTURE_REFRESH_TOKEN
    token_ttl: float = 3600
    requests: list[RecordedRequest] = field(default_factory=list)
    tokens: dict[str, float] = field(default_factory=dict)
    windows: dict[int, int] = field(default_factory=dict)
    rate_limited: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def api_requests(self, operation: str | None = None) -> list[RecordedRequest]:
        """Recorded SOAP requests (``path`` = the operation), optionally of one operation."""
        return [r for r in self.requests if r.path in OPERATIONS
                and (operation is None or r.path == operation)]

    def touch_candidate(self, wid: str, *, first_name: str = "Renamed") -> None:
        """Change a candidate as Workday would: edit it and log the transaction now."""
        with self.lock:
            cand = self._candidate(wid)
            node = cand.find(f".//{_q('First_Name')}")
            node.text = first_name
            self.updated[wid] = datetime.fromtimestamp(self.clock(), tz=timezone.utc)

    def delete_candidate(self, wid: str) -> None:
        """Remove a candidate (Workday reports no deletions; only a full listing shows it)."""
        with self.lock:
            self.candidates = [c for c in self.candidates if _wid(c, "Candidate_Reference") != wid]

    def deny_feedback(self) -> None:
        """The ISU loses the interview-feedback domain: ``Get_Interview_Feedbacks`` faults."""
        self.feedback_permitted = False

    def _candidate(self, wid: str) -> ET.Element:
        for cand in self.candidates:
            if _wid(cand, "Candidate_Reference") == wid:
                return cand
        raise KeyError(f"candidate {wid} not in the fake's data")


def get_state(app: Flask) -> FakeWorkday:
    """The ``FakeWorkday`` behind an app made by ``create_app``."""
    return app.extensions["fake_workday"]


# ---------------------------------------------------------------------- the app


def create_app(
    dataset: dict[str, Any],
    *,
    rate_limit: int = 1000,
    window: float = 60,
    faults: FaultPlan | None = None,
    clock: Clock | None = None,
    feedback_permitted: bool = True,
) -> Flask:
    """A Flask app serving ``dataset`` (``load_fixture_dataset`` / ``render_workday`` shape)."""
    app = Flask(__name__)
    app.extensions["fake_workday"] = FakeWorkday(
        candidates=[copy.deepcopy(c) for c in dataset["candidates"]],
        requisitions=[copy.deepcopy(r) for r in dataset["requisitions"]],
        feedback={k: [copy.deepcopy(e) for e in v] for k, v in dataset["feedback"].items()},
        updated=dict(dataset["updated"]), faults=faults or FaultPlan(),
        clock=clock or time.time, rate_limit=rate_limit, window=window,
        feedback_permitted=feedback_permitted,
        step_history=copy.deepcopy(dataset.get("step_history") or {"Report_Entry": []}),
        step_history_updated=dict(dataset.get("step_history_updated") or {}))
    app.add_url_rule("/ccx/service/<tenant>/Recruiting/<version>", "soap", _soap,
                     methods=["POST"])
    app.add_url_rule("/ccx/service/customreport2/<tenant>/<owner>/<report>", "raas", _raas)
    app.add_url_rule("/ccx/oauth2/<tenant>/token", "token", _token, methods=["POST"])
    return app


def _state() -> FakeWorkday:
    return get_state(current_app)


def _soap(tenant: str, version: str) -> Response:
    state = _state()
    try:
        call = _read_call(request.get_data())
    except (ET.ParseError, ValueError, IndexError):
        return _record(state, "?", {}, _fault("SOAP-ENV:Client", "Malformed SOAP request", 500))
    fault = state.faults.take(call.operation)
    response = _scripted(fault) if fault is not None else None
    if fault is not None and fault.kind == "slow":
        time.sleep(fault.delay)
    if response is None and not _authorized(state, call.envelope):
        bearer = request.headers.get("Authorization", "").startswith("Bearer ")
        response = _plain(401, "Unauthorized") if bearer else _fault(
            "SOAP-ENV:Client.authenticationError", "Invalid username or password", 500)
    response = response or _spend_budget(state) or _answer(state, call)
    if fault is not None and fault.kind in ("malformed", "truncated") and response.status_code == 200:
        data = response.get_data()
        response.set_data(b"<env:Envelope><env:Body><wd:Get_" if fault.kind == "malformed"
                          else data[: max(1, len(data) // 2)])
    return _record(state, call.operation, call.params, response)


@dataclass
class _Call:
    """One SOAP request: its operation, the parameters we act on and the whole envelope."""

    operation: str
    params: dict[str, list[str]]
    envelope: ET.Element


def _read_call(body: bytes) -> _Call:
    envelope = ET.fromstring(body)
    payload = envelope.find(f"{{{SOAP_ENV}}}Body")[0]
    operation = payload.tag.split("}", 1)[-1].removesuffix("_Request")
    params: dict[str, list[str]] = {}
    for name in ("Page", "Count", "Updated_From", "Updated_Through", "As_Of_Entry_DateTime"):
        value = payload.findtext(f".//{_q(name)}")
        if value is not None:
            params[name] = [value.strip()]
    criteria = payload.find(f".//{_q('Candidate_Interview_Criteria_Data')}")
    if criteria is not None:
        params["Candidate"] = [_wid(criteria, "Candidate_Reference")]
        params["Requisition"] = [_wid(criteria, "Job_Requisition_Reference")]
    return _Call(operation, params, envelope)


def _authorized(state: FakeWorkday, envelope: ET.Element) -> bool:
    header = request.headers.get("Authorization", "")
    if header.startswith("Bearer "):
        with state.lock:
            expires = state.tokens.get(header[len("Bearer "):])
        return expires is not None and state.clock() < expires
    token = envelope.find(f".//{{{WSSE}}}UsernameToken")
    return token is not None and token.findtext(f"{{{WSSE}}}Username") == state.username \
        and token.findtext(f"{{{WSSE}}}Password") == state.password


def _spend_budget(state: FakeWorkday) -> Response | None:
    """Count this request in its fixed window; 429 + ``Retry-After`` once it is spent."""
    now = state.clock()
    index = math.floor(now / state.window)
    with state.lock:
        used = state.windows.get(index, 0)
        if used >= state.rate_limit:
            state.rate_limited += 1
            response = _plain(429, "Too Many Requests")
            response.headers["Retry-After"] = str(max(1, math.ceil((index + 1) * state.window
                                                                   - now)))
            return response
        state.windows[index] = used + 1
    return None


def _answer(state: FakeWorkday, call: _Call) -> Response:
    page = int((call.params.get("Page") or ["1"])[0])
    count = int((call.params.get("Count") or ["100"])[0])
    if page < 1:
        return Response(_fixture_bytes("soap_fault_validation_error.xml"), status=500,
                        mimetype="text/xml")
    if not 1 <= count <= state.count_max:
        return _fault("SOAP-ENV:Client.validationError",
                      f"Validation error occurred. Count must be between 1 and {state.count_max}",
                      500)
    if call.operation == "Get_Interview_Feedbacks" and not state.feedback_permitted:
        return _fault("SOAP-ENV:Client.authorizationError", "The task submitted is not "
                      "authorized.", 500)
    with state.lock:
        items = _select(state, call)
    chunk = items[(page - 1) * count: page * count]
    return _response(call.operation, chunk, page, count, len(items))


def _select(state: FakeWorkday, call: _Call) -> list[ET.Element]:
    if call.operation == "Get_Interview_Feedbacks":
        key = (call.params["Candidate"][0], call.params["Requisition"][0])
        return list(state.feedback.get(key, []))
    rows = state.candidates if call.operation == "Get_Candidates" else state.requisitions
    ref = "Candidate_Reference" if call.operation == "Get_Candidates" else \
        "Job_Requisition_Reference"
    low, high = (call.params.get(k, [None])[0] for k in ("Updated_From", "Updated_Through"))
    if not low:
        return list(rows)
    start, end = _parse_time(low), _parse_time(high) if high else None
    return [r for r in rows if start <= state.updated.get(_wid(r, ref), FIXTURE_UPDATED)
            and (end is None or state.updated.get(_wid(r, ref), FIXTURE_UPDATED) <= end)]


def _response(operation: str, items: list[ET.Element], page: int, count: int,
              total: int) -> Response:
    envelope = ET.Element(f"{{{SOAP_ENV}}}Envelope")
    body = ET.SubElement(envelope, f"{{{SOAP_ENV}}}Body")
    answer = ET.SubElement(body, _q(f"{operation}_Response"), {_q("version"): VERSION})
    results = ET.SubElement(answer, _q("Response_Results"))
    pages = max(1, math.ceil(total / count))
    for name, value in (("Total_Results", total), ("Total_Pages", pages),
                        ("Page_Results", len(items)), ("Page", page)):
        ET.SubElement(results, _q(name)).text = str(value)
    data = ET.SubElement(answer, _q("Response_Data"))
    data.extend(copy.deepcopy(i) for i in items)
    xml = ET.tostring(envelope, encoding="utf-8", xml_declaration=True)
    return Response(xml, status=200, mimetype="text/xml")


def _raas(tenant: str, owner: str, report: str) -> Response:
    """The step-history custom report as RaaS JSON, filtered by its date prompts."""
    state = _state()
    fault = state.faults.take(REPORT)
    response = _scripted(fault) if fault is not None else None
    if response is None and not _report_authorized(state):
        response = _plain(401, "Unauthorized")
    if response is None and request.args.get("format") != "json":
        response = _plain(400, "this fake serves format=json only")
    if response is None:
        low, high = request.args.get("Updated_From"), request.args.get("Updated_Through")
        entries = [e for e in state.step_history.get("Report_Entry", [])
                   if _within_days(state.step_history_updated.get(e.get("Job_Application_ID")),
                                   low, high)]
        response = jsonify(Report_Entry=entries)
    if fault is not None and fault.kind in ("malformed", "truncated"):
        response.set_data(b'{"Report_Entry": [{,')
    return _record(state, REPORT, request.args.to_dict(flat=False), response)


def _report_authorized(state: FakeWorkday) -> bool:
    auth = request.authorization
    if auth is not None and auth.type == "basic":
        return auth.username == state.username and auth.password == state.password
    header = request.headers.get("Authorization", "")
    with state.lock:
        expires = state.tokens.get(header.removeprefix("Bearer "))
    return expires is not None and state.clock() < expires


def _within_days(moment: datetime | None, low: str | None, high: str | None) -> bool:
    day = (moment or FIXTURE_UPDATED).date().isoformat()
    return (not low or day >= low[:10]) and (not high or day <= high[:10])


def _token(tenant: str) -> Response:
    """OAuth 2.0 refresh-token grant (Workday's "API Client for Integrations")."""
    state = _state()
    fault = state.faults.take("token")
    if fault is not None and fault.kind == "status":
        return _plain(fault.status, fault.message)
    auth = request.authorization
    if auth is None or auth.username != state.client_id or auth.password != state.client_secret:
        return oauth_error(401, "invalid_client")
    if request.form.get("grant_type") != "refresh_token":
        return oauth_error(400, "unsupported_grant_type")
    if request.form.get("refresh_token") != state.refresh_token:
        return oauth_error(400, "invalid_grant")
    token = secrets.token_hex(16)
    with state.lock:
        state.tokens[token] = state.clock() + state.token_ttl
        state.requests.append(RecordedRequest(method="POST", path="token", query={},
                                              query_string="", headers={}, status=200))
    return jsonify(access_token=token, token_type="Bearer", expires_in=int(state.token_ttl))


# ---------------------------------------------------------------------- answers


def _scripted(fault: Fault) -> Response | None:
    if fault.kind != "status":
        return None
    if fault.status == 429:
        response = _plain(429, fault.message)
        if fault.retry_after is not None:
            response.headers["Retry-After"] = str(fault.retry_after)
        return response
    if fault.status == 401:
        return _plain(401, "Unauthorized")
    if fault.status == 403:
        return _fault("SOAP-ENV:Client.authorizationError", "The task submitted is not "
                      "authorized.", 500)
    if fault.status == 500:
        return _fault("SOAP-ENV:Server.processingFault", "Processing error occurred.", 500)
    if fault.status == 422:
        return _fault("SOAP-ENV:Client.validationError", fault.message, 500)
    return _plain(fault.status, fault.message)


def _fault(code: str, text: str, status: int) -> Response:
    envelope = ET.Element(f"{{{SOAP_ENV}}}Envelope")
    fault = ET.SubElement(ET.SubElement(envelope, f"{{{SOAP_ENV}}}Body"), f"{{{SOAP_ENV}}}Fault")
    ET.SubElement(fault, "faultcode").text = code
    ET.SubElement(fault, "faultstring").text = text
    return Response(ET.tostring(envelope, encoding="utf-8", xml_declaration=True),
                    status=status, mimetype="text/xml")


def _plain(status: int, text: str) -> Response:
    return Response(text, status=status, mimetype="text/plain")


def _record(state: FakeWorkday, operation: str, params: dict[str, list[str]],
            response: Response) -> Response:
    with state.lock:
        state.requests.append(RecordedRequest(
            method="POST", path=operation, query=params, query_string="",
            headers=dict(request.headers), status=response.status_code))
    return response


def _wid(parent: ET.Element, reference: str) -> str:
    ref = parent.find(_q(reference))
    for node in ref.findall(_q("ID")) if ref is not None else ():
        if node.get(_q("type")) == "WID":
            return (node.text or "").strip()
    return ""


def _parse_time(value: str) -> datetime:
    parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)


# ---------------------------------------------------------------------- datasets


def _fixture_bytes(name: str) -> bytes:
    return resources.files(DATA_PACKAGE).joinpath(DATA_DIR, name).read_bytes()


def _response_items(name: str) -> list[ET.Element]:
    root = ET.fromstring(_fixture_bytes(name))
    data = root.find(f".//{_q('Response_Data')}")
    return list(data) if data is not None else []


def load_fixture_dataset() -> dict[str, Any]:
    """The bundled v42.0 sample (``data/workday``) as a dataset the fake server serves."""
    folder = resources.files(DATA_PACKAGE).joinpath(DATA_DIR)
    names = sorted(e.name for e in folder.iterdir())
    candidates = [c for n in names if n.startswith("get_candidates_page")
                  for c in _response_items(n)]
    feedback: dict[tuple[str, str], list[ET.Element]] = {}
    for name in (n for n in names if n.startswith("get_interview_feedbacks_")):
        for item in _response_items(name):
            criteria = item.find(f".//{_q('Candidate_Interview_Criteria_Data')}")
            key = (_wid(criteria, "Candidate_Reference"), _wid(criteria, "Job_Requisition_Reference"))
            feedback.setdefault(key, []).append(item)
    report = json.loads(_fixture_bytes("raas_candidate_step_history.json"))
    return {"candidates": candidates, "requisitions": _response_items(
        "get_job_requisitions_page1.xml"), "feedback": feedback, "updated": {},
        "step_history": report, "step_history_updated": {}}


def candidate_wids(dataset: dict[str, Any]) -> set[str]:
    """The WIDs of a dataset's candidates."""
    return {_wid(c, "Candidate_Reference") for c in dataset["candidates"]}
