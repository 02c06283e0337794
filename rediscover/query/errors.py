"""Errors of the query layer; the web layer turns them into 400 / 503 JSON."""
from __future__ import annotations


class QueryError(Exception):
    """Root of the query layer's errors."""


class InvalidQuery(QueryError):
    """Bad input: a filter, the keyword syntax or a cursor. Always names the field."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class SearchUnavailable(QueryError):
    """The search backend cannot answer now (cluster down, index missing)."""
