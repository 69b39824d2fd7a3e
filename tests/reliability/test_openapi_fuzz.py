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
# Rules between parameters that JSON Schema cannot state: generated values of each parameter
# fit the document, yet most pairs break the rule (422 naming it).
CROSS_PARAMETER_RULES = {
    # `from` before `to`, at most 366 days apart, each defaulting relative to now.
    "GET /persons/{external_id}/exposures",
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
    queries = _query_parameters(client.get("/openapi.json").json())
    # The document says what each query parameter takes, so valid data is not mostly refused
    # (the warning Schemathesis prints when a document promises more than a service takes).
    refused = {
        kind: sorted(set(labels) & set(queries) - CROSS_PARAMETER_RULES)
        for kind, labels in report.warnings.items()
        if kind in ("validation_mismatch", "low_valid_rate")
    }
    assert not any(refused.values()), refused
    # Every query parameter of every list was sent, and answered 2xx, at least once.
    lists = {label: names for label, names in queries.items() if "cursor" in names}
    uncovered = {
        label: sorted(names - report.served_queries.get(label, set()))
        for label, names in lists.items()
    }
    assert lists and not any(uncovered.values()), uncovered


def _query_parameters(document: dict) -> dict[str, set[str]]:
    """`GET /path` -> the names of its query parameters, for every GET that has any."""
    found = {}
    for path, item in document["paths"].items():
        names = {p["name"] for p in item.get("get", {}).get("parameters", []) if p["in"] == "query"}
        if names:
            found[f"GET {path}"] = names
    return found
