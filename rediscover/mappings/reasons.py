"""The shared rejection-reason taxonomy and its default rules (declarations only).

Every ATS rejection / archive / disposition reason maps to one shared reason. The default comes
from the reason's name (first matching rule below), else from the ATS's reason type
(Greenhouse ``THEY_REJECTED_US`` -> ``candidate_withdrew``), else ``other``. An admin's edit
per connection (``rejection_reasons.category`` with ``category_source = "admin"``) always wins.
"""
from __future__ import annotations

import re

# Shared reason -> safe to re-engage? "Safe" means the rejection said nothing against the
# person: someone else got the job, the job went away, or the timing / money did not fit.
SHARED_REASONS: dict[str, bool] = {
    "other_candidate_hired": True,
    "position_closed": True,
    "candidate_withdrew": True,
    "timing": True,
    "compensation": True,
    "skills_gap": False,
    "culture_or_conduct": False,
    "failed_check": False,
    "unresponsive": False,
    "other": False,
}
LABELS: dict[str, str] = {
    "other_candidate_hired": "Another candidate was hired",
    "position_closed": "The position closed",
    "candidate_withdrew": "The candidate withdrew",
    "timing": "Timing",
    "compensation": "Compensation",
    "skills_gap": "Skills gap",
    "culture_or_conduct": "Culture or conduct",
    "failed_check": "Failed a check",
    "unresponsive": "Unresponsive",
    "other": "Other",
}
# "other" says nothing either way: ranking neither rewards nor penalises it.
NEUTRAL = "other"
SAFE = tuple(r for r, safe in SHARED_REASONS.items() if safe)
UNSAFE = tuple(r for r, safe in SHARED_REASONS.items() if not safe and r != NEUTRAL)

# Checked in order on the casefolded name; the first match wins. "Hired" rules come first so
# "Position filled by another candidate" is other_candidate_hired, not position_closed;
# withdrawal phrases before compensation so "Accepted another offer" is a withdrawal.
NAME_RULES: tuple[tuple[str, re.Pattern[str]], ...] = (
    (
        "other_candidate_hired",
        re.compile(r"(other|another|different) (candidate|applicant|person)|hired|\bfilled\b"),
    ),
    (
        "candidate_withdrew",
        re.compile(
            r"withdr[ae]w|accepted (another|other|an other)|declined|not interested|took another"
            r"|went with another|chose another|candidate (rejected|decline)|no longer interested"
        ),
    ),
    (
        "position_closed",
        re.compile(
            r"(position|job|role|req(uisition)?|opening|headcount|vacancy)\b.*\b(closed|cancel|"
            r"on hold|frozen|eliminated|filled)|cancel+ed|hiring freeze|budget|\bon hold\b"
        ),
    ),
    (
        "timing",
        re.compile(r"timing|timeline|start date|notice period|not (the )?right time|future"),
    ),
    ("compensation", re.compile(r"compensation|salary|\bpay\b|\bcomp\b|expectations?|equity")),
    (
        "failed_check",
        re.compile(
            r"background|reference check|references|drug|screening fail|failed check|visa"
            r"|work authori[sz]ation|eligib|security concern|right to work"
        ),
    ),
    (
        "culture_or_conduct",
        re.compile(r"culture|conduct|behavio|values|professionalism|attitude|integrity|fit\b"),
    ),
    (
        "unresponsive",
        re.compile(r"unresponsive|no response|did not respond|no[ -]show|ghost|not responding"),
    ),
    (
        "skills_gap",
        re.compile(
            r"skill|qualif|experience|technical|knowledge|not (a )?strong|under ?qualified"
            r"|over ?qualified|assessment|interview performance|did not pass|failed"
        ),
    ),
)
# The ATS's own reason type, when the name said nothing.
TYPE_RULES: dict[str, str] = {
    "THEY_REJECTED_US": "candidate_withdrew",
    "SECURITY_CONCERN": "failed_check",
}


def default_reason(name: str | None, type_key: str | None = None) -> str:
    """The shared reason an ATS reason maps to unless an admin says otherwise."""
    text = " ".join((name or "").casefold().split())
    for shared, pattern in NAME_RULES:
        if pattern.search(text):
            return shared
    return TYPE_RULES.get((type_key or "").upper(), NEUTRAL)


def is_safe(shared: str | None) -> bool | None:
    """Whether a shared reason is safe to re-engage (None without a reason)."""
    return None if shared is None else SHARED_REASONS.get(shared, False)
