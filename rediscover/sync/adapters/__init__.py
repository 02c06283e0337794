"""ATS adapters, imported lazily by name so loading one never loads the others."""
from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

from rediscover.sync.errors import FatalSyncError

if TYPE_CHECKING:
    from rediscover.sync.adapters.base import Adapter

ADAPTERS: dict[str, str] = {
    "greenhouse": "rediscover.sync.adapters.greenhouse:GreenhouseAdapter",
    "workday": "rediscover.sync.adapters.workday:WorkdayAdapter",
    "lever": "rediscover.sync.adapters.lever:LeverAdapter",
    "smartrecruiters": "rediscover.sync.adapters.smartrecruiters:SmartRecruitersAdapter",
    "successfactors": "rediscover.sync.adapters.successfactors:SuccessFactorsAdapter",
    # iCIMS
    "icims": "rediscover.sync.adapters.icims:ICIMSAdapter",
}


def get_adapter_class(ats: str) -> type[Adapter]:
    """The adapter class for an ATS name (``core.enums.ATS`` value); FatalSyncError if none."""
    target = ADAPTERS.get(str(ats).strip().lower())
    if target is None:
        known = ", ".join(sorted(ADAPTERS))
        raise FatalSyncError(f"no sync adapter for ATS {ats!r}; available: {known}", ats=str(ats))
    module_name, _, class_name = target.partition(":")
    return getattr(importlib.import_module(module_name), class_name)
