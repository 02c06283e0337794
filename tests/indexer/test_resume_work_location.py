"""A place the resume writes next to the current employer, for people with no stated location."""
from __future__ import annotations

import pytest

from rediscover.indexer.build import resume_work_location

RESUME = """Tomas Herrera
Platform engineer. Terraform, Kubernetes, GCP, Prometheus, on-call leadership.
Cabify, Madrid - Platform Engineer (2021 - present).
Telefonica - SRE (2017 - 2021).
"""


@pytest.mark.parametrize(("companies", "text", "place"), [
    (["Cabify"], RESUME, "Madrid"),
    (["Telefonica"], RESUME, None),  # no place written next to it
    (["Acme  Corp"], "  • Acme Corp, San Francisco, CA (2020 - now)", "San Francisco, CA"),
    (["Acme"], "ACME, Berlin | Staff Engineer", "Berlin"),
    (["Acme"], "Worked at Acme, Berlin - Engineer", None),  # not where a line starts
    (["Acme"], "Acme, 2019 - 2021", None),  # a date is no place
    (["Acme"], None, None),
    ([], RESUME, None),
])
def test_place_next_to_the_employer(companies, text, place):
    assert resume_work_location(companies, text) == place
