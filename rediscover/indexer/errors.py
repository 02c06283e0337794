"""Errors of the indexer and its search backends, named by what the caller does next."""
from __future__ import annotations


class IndexerError(Exception):
    """Root of the indexer's errors."""


class BackendUnavailableError(IndexerError):
    """The search backend cannot answer now (cluster down, index missing): retry later.

    The query layer turns it into ``SearchUnavailable`` (HTTP 503).
    """


class IndexSchemaError(IndexerError):
    """The stored index has another schema version than this code: run a full rebuild."""


class UnknownRecordError(IndexerError):
    """An admin operation named a candidate record or person that does not exist."""
