"""Default shared rejection reasons from ATS reason names and types."""
from __future__ import annotations

import pytest

from rediscover.mappings.reasons import SHARED_REASONS, default_reason, is_safe


@pytest.mark.parametrize(
    ("name", "type_key", "expected"),
    [
        ("Hired another candidate", "WE_REJECTED_THEM", "other_candidate_hired"),
        ("Other candidate hired", None, "other_candidate_hired"),
        ("Position filled", None, "other_candidate_hired"),
        ("Hiring freeze", "NONE_SPECIFIED", "position_closed"),
        ("Position closed", None, "position_closed"),
        ("Req cancelled", None, "position_closed"),
        ("Accepted another offer", "THEY_REJECTED_US", "candidate_withdrew"),
        ("Candidate withdrew", None, "candidate_withdrew"),
        ("Compensation expectations", "THEY_REJECTED_US", "compensation"),
        ("Salary too high", None, "compensation"),
        ("Bad timing", None, "timing"),
        ("Lacking skill(s)/qualification(s)", "WE_REJECTED_THEM", "skills_gap"),
        ("Not enough experience", None, "skills_gap"),
        ("Not a culture add", "WE_REJECTED_THEM", "culture_or_conduct"),
        ("Failed background check", None, "failed_check"),
        ("No show", None, "unresponsive"),
        ("Duplicate candidate record", "NONE_SPECIFIED", "other"),
        ("Personal reasons", "THEY_REJECTED_US", "candidate_withdrew"),
        ("Whatever", "SECURITY_CONCERN", "failed_check"),
        ("  HIRED   ANOTHER  candidate ", None, "other_candidate_hired"),
    ],
)
def test_default_reason(name, type_key, expected):
    assert default_reason(name, type_key) == expected


def test_safe_flags():
    assert is_safe(None) is None
    assert is_safe("other_candidate_hired") is True
    assert is_safe("skills_gap") is False
    assert {r for r, safe in SHARED_REASONS.items() if safe} == {
        "other_candidate_hired", "position_closed", "candidate_withdrew", "timing", "compensation"
    }
