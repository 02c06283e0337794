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

# Lever's account-wide pipeline: the lead stages and "New applicant" come before any
# screen; "Phone Interview"/"Phone screen" follow the recruiter screen as in Greenhouse.
LEVER: dict[str, str] = {
    "new lead": "application_review",
    "reached out": "application_review",
    "responded": "application_review",
    "new applicant": "application_review",
    "recruiter screen": "recruiter_screen",
    "phone screen": "hiring_manager_screen",
    "phone interview": "hiring_manager_screen",
    "on-site interview": "onsite",
    "background check": "onsite",
    "reference check": "onsite",
    "offer": "offer",
}

# SmartRecruiters statuses, used as the stage name when an application has no sub-status;
# the sub-statuses themselves are per-company hiring-process names (name rules apply).
SMARTRECRUITERS: dict[str, str] = {
    "lead": "application_review",
    "new": "application_review",
    "in review": "application_review",
    "interview": "recruiter_screen",
    "offered": "offer",
}

DEFAULT_STAGE_MILESTONES: dict[str, dict[str, str]] = {
    "greenhouse": GREENHOUSE,
    "workday": WORKDAY,
    "lever": LEVER,
    "smartrecruiters": SMARTRECRUITERS,
}


def stage_key(name: str) -> str:
    """A stage name as the maps above key it."""
    return " ".join(name.casefold().split())
