"""Search documents straight from a generated ``fakeats`` dataset (no store, no sync).

The equality test indexes the *same* documents into the embedded and the Elasticsearch
backends, so what it compares is the backends and their compilers, nothing upstream. Each
logical person is one person; the population rules (private, hired, prospect-only people
get no document) follow DESIGN.md like the real document builder does.
"""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator

from rediscover.core.milestones import RANK
from rediscover.fakeats.dataset import (
    Dataset,
    LogicalApplication,
    LogicalPerson,
    LogicalScorecard,
)
from rediscover.indexer.documents import ApplicationDoc, PersonDocument
from rediscover.indexer.text import normalize_email, normalize_label

CONNECTION_ID = 1
POSITIVE = ("yes", "strong_yes")
NEGATIVE = ("no", "strong_no")


def access_token(user_id: int) -> str:
    """The viewer token of an ATS user of the dataset's one connection."""
    return f"{CONNECTION_ID}:{user_id}"


class _Index:
    """The dataset's lists grouped by owner, so building a document is a few lookups."""

    def __init__(self, ds: Dataset) -> None:
        self.ds = ds
        self.apps: dict[int, list[LogicalApplication]] = defaultdict(list)
        self.person_texts: dict[int, list[str]] = defaultdict(list)
        self.app_texts: dict[int, list[str]] = defaultdict(list)
        self.cards: dict[int, list[LogicalScorecard]] = defaultdict(list)
        self.reasons = {r.id: r for r in ds.rejection_reasons}
        self.sources = {s.id: s for s in ds.sources}
        for app in ds.applications:
            self.apps[app.person_id].append(app)
        for r in ds.resumes:
            if r.application_id is None:
                self.person_texts[r.person_id].append(r.text)
            else:
                self.app_texts[r.application_id].append(r.text)
        for card in ds.scorecards:
            self.cards[card.application_id].append(card)


def iter_dataset_documents(ds: Dataset, team_id: int = 1) -> Iterator[PersonDocument]:
    """One ``PersonDocument`` per searchable person of ``ds``."""
    index = _Index(ds)
    for person in ds.people:
        doc = _person(index, person, team_id)
        if doc is not None:
            yield doc


def _person(index: _Index, person: LogicalPerson, team_id: int) -> PersonDocument | None:
    real = [a for a in index.apps[person.id] if not a.prospect and a.job_id is not None]
    if person.private or not real or any(a.status == "hired" for a in real):
        return None
    texts = index.person_texts[person.id]
    return PersonDocument(
        person_id=person.id,
        team_id=team_id,
        name=person.name,
        title=person.title,
        company=person.company,
        emails=[normalize_email(e.value) for e in person.emails],
        tags=list(person.tags),
        tag_keys=[normalize_label(t) for t in person.tags],
        location=person.city or None,
        origins=["dataset"],
        has_open=any(a.status == "open" for a in real),
        resume_text="\n".join(texts),
        applications=[_application(index, a) for a in real],
    )


def _application(index: _Index, app: LogicalApplication) -> ApplicationDoc:
    job = index.ds.job(app.job_id)
    furthest = max(app.visits, key=lambda v: v.stage_id % 1000, default=None)
    stage = index.ds.stage(furthest.stage_id) if furthest else None
    reason = index.reasons.get(app.rejection_reason_id)
    source = index.sources.get(app.source_id)
    doc = ApplicationDoc(
        application_id=app.id,
        connection_id=CONNECTION_ID,
        job_id=job.id,
        job_title=job.title,
        status="open" if app.status == "open" else "closed",
        confidential=job.confidential,
        access=[access_token(u) for u in job.team_ids],
        requisition_id=job.requisition_id,
        stage_name=stage.name if stage else None,
        milestone=stage.milestone if stage else None,
        milestone_rank=RANK[stage.milestone] if stage else 0,
        rejection_reason=reason.name if reason else None,
        rejection_reason_key=normalize_label(reason.name) if reason else None,
        rejection_type=reason.type if reason else None,
        sources=[source.name] if source else [],
        source_keys=[normalize_label(source.name)] if source else [],
        applied_at=app.created_at,
        rejected_at=app.rejected_at,
        last_activity_at=app.last_activity_at,
        resume_text="\n".join(index.app_texts[app.id]),
    )
    for card in index.cards[app.id]:
        if card.status != "complete":
            doc.pending += 1
        elif card.rating in POSITIVE:
            doc.positive += 1
            doc.strong_yes += card.rating == "strong_yes"
        elif card.rating in NEGATIVE:
            doc.negative += 1
            doc.strong_no += card.rating == "strong_no"
    return doc
