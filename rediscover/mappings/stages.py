"""Default stage → milestone maps per ATS, by exact stage name (declarations only).

Consulted before the generic name rules of ``core.milestones``; keys are stage names
casefolded with runs of whitespace collapsed. Values are milestone names. Defaults still
never go down along a job's stage order, and an admin's edit always wins.
"""
from __future__ import annotations

# Greenhouse's default interview plan ("Application Review" … "Offer") and the stage names
# its templates use. "Phone Interview" follows the recruiter's preliminary screen, so it is
# the hiring manager's call; "Reference Check" comes after the onsite loop.
GREENHOUSE: dict[str, str] = {
    "application review": "application_review",
    "preliminary phone screen": "recruiter_screen",
    "recruiter phone screen": "recruiter_screen",
    "phone interview": "hiring_manager_screen",
    "technical phone screen": "hiring_manager_screen",
    "take home test": "assessment",
    "face to face": "onsite",
    "onsite interview": "onsite",
    "reference check": "onsite",
    "offer": "offer",
}

# Workday's fixed recruiting stages (descriptors of ``Recruiting_Stage_ID``), used when a
# disposition closed the application and its workflow step says nothing. "Interview" proves
# a hiring-manager interview at least; an onsite needs a step name that says so. Reference
# checks follow the onsite loop; everything from the offer on is the offer.
WORKDAY: dict[str, str] = {
    "review": "application_review",
    "screen": "recruiter_screen",
    "assessment": "assessment",
    "interview": "hiring_manager_screen",
    "reference check": "onsite",
    "offer": "offer",
    "employment agreement": "offer",
    "background check": "offer",
    "ready for hire": "offer",
}

DEFAULT_STAGE_MILESTONES: dict[str, dict[str, str]] = {
    "greenhouse": GREENHOUSE,
    "workday": WORKDAY,
}


def stage_key(name: str) -> str:
    """A stage name as the maps above key it."""
    return " ".join(name.casefold().split())
