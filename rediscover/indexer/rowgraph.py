"""Load people and everything hanging off them as plain row objects, fast.

Building documents for a whole index through the ORM spends most of its time hydrating
instances and wiring relationships (profiled: ~80 % of a rebuild). This loader reads the same
tables with Core ``SELECT``s — one per table per batch — and wires plain objects with the
attribute names of the ORM models, so ``build.person_document`` works on either unchanged.
Every column of a model comes along automatically; relationships are declared in
``RELATIONS``. Read-only: these objects are never flushed.
"""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from rediscover.core import models as m
from rediscover.indexer.batches import chunked


@dataclass(frozen=True)
class Relation:
    """``parent.attr`` is the ``child`` rows whose ``key`` column equals ``parent.id``
    (one-to-many), or the ``child`` row whose id is ``parent.<key>`` (many-to-one)."""

    parent: type
    attr: str
    child: type
    key: str
    many: bool


# Parents before children: each relation's child ids come from rows loaded before it.
RELATIONS: tuple[Relation, ...] = (
    Relation(m.Person, "candidates", m.Candidate, "person_id", True),
    Relation(m.Candidate, "connection", m.Connection, "connection_id", False),
    Relation(m.Candidate, "emails", m.CandidateEmail, "candidate_id", True),
    Relation(m.Candidate, "phones", m.CandidatePhone, "candidate_id", True),
    Relation(m.Candidate, "tags", m.CandidateTag, "candidate_id", True),
    Relation(m.Candidate, "attachments", m.Attachment, "candidate_id", True),
    Relation(m.Candidate, "applications", m.Application, "candidate_id", True),
    Relation(m.Application, "job", m.Job, "job_id", False),
    Relation(m.Job, "team_members", m.JobTeamMember, "job_id", True),
    Relation(m.Application, "rejection_reason", m.RejectionReason, "rejection_reason_id", False),
    Relation(m.Application, "sources", m.ApplicationSource, "application_id", True),
    Relation(m.ApplicationSource, "source", m.Source, "source_id", False),
    Relation(m.Application, "stage_events", m.StageEvent, "application_id", True),
    Relation(m.Application, "scorecards", m.Scorecard, "application_id", True),
    Relation(m.Application, "evaluations", m.Evaluation, "application_id", True),
    Relation(m.Application, "current_stage", m.Stage, "current_stage_id", False),
    Relation(m.StageEvent, "stage", m.Stage, "stage_id", False),
    Relation(m.Scorecard, "stage", m.Stage, "stage_id", False),
)
IN_CHUNK = 900  # ids per IN (...) list: under SQLite's default 999 bound parameters


class Row:
    """A read-only record with a model's column attributes (and its plain properties)."""

    __slots__ = ("__dict__",)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {getattr(self, 'id', '?')}>"


_ROW_CLASSES: dict[type, type] = {}


def row_class(model: type) -> type:
    """A ``Row`` subclass for ``model`` carrying the model's Python properties (e.g. ``name``)."""
    if model not in _ROW_CLASSES:
        props = {k: v for k, v in vars(model).items() if isinstance(v, property)}
        _ROW_CLASSES[model] = type(f"{model.__name__}Row", (Row,), props)
    return _ROW_CLASSES[model]


def load_people(session: Session, person_ids: Iterable[int]) -> list[Any]:
    """Person rows for ``person_ids`` with every relation in ``RELATIONS`` attached."""
    loaded: dict[type, dict[int, Any]] = {m.Person: _rows_by(session, m.Person, "id", person_ids)}
    for rel in RELATIONS:
        parents = list(loaded.get(rel.parent, {}).values())
        if rel.many:
            children = _rows_by(session, rel.child, rel.key, [p.id for p in parents])
            _attach_many(parents, rel, children.values())
        else:
            wanted = {getattr(p, rel.key) for p in parents} - {None}
            known = loaded.get(rel.child, {})
            children = {**known, **_rows_by(session, rel.child, "id", wanted - known.keys())}
            for parent in parents:
                setattr(parent, rel.attr, children.get(getattr(parent, rel.key)))
        loaded.setdefault(rel.child, {}).update(children)
    return list(loaded[m.Person].values())


def _rows_by(session: Session, model: type, column: str, ids: Iterable[int]) -> dict[int, Any]:
    table, cls = model.__table__, row_class(model)
    key = table.c[column]
    pk = table.primary_key.columns.values()[0].name
    out: dict[Any, Any] = {}
    for chunk in chunked(sorted(set(ids)), IN_CHUNK):
        result = session.execute(select(table).where(key.in_(chunk)))
        names = list(result.keys())
        at = names.index(pk)
        for values in result:  # rows are tuples: no per-row mapping objects
            row = cls()
            row.__dict__.update(zip(names, values))
            out[values[at]] = row
    return out


def _attach_many(parents: list[Any], rel: Relation, children: Iterable[Any]) -> None:
    groups: dict[int, list[Any]] = defaultdict(list)
    for child in children:
        groups[getattr(child, rel.key)].append(child)
    for parent in parents:
        setattr(parent, rel.attr, sorted(groups.get(parent.id, []), key=_order_key))


def _order_key(row: Any) -> tuple:
    # The ORM relationships that declare an order_by (sources by position, stage history by
    # entry time) are matched; everything else keeps primary-key order.
    return (getattr(row, "position", 0), getattr(row, "entered_at", None) is not None,
            getattr(row, "entered_at", None) or 0, getattr(row, "id", 0) or 0)
