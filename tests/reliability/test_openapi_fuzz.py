"""Each service fuzzed against its own OpenAPI document (Schemathesis, every phase and check).

`make test` sends a bounded, seeded sample (WARDGATE_FUZZ_EXAMPLES per operation and phase);
`make fuzz` sends many more with a fresh seed. A failure names the request and the answer.
"""

from __future__ import annotations

import pytest

from tests.reliability import figures
from tests.reliability.fuzzing import http_only, run_schemathesis

SEEDS = {
    "appointments": [
        ("PUT", "/departments/CARD", {"name": "Cardiology", "capacity_per_slot": 2}),
    ],
    "screening": [
        (
            "PUT",
            "/persons/P-1",
            {
                "name": "Zhang San",
                "category": "inpatient",
                "department": "resp",
                "ward": "W3",
                "admitted_at": "2026-11-01T08:00:00+08:00",
            },
        ),
    ],
    "discharge": [],
}


@pytest.mark.parametrize("service", ["appointments", "screening", "discharge"])
def test_the_service_answers_as_documented_whatever_it_is_sent(service, wired, every_role, backend):
    client = wired(service)
    headers = {"Authorization": f"Bearer {every_role}"}
    for method, path, body in SEEDS[service]:
        assert client.request(method, path, json=body, headers=headers).status_code < 300
    report = run_schemathesis(http_only(client.app), every_role)
    figures.record(f"fuzz examples/{service}/{backend}", report.total)
    for phase, count in report.cases.items():
        figures.record(f"fuzz examples/{service}/{backend}/{phase}", count)
    assert not report.failures and not report.errors, report.describe()
    assert report.cases["fuzzing"] > 0 and report.cases["coverage"] > 0, report.cases
