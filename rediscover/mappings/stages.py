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

# SuccessFactors pipeline statuses (``JobApplicationStatus.appStatusName``) are configured per
# status set; these are the system statuses SAP adds to every set (KBA 2528046/2637905) and the
# usual template names. "Interview" in an RCM template follows the phone screen, so it is the
# hiring manager's round; "Hired" is past the offer and never below it.
SUCCESSFACTORS: dict[str, str] = {
    "default": "application_review",
    "new application": "application_review",
    "forwarded": "application_review",
    "invited to apply": "application_review",
    "phone screen": "recruiter_screen",
    "interview": "hiring_manager_screen",
    "final interview": "onsite",
    "offer": "offer",
    "hired": "offer",
}

# SuccessFactors has no rejection-reason entity: a disqualified pipeline status *is* the
# reason. Statuses with these names are never stages (the system ones SAP adds to every set);
# a connection lists its own with the ``disqualified_statuses`` setting. Whatever the name,
# the status a disqualified or withdrawn application ends in is read as its reason.
SUCCESSFACTORS_DISQUALIFIED: frozenset[str] = frozenset({
    "auto-disqualified",
    "withdrawn by candidate",
    "requisition closed",
    "hired on other requisition",
    "deleted on demand by candidate",
    "deleted on demand by admin",
    "declined dpcs",
})

# iCIMS recruiting statuses are list nodes configured per customer, labelled "Bin: Status";
# the stages are the in-process statuses (rejected, withdrawn and hired ones end an
# application instead). These are the common default labels; the name rules cover the rest
# (they read the part after the bin first, so "Interview: Onsite" is an onsite).
ICIMS: dict[str, str] = {
    "recently applied": "application_review",
    "sourced: prospect": "application_review",
    "candidate: new submission": "application_review",
    "candidate: reviewed": "application_review",
    "candidate: phone screen": "recruiter_screen",
    "candidate: recruiter screen": "recruiter_screen",
    "candidate: hiring manager review": "application_review",
    "interview: hiring manager interview": "hiring_manager_screen",
    "interview: phone interview": "hiring_manager_screen",
    "interview: assessment": "assessment",
    "interview: onsite interview": "onsite",
    "interview: final interview": "onsite",
    "offer: pending approval": "offer",
    "offer: extended": "offer",
    "offer: accepted": "offer",
}

DEFAULT_STAGE_MILESTONES: dict[str, dict[str, str]] = {
    "greenhouse": GREENHOUSE,
    "workday": WORKDAY,
    "lever": LEVER,
    "smartrecruiters": SMARTRECRUITERS,
    "successfactors": SUCCESSFACTORS,
    "icims": ICIMS,
}


def stage_key(name: str) -> str:
    """A stage name as the maps above key it."""
    return " ".join(name.casefold().split())
