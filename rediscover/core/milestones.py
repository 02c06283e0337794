"""Milestones: the shared, ordered scale of how far an application got.

Every ATS stage maps to one milestone. Defaults come from the stage's name and never go down
along the ATS's own stage order; an admin can edit the map per connection.
"""
from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

MILESTONES: tuple[str, ...] = (
    "application_review",
    "recruiter_screen",
    "hiring_manager_screen",
    "assessment",
    "onsite",
    "offer",
)
RANK: dict[str, int] = {m: i + 1 for i, m in enumerate(MILESTONES)}
LABELS: dict[str, str] = {
    "application_review": "Application review",
    "recruiter_screen": "Recruiter screen",
    "hiring_manager_screen": "Hiring manager screen",
    "assessment": "Assessment",
    "onsite": "Onsite",
    "offer": "Offer",
}

# Checked in order; the first pattern that matches a stage name wins. Later milestones come
# first so "Final Round (Onsite)" is onsite, and "Offer Call" is offer, not a screen.
NAME_RULES: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("offer", re.compile(r"\boffer|\bcontract\b|\bhired?\b")),
    (
        "onsite",
        re.compile(
            r"on[\s-]?site|final|panel|face[\s-]?to[\s-]?face|in[\s-]?person|super[\s-]?day"
            r"|\bloop\b|reference|background|executive"
        ),
    ),
    (
        "assessment",
        re.compile(
            r"assess|take[\s-]?home|\btest\b|exercise|challenge|case study|assignment|coding"
            r"|homework|work sample|skills? check|portfolio review"
        ),
    ),
    (
        "hiring_manager_screen",
        re.compile(r"hiring manager|\bhm\b|manager (screen|interview|call)|technical|tech screen"),
    ),
    (
        "recruiter_screen",
        re.compile(r"recruiter|phone|screen|intro|call|talent|\bhr\b|interview"),
    ),
    (
        "application_review",
        re.compile(r"review|applied|application|new\b|lead|inbox|sourced|resume|cv\b|submitted"),
    ),
)


def parse_milestone(value: str) -> str:
    """Return ``value`` as a milestone name or raise ``ValueError`` naming the known ones."""
    key = value.strip().lower().replace("-", "_").replace(" ", "_")
    if key not in RANK:
        raise ValueError(f"Unknown milestone {value!r}; expected one of {', '.join(MILESTONES)}.")
    return key


def milestone_from_name(name: str) -> str | None:
    """The milestone a stage name suggests, or None when the name says nothing."""
    text = " ".join(name.lower().split())
    for milestone, pattern in NAME_RULES:
        if pattern.search(text):
            return milestone
    return None


@dataclass(frozen=True)
class StageSpec:
    """What default mapping needs of a stage: its name, its order, an admin override."""

    name: str
    sort_order: int
    override: str | None = None


def default_milestones(stages: Sequence[StageSpec]) -> list[str]:
    """Map stages (of one job/plan) to milestones that never go down along their order.

    A stage whose name says nothing inherits the previous stage's milestone (the first one
    falls back to ``application_review``); an admin override is taken as is and raises the
    floor for the stages after it.
    """
    order = sorted(range(len(stages)), key=lambda i: (stages[i].sort_order, i))
    result: list[str] = [""] * len(stages)
    floor = 0
    for i in order:
        spec = stages[i]
        if spec.override:
            chosen = spec.override
        else:
            guess = milestone_from_name(spec.name)
            rank = max(RANK[guess] if guess else floor or 1, floor or 1)
            chosen = MILESTONES[rank - 1]
        result[i] = chosen
        floor = max(floor, RANK[chosen])
    return result


def furthest(milestones: Iterable[str | None]) -> str | None:
    """The furthest of some milestones (None when there is none)."""
    best = max((RANK[m] for m in milestones if m), default=0)
    return MILESTONES[best - 1] if best else None
