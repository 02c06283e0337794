"""Ranking knobs shared by the compilers: per-field boosts for keyword relevance."""
from __future__ import annotations

# A hit in the name says more than one in a resume; job titles are what people applied to.
PERSON_FIELD_BOOSTS: dict[str, float] = {
    "name": 10.0,
    "title": 4.0,
    "company": 3.0,
    "tags": 4.0,
    "resume_text": 1.0,
}
APPLICATION_FIELD_BOOSTS: dict[str, float] = {"job_title": 3.0, "resume_text": 1.0}
