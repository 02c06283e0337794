"""JSON errors for ``/api/v1``: ``{"error": {"code", "message", "field"?}}``, never a 500 for bad input."""
from __future__ import annotations

import logging

from flask import Flask, jsonify, request
from werkzeug.exceptions import HTTPException

from rediscover.query.errors import InvalidQuery, SearchUnavailable

log = logging.getLogger(__name__)


class ApiError(Exception):
    """An error the API answers with a stable code, a message and (for bad input) the field."""

    def __init__(self, code: str, message: str, status: int = 400, field: str | None = None):
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status
        self.field = field


def error_response(code: str, message: str, status: int, field: str | None = None):
    """The one JSON error shape."""
    body: dict = {"code": code, "message": message}
    if field is not None:
        body["field"] = field
    return jsonify({"error": body}), status


def _wants_json() -> bool:
    return request.path.startswith("/api/") or request.accept_mimetypes.best == "application/json"


def register_error_handlers(app: Flask) -> None:
    """Install the handlers on ``app`` (API paths get JSON; pages keep HTML)."""

    @app.errorhandler(ApiError)
    def _api_error(exc: ApiError):
        return error_response(exc.code, exc.message, exc.status, exc.field)

    @app.errorhandler(InvalidQuery)
    def _invalid_query(exc: InvalidQuery):
        codes = {None: "invalid_request", "query": "invalid_query", "cursor": "invalid_cursor"}
        code = codes.get(exc.field, "invalid_filter")
        return error_response(code, exc.message, 400, exc.field)

    @app.errorhandler(SearchUnavailable)
    def _unavailable(exc: SearchUnavailable):
        log.warning("search unavailable", extra={"reason": str(exc)})
        return error_response(
            "search_unavailable", "Search is unavailable right now; try again shortly.", 503
        )

    @app.errorhandler(HTTPException)
    def _http(exc: HTTPException):
        if not _wants_json():
            return exc
        code = (exc.name or "error").lower().replace(" ", "_")
        return error_response(code, exc.description or exc.name, exc.code or 500)

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception):
        log.exception("unhandled error", extra={"path": request.path})
        return error_response("internal_error", "Something went wrong on our side.", 500)
