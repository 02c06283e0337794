"""Batching for bulk work: id lists sized for ``IN (...)`` and bulk writes."""
from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import TypeVar

T = TypeVar("T")
CHUNK = 500  # ids per IN (...) list: well under every driver's parameter limit


def chunked(values: Iterable[T], size: int = CHUNK) -> Iterator[list[T]]:
    """Yield lists of at most ``size`` values, in order."""
    batch: list[T] = []
    for value in values:
        batch.append(value)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch
