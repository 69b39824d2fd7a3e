"""The screening-status rule as a pure function: every state and the ordering edge cases."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from services.screening.domain.policy import DEFAULT_POLICY, Requirement, ScreeningPolicy
from services.screening.domain.status import requirement_state, screening_status
from shared.counting import ResultVersion

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
NA = Requirement("nucleic_acid", timedelta(days=14))
CT = Requirement("chest_ct", timedelta(days=14))


def v(ext, result, status="final", days_ago=1.0, version=1, test="nucleic_acid"):
    return ResultVersion(ext, version, test, result, status, NOW - timedelta(days=days_ago))


CASES = [
    # (label, requirement, results, state, deciding external id)
    ("nothing at all", NA, [], "missing", None),
    ("other test type only", NA, [v("a", "normal", test="chest_ct")], "missing", None),
    ("one negative", NA, [v("a", "negative")], "ok", "a"),
    ("one positive", NA, [v("a", "positive")], "positive", "a"),
    ("indeterminate counts as such", NA, [v("a", "indeterminate")], "indeterminate", "a"),
    ("abnormal CT", CT, [v("c", "abnormal", test="chest_ct")], "abnormal", "c"),
    ("normal CT", CT, [v("c", "normal", test="chest_ct")], "ok", "c"),
    ("older than the window", NA, [v("a", "negative", days_ago=15)], "expired", "a"),
    ("exactly at the window edge", NA, [v("a", "negative", days_ago=14)], "ok", "a"),
    ("expired positive is expired", NA, [v("a", "positive", days_ago=20)], "expired", "a"),
    ("only a preliminary", NA, [v("p", None, "preliminary")], "pending", "p"),
    (
        "newer preliminary makes it pending",
        NA,
        [v("a", "negative", days_ago=3), v("p", None, "preliminary", days_ago=1)],
        "pending",
        "p",
    ),
    (
        "older preliminary does not",
        NA,
        [v("a", "negative", days_ago=1), v("p", None, "preliminary", days_ago=3)],
        "ok",
        "a",
    ),
    (
        "preliminary at the same specimen time does not",
        NA,
        [v("a", "negative", days_ago=1), v("p", None, "preliminary", days_ago=1)],
        "ok",
        "a",
    ),
    (
        "newer preliminary after an expired result is pending",
        NA,
        [v("a", "negative", days_ago=20), v("p", None, "preliminary", days_ago=1)],
        "pending",
        "p",
    ),
    (
        "newest by specimen time counts, not the last recorded",
        NA,
        [v("new", "negative", days_ago=1), v("old", "positive", days_ago=5)],
        "ok",
        "new",
    ),
    (
        "same specimen time: the positive wins the tie",
        NA,
        [v("a", "negative", days_ago=1), v("b", "positive", days_ago=1)],
        "positive",
        "b",
    ),
    (
        "correction of an older result does not displace the newest",
        NA,
        [
            v("old", "negative", days_ago=5),
            v("old", "positive", "corrected", days_ago=5, version=2),
            v("new", "negative", days_ago=1),
        ],
        "ok",
        "new",
    ),
    (
        "correction replaces its original",
        NA,
        [v("a", "negative"), v("a", "positive", "corrected", version=2)],
        "positive",
        "a",
    ),
    (
        "error-marked newest falls back to the one before",
        NA,
        [
            v("old", "negative", days_ago=3),
            v("new", "positive", days_ago=1),
            v("new", None, "entered_in_error", days_ago=1, version=2),
        ],
        "ok",
        "old",
    ),
    (
        "error-marked only result is missing",
        NA,
        [v("a", "negative"), v("a", None, "entered_in_error", version=2)],
        "missing",
        None,
    ),
    (
        "preliminary superseded by its final",
        NA,
        [v("a", None, "preliminary"), v("a", "negative", "final", version=2)],
        "ok",
        "a",
    ),
    (
        "voided preliminary is not pending",
        NA,
        [
            v("a", "negative", days_ago=3),
            v("p", None, "preliminary", days_ago=1),
            v("p", None, "entered_in_error", days_ago=1, version=2),
        ],
        "ok",
        "a",
    ),
]


@pytest.mark.parametrize(
    ("requirement", "results", "state", "decided_by"),
    [c[1:] for c in CASES],
    ids=[c[0] for c in CASES],
)
def test_requirement_state(requirement, results, state, decided_by):
    got = requirement_state(results, requirement, NOW)
    assert got.state == state
    assert (got.result.external_id if got.result else None) == decided_by


def _all_ok(tests, days_ago=1.0):
    good = {"chest_ct": "normal", "blood_routine": "normal"}
    return [v(f"r-{t}", good.get(t, "negative"), test=t, days_ago=days_ago) for t in tests]


FULL = ["nucleic_acid", "antibody_igm", "antibody_igg", "chest_ct", "blood_routine"]
CAREGIVER = ["nucleic_acid", "antibody_igm", "antibody_igg"]


@pytest.mark.parametrize(
    ("category", "results", "compliant", "required"),
    [
        ("inpatient", _all_ok(FULL), True, FULL),
        ("staff", _all_ok(FULL), True, FULL),
        ("inpatient", _all_ok(CAREGIVER), False, FULL),
        ("caregiver", _all_ok(CAREGIVER), True, CAREGIVER),
        ("caregiver", _all_ok(CAREGIVER, days_ago=8), False, CAREGIVER),
        ("staff", _all_ok(FULL, days_ago=8), True, FULL),
        ("outpatient", [], True, []),
    ],
    ids=[
        "inpatient ok",
        "staff ok",
        "inpatient lacking",
        "caregiver ok",
        "caregiver 7-day window",
        "staff 14-day window",
        "outpatient needs nothing",
    ],
)
def test_screening_status_by_category(category, results, compliant, required):
    status = screening_status(category, results, DEFAULT_POLICY, NOW)
    assert status.compliant is compliant
    assert [i.test_type for i in status.items] == required


def test_a_policy_decides_what_is_required():
    policy = ScreeningPolicy({"outpatient": (Requirement("nucleic_acid", timedelta(hours=48)),)})
    status = screening_status("outpatient", [v("a", "negative", days_ago=3)], policy, NOW)
    assert [(i.test_type, i.state) for i in status.items] == [("nucleic_acid", "expired")]
    assert screening_status("staff", [], policy, NOW).compliant is True
