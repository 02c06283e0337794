"""Ranking knobs and the best-match arithmetic shared by both compilers.

Keyword relevance (``sort=relevance``) uses per-field boosts and each backend's BM25, so it is
close but not identical across backends. **Best match** (the default order) is defined here in
whole points, so both backends compute exactly the same score:

    score = keyword + max over the person's seen applications of
            (milestone + consensus + reason + evaluations + recency)

- keyword: ``weights.keyword`` split evenly over the query's positive terms, for each one the
  person matches (no query: 0).
- milestone: 0 for application review up to ``weights.milestone`` for offer, by rank.
- consensus: ``weights.consensus`` x the positive share of submitted cards (in tenths), plus
  ``strong_yes`` per strong-yes card, minus ``strong_no`` per strong-no card (each capped at
  ``CARD_CAP`` cards).
- reason: ``+safe_reason`` for a shared reason safe to re-engage, ``-unsafe_reason`` for an
  unsafe one, 0 for ``other`` or no reason.
- evaluations: ``assessment`` x the best completed assessment's score share (in tenths), plus
  ``video_interview`` and ``references`` when those are completed.
- recency (as of ``now``, the start of the search's UTC day): ``-cool_off`` while the last
  activity is under ``cool_off_days`` old (too soon to re-contact); then ``recency`` points,
  losing one every ``decay_days / recency`` days down to 0; no activity date: 0.

Each compiler turns the tables below into its own form (SQL ``CASE``; Elasticsearch
``constant_score`` clauses, whose boosts must not be negative, so penalties there are written
as bonuses for their absence and ``offset`` subtracts them again).
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields
from datetime import datetime, timedelta
from typing import Any

from rediscover.core.milestones import LABELS as MILESTONE_LABELS
from rediscover.core.milestones import MILESTONES
from rediscover.mappings.reasons import LABELS as REASON_LABELS
from rediscover.mappings.reasons import SAFE, UNSAFE

# A hit in the name says more than one in a resume; job titles are what people applied to.
PERSON_FIELD_BOOSTS: dict[str, float] = {
    "name": 10.0,
    "title": 4.0,
    "company": 3.0,
    "tags": 4.0,
    "resume_text": 1.0,
}
APPLICATION_FIELD_BOOSTS: dict[str, float] = {"job_title": 3.0, "resume_text": 1.0}

CARD_CAP = 2  # strong-yes / strong-no cards that count; a third says little more
FACTORS = ("keyword", "milestone", "consensus", "reason", "evaluations", "recency")
TENTHS = range(11)


@dataclass(frozen=True)
class RankingWeights:
    """Best-match weights in whole points (configuration: ``REDISCOVER_RANKING_<NAME>``)."""

    keyword: int = 40
    milestone: int = 50
    consensus: int = 30
    strong_yes: int = 6
    strong_no: int = 25
    safe_reason: int = 20
    unsafe_reason: int = 30
    assessment: int = 15
    video_interview: int = 5
    references: int = 5
    recency: int = 20
    cool_off: int = 40
    cool_off_days: int = 90
    decay_days: int = 1080

    @classmethod
    def from_mapping(cls, values: Mapping[str, Any]) -> RankingWeights:
        """Weights from ``{name: points}``; unknown names, negative or non-integer values fail."""
        known = {f.name for f in fields(cls)}
        out: dict[str, int] = {}
        for name, value in values.items():
            key = name.lower()
            if key not in known:
                raise ValueError(f"Unknown ranking weight {name!r}.")
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise ValueError(f"Ranking weight {name!r} must be a whole number >= 0.")
            out[key] = value
        return cls(**out)

    # ----------------------------------------------------------------- tables

    def milestone_points(self) -> dict[int, int]:
        """Milestone rank (1 = application review … 6 = offer) -> points."""
        top = len(MILESTONES) - 1
        return {rank: self.milestone * (rank - 1) // top for rank in range(1, top + 2)}

    def tenths_points(self, weight: int) -> dict[int, int]:
        """A share in tenths (0..10) -> points out of ``weight``."""
        return {t: weight * t // 10 for t in TENTHS}

    def decay_step(self) -> timedelta:
        """How long it takes to lose one recency point after the cool-off."""
        return timedelta(seconds=self.decay_days * 86400 // max(self.recency, 1))

    def recency_bounds(self, now: datetime) -> tuple[datetime, list[datetime]]:
        """(cool-off end, thresholds): last activity at or before the first is past the cool-off,
        and each threshold it is at or after is worth one point."""
        cool = now - timedelta(days=self.cool_off_days)
        step = self.decay_step()
        return cool, [cool - step * k for k in range(1, self.recency + 1)]

    def offset(self) -> int:
        """What the Elasticsearch encoding adds to every application (see the module doc)."""
        return CARD_CAP * self.strong_no + self.unsafe_reason + self.cool_off

    def keyword_points(self, positive_terms: int) -> int:
        """Points for each positive query term a person matches."""
        return self.keyword // positive_terms if positive_terms else 0


def application_points(app: Mapping[str, Any], w: RankingWeights, now: datetime) -> dict[str, int]:
    """One application's points per factor (every factor but keyword), as both compilers count."""
    rank = app.get("milestone_rank") or 0
    consensus = 0
    if app.get("ratio_tenths") is not None:
        consensus = w.tenths_points(w.consensus)[app["ratio_tenths"]]
    consensus += min(app.get("strong_yes") or 0, CARD_CAP) * w.strong_yes
    consensus -= min(app.get("strong_no") or 0, CARD_CAP) * w.strong_no
    evaluations = 0
    if app.get("assessment_tenths") is not None:
        evaluations = w.tenths_points(w.assessment)[app["assessment_tenths"]]
    evaluations += w.video_interview if app.get("video_completed") else 0
    evaluations += w.references if app.get("references_completed") else 0
    return {
        "milestone": w.milestone_points().get(rank, 0),
        "consensus": consensus,
        "reason": reason_points(app.get("reason_category"), w),
        "evaluations": evaluations,
        "recency": recency_points(app.get("last_activity_at"), w, now),
    }


def reason_points(category: str | None, w: RankingWeights) -> int:
    """Safe to re-engage: a bonus; unsafe: a penalty; ``other`` or none: nothing."""
    if category in SAFE:
        return w.safe_reason
    return -w.unsafe_reason if category in UNSAFE else 0


def recency_points(last_activity: datetime | None, w: RankingWeights, now: datetime) -> int:
    """Cool-off penalty, then slowly decaying points (see the module doc)."""
    if last_activity is None:
        return 0
    cool, thresholds = w.recency_bounds(now)
    if last_activity > cool:
        return -w.cool_off
    return sum(1 for t in thresholds if last_activity >= t)


def best_application(
    apps: list[Mapping[str, Any]], w: RankingWeights, now: datetime
) -> tuple[Mapping[str, Any] | None, dict[str, int]]:
    """The application that sets a person's score (ties: the higher id) and its points."""
    best, points, key = None, {}, None
    for app in apps:
        p = application_points(app, w, now)
        k = (sum(p.values()), app.get("application_id") or 0)
        if key is None or k > key:
            best, points, key = app, p, k
    return best, points


def explain(app: Mapping[str, Any], points: dict[str, int], keyword: int, now: datetime) -> str:
    """Why this person, in plain words, from the application that set their score."""
    parts = []
    if keyword:
        parts.append("matches your keywords")
    milestone = app.get("milestone")
    if milestone:
        parts.append(f"reached {MILESTONE_LABELS[milestone].lower()} for {app.get('job_title')}")
    parts += _card_words(app)
    category = app.get("reason_category")
    if category:
        safe = "safe to re-engage" if category in SAFE else (
            "not safe to re-engage" if category in UNSAFE else "reason unclear"
        )
        parts.append(f"rejected: {REASON_LABELS[category].lower()} ({safe})")
    parts += _evaluation_words(app)
    parts.append(_recency_words(app.get("last_activity_at"), points.get("recency", 0), now))
    text = "; ".join(p for p in parts if p)
    return (text[:1].upper() + text[1:] + ".") if text else ""


def _card_words(app: Mapping[str, Any]) -> list[str]:
    positive, negative = app.get("positive") or 0, app.get("negative") or 0
    if not positive + negative:
        return []
    words = [f"{positive} of {positive + negative} interviewers positive"]
    if app.get("strong_yes"):
        words.append(f"{app['strong_yes']} strong yes")
    if app.get("strong_no"):
        words.append(f"{app['strong_no']} strong no")
    return [", ".join(words)]


def _evaluation_words(app: Mapping[str, Any]) -> list[str]:
    words = []
    if app.get("assessment_pct") is not None:
        words.append(f"assessment {app['assessment_pct']:g}%")
    if app.get("video_completed"):
        words.append("video interview done")
    if app.get("references_completed"):
        words.append("references done")
    return [", ".join(words)] if words else []


def _recency_words(last_activity: datetime | None, points: int, now: datetime) -> str:
    if last_activity is None:
        return ""
    months = max(int((now - last_activity).days / 30.4), 0)
    ago = f"{months} months ago" if months != 1 else "a month ago"
    if points < 0:
        return f"last in process {ago}: still in the cool-off, too soon to re-contact"
    return f"last in process {ago}"


def describe(
    app: Mapping[str, Any] | None, score: float, w: RankingWeights, now: datetime
) -> tuple[dict[str, int], str]:
    """Per-factor points (summing to ``score``) and the why in words, from the best application."""
    points = application_points(app, w, now) if app else {}
    keyword = round(score) - sum(points.values())
    out = {f: (keyword if f == "keyword" else points.get(f, 0)) for f in FACTORS}
    return out, explain(app or {}, points, keyword, now)
