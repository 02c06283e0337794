"""The search backend interface: store person documents, execute compiled searches.

Backends own storage and I/O only. What a search *means* lives in ``rediscover.query``: for
each backend ``kind`` the query layer has a compiler that turns a ``SearchRequest`` into
something this backend's ``execute`` runs (SQL for SQLite, a search body for
Elasticsearch), and reads the raw answer back into rows. Every backend passes the same
contract suite (``tests/query/test_contract.py``).
"""
from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, ClassVar

from rediscover.indexer.documents import PersonDocument


@dataclass
class BulkResult:
    """What a bulk write did: documents written and deleted, and those that failed, by person."""

    indexed: int = 0
    deleted: int = 0
    failed: dict[int, str] = field(default_factory=dict)  # person id -> reason (no PII)

    def merge(self, other: BulkResult) -> BulkResult:
        """Add another result's counts into this one (returns self)."""
        self.indexed += other.indexed
        self.deleted += other.deleted
        self.failed.update(other.failed)
        return self


class SearchBackend(ABC):
    """A search index of ``PersonDocument``s (one per person, applications nested)."""

    #: which compiler in ``rediscover.query`` speaks to this backend ("sqlite", "elasticsearch")
    kind: ClassVar[str]

    @property
    @abstractmethod
    def name(self) -> str:
        """A stable name for this index; keys its ``IndexCursor`` in the store."""

    @abstractmethod
    def setup(self) -> None:
        """Create the index if it does not exist (idempotent); never drops data."""

    @abstractmethod
    def upsert(self, docs: Iterable[PersonDocument]) -> BulkResult:
        """Insert or replace the documents of these people (batched; failures are reported)."""

    @abstractmethod
    def delete(self, person_ids: Iterable[int]) -> BulkResult:
        """Remove these people's documents; unknown ids are not an error."""

    @abstractmethod
    def rebuild(self, docs: Iterable[PersonDocument]) -> BulkResult:
        """Replace the whole index with ``docs``: build aside, then swap in one step.

        Searches keep seeing the old index until the swap; if loading fails, the new one
        is dropped and the error re-raised.
        """

    @abstractmethod
    def count(self) -> int:
        """How many person documents the index holds."""

    @abstractmethod
    def execute(self, compiled: Any) -> Any:
        """Run what this kind's query compiler produced and return its raw answer.

        Raises ``BackendUnavailableError`` when the index cannot be reached or is missing.
        """

    def close(self) -> None:
        """Release clients and connections (no-op by default)."""
