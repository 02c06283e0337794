"""Stage names map to milestones that never go down along the ATS's stage order."""
from __future__ import annotations

import pytest

from rediscover.core.milestones import (
    StageSpec,
    default_milestones,
    furthest,
    milestone_from_name,
    parse_milestone,
)


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("Application Review", "application_review"),
        ("Recruiter Phone Screen", "recruiter_screen"),
        ("Preliminary Phone Screen", "recruiter_screen"),
        ("Hiring Manager Screen", "hiring_manager_screen"),
        ("Technical Phone Screen", "hiring_manager_screen"),
        ("Take Home Test", "assessment"),
        ("Technical Assessment", "assessment"),
        ("Coding Challenge", "assessment"),
        ("Onsite Interview", "onsite"),
        ("Final Round (Onsite)", "onsite"),
        ("Face to Face", "onsite"),
        ("Virtual on-site", "onsite"),
        ("Reference Check", "onsite"),
        ("Offer", "offer"),
        ("Offer Call", "offer"),
        ("Stage 7", None),
    ],
)
def test_stage_names_suggest_milestones(name, expected):
    assert milestone_from_name(name) == expected


def test_defaults_never_go_down_along_the_stage_order():
    stages = [
        StageSpec("Application Review", 0),
        StageSpec("Onsite Interview", 1),
        StageSpec("Recruiter Phone Screen", 2),  # odd plan: a screen after the onsite
        StageSpec("Mystery step", 3),
        StageSpec("Offer", 4),
    ]
    assert default_milestones(stages) == [
        "application_review", "onsite", "onsite", "onsite", "offer",
    ]


def test_order_comes_from_sort_order_not_list_position():
    stages = [StageSpec("Offer", 5), StageSpec("Screen", 1), StageSpec("Unnamed", 0)]
    assert default_milestones(stages) == ["offer", "recruiter_screen", "application_review"]


def test_admin_override_is_kept_and_raises_the_floor():
    stages = [
        StageSpec("Application Review", 0),
        StageSpec("Chat with founders", 1, override="hiring_manager_screen"),
        StageSpec("Recruiter Phone Screen", 2),
    ]
    assert default_milestones(stages) == [
        "application_review", "hiring_manager_screen", "hiring_manager_screen",
    ]


def test_furthest_and_parse():
    assert furthest(["recruiter_screen", None, "onsite", "assessment"]) == "onsite"
    assert furthest([None]) is None
    assert parse_milestone(" Onsite ") == "onsite"
    assert parse_milestone("hiring-manager-screen") == "hiring_manager_screen"
    with pytest.raises(ValueError, match="onsight"):
        parse_milestone("onsight")
