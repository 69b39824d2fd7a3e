"""The discharge rule, table-driven: every reason, every window boundary to the second,
corrections and voided results."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from services.discharge.domain.discharge_rule import (
    PatientFacts,
    RuleWindows,
    evaluate_discharge,
    screening_unavailable,
    unknown_patient,
)
from shared.counting import ResultVersion

NOW = datetime(2026, 11, 10, 12, 0, tzinfo=UTC)
H = timedelta(hours=1)
D = timedelta(days=1)
S = timedelta(seconds=1)
WINDOWS = RuleWindows()
NA, IGM, IGG = "nucleic_acid", "antibody_igm", "antibody_igg"


def res(test, result, ago, ext=None, status="final", version=1):
    """A result version of `test`, its specimen collected `ago` before NOW."""
    ext = ext or f"{test}-{result}-{ago.total_seconds():g}"
    return ResultVersion(ext, version, test, result, status, NOW - ago)


def clean(na_ago=H, igm_ago=H, igg_ago=H):
    return [
        res(NA, "negative", na_ago),
        res(IGM, "negative", igm_ago),
        res(IGG, "negative", igg_ago),
    ]


def antibodies():
    return [res(IGM, "negative", H), res(IGG, "negative", H)]


CASES = [
    # name, results, category, expected {(code, test_type)}
    ("clean inpatient", clean(), "inpatient", set()),
    ("no results at all", [], "inpatient", {("missing", NA), ("missing", IGM), ("missing", IGG)}),
    ("nucleic acid missing", antibodies(), "inpatient", {("missing", NA)}),
    (
        "igg missing",
        [res(NA, "negative", H), res(IGM, "negative", H)],
        "inpatient",
        {("missing", IGG)},
    ),
    # window boundaries, to the second
    ("nucleic acid exactly 72 h old", clean(na_ago=72 * H), "inpatient", set()),
    ("nucleic acid 72 h 1 s old", clean(na_ago=72 * H + S), "inpatient", {("expired", NA)}),
    ("igm exactly 7 days old", clean(igm_ago=7 * D), "inpatient", set()),
    ("igm 7 days 1 s old", clean(igm_ago=7 * D + S), "inpatient", {("expired", IGM)}),
    ("igg exactly 7 days old", clean(igg_ago=7 * D), "inpatient", set()),
    ("igg 7 days 1 s old", clean(igg_ago=7 * D + S), "inpatient", {("expired", IGG)}),
    (
        "nucleic acid 4 days is expired though antibodies are fine",
        clean(na_ago=4 * D),
        "inpatient",
        {("expired", NA)},
    ),
    # results that are not negative
    (
        "positive nucleic acid",
        [res(NA, "positive", H), *antibodies()],
        "inpatient",
        {("positive", NA), ("needs_two_negatives", NA)},
    ),
    (
        "indeterminate nucleic acid",
        [res(NA, "indeterminate", H), *antibodies()],
        "inpatient",
        {("indeterminate", NA)},
    ),
    (
        "positive igm",
        [res(NA, "negative", H), res(IGM, "positive", H), res(IGG, "negative", H)],
        "inpatient",
        {("positive", IGM)},
    ),
    (
        "indeterminate igg",
        [res(NA, "negative", H), res(IGM, "negative", H), res(IGG, "indeterminate", H)],
        "inpatient",
        {("indeterminate", IGG)},
    ),
    (
        "old positive igg superseded by a newer negative",
        [*clean(), res(IGG, "positive", 3 * D)],
        "inpatient",
        set(),
    ),
    # pending
    (
        "preliminary newer than the counting one",
        [*clean(na_ago=2 * H), res(NA, None, H, status="preliminary")],
        "inpatient",
        {("pending", NA)},
    ),
    (
        "preliminary older than the counting one",
        [*clean(), res(NA, None, 2 * H, status="preliminary")],
        "inpatient",
        set(),
    ),
    (
        "only a preliminary: pending, not missing",
        [res(NA, None, H, status="preliminary"), *antibodies()],
        "inpatient",
        {("pending", NA)},
    ),
    (
        "preliminary igm with an expired counting one",
        [
            res(NA, "negative", H),
            res(IGM, "negative", 8 * D),
            res(IGM, None, H, status="preliminary"),
            res(IGG, "negative", H),
        ],
        "inpatient",
        {("expired", IGM), ("pending", IGM)},
    ),
    # recovery after a positive nucleic acid in the last 30 days
    (
        "two negatives 47 h apart after a positive",
        [
            res(NA, "positive", 10 * D),
            res(NA, "negative", 2 * D),
            res(NA, "negative", H),
            *antibodies(),
        ],
        "inpatient",
        set(),
    ),
    (
        "two negatives exactly 24 h apart",
        [
            res(NA, "positive", 10 * D),
            res(NA, "negative", 25 * H),
            res(NA, "negative", H),
            *antibodies(),
        ],
        "inpatient",
        set(),
    ),
    (
        "two negatives 24 h less 1 s apart",
        [
            res(NA, "positive", 10 * D),
            res(NA, "negative", 25 * H - S),
            res(NA, "negative", H),
            *antibodies(),
        ],
        "inpatient",
        {("needs_two_negatives", NA)},
    ),
    (
        "one negative after a positive",
        [res(NA, "positive", 10 * D), res(NA, "negative", H), *antibodies()],
        "inpatient",
        {("needs_two_negatives", NA)},
    ),
    (
        "a negative before the positive does not count",
        [
            res(NA, "negative", 11 * D),
            res(NA, "positive", 10 * D),
            res(NA, "negative", H),
            *antibodies(),
        ],
        "inpatient",
        {("needs_two_negatives", NA)},
    ),
    (
        "negatives before a later positive do not count",
        [
            res(NA, "positive", 10 * D),
            res(NA, "negative", 5 * D),
            res(NA, "negative", 4 * D),
            res(NA, "positive", 3 * D),
            res(NA, "negative", H),
            *antibodies(),
        ],
        "inpatient",
        {("needs_two_negatives", NA)},
    ),
    (
        "negative at the same specimen time as the positive is not after it",
        [
            res(NA, "positive", 2 * D, ext="p"),
            res(NA, "negative", 2 * D, ext="n"),
            res(NA, "negative", H),
            *antibodies(),
        ],
        "inpatient",
        {("needs_two_negatives", NA)},
    ),
    (
        "three negatives: the newest and one 24 h before it suffice",
        [
            res(NA, "positive", 10 * D),
            res(NA, "negative", 40 * H),
            res(NA, "negative", 30 * H),
            res(NA, "negative", H),
            *antibodies(),
        ],
        "inpatient",
        set(),
    ),
    (
        "positive exactly 30 days ago still needs two negatives",
        [res(NA, "positive", 30 * D), res(NA, "negative", H), *antibodies()],
        "inpatient",
        {("needs_two_negatives", NA)},
    ),
    (
        "positive 30 days 1 s ago is outside the lookback",
        [res(NA, "positive", 30 * D + S), res(NA, "negative", H), *antibodies()],
        "inpatient",
        set(),
    ),
    # corrections and voided results
    (
        "positive corrected to negative",
        [
            res(NA, "positive", H, ext="r1"),
            res(NA, "negative", H, ext="r1", status="corrected", version=2),
            *antibodies(),
        ],
        "inpatient",
        set(),
    ),
    (
        "negative corrected to positive",
        [
            res(NA, "negative", H, ext="r1"),
            res(NA, "positive", H, ext="r1", status="corrected", version=2),
            *antibodies(),
        ],
        "inpatient",
        {("positive", NA), ("needs_two_negatives", NA)},
    ),
    (
        "the only negative entered in error",
        [
            res(NA, "negative", H, ext="r1"),
            res(NA, "negative", H, ext="r1", status="entered_in_error", version=2),
            *antibodies(),
        ],
        "inpatient",
        {("missing", NA)},
    ),
    (
        "newest negative voided falls back to an expired one",
        [
            res(NA, "negative", 4 * D, ext="old"),
            res(NA, "negative", H, ext="new"),
            res(NA, "negative", H, ext="new", status="entered_in_error", version=2),
            *antibodies(),
        ],
        "inpatient",
        {("expired", NA)},
    ),
    (
        "the recent positive was entered in error",
        [
            res(NA, "positive", 5 * D, ext="p"),
            res(NA, "positive", 5 * D, ext="p", status="entered_in_error", version=2),
            res(NA, "negative", H),
            *antibodies(),
        ],
        "inpatient",
        set(),
    ),
    (
        "the older positive corrected to negative needs no second negative",
        [
            res(NA, "positive", 5 * D, ext="p"),
            res(NA, "negative", 5 * D, ext="p", status="corrected", version=2),
            res(NA, "negative", H),
            *antibodies(),
        ],
        "inpatient",
        set(),
    ),
    (
        "versions arrive out of order",
        [
            res(NA, "negative", H, ext="r1", status="corrected", version=2),
            res(NA, "positive", H, ext="r1"),
            *antibodies(),
        ],
        "inpatient",
        set(),
    ),
    # the person
    ("outpatient with clean results", clean(), "outpatient", {("not_inpatient", None)}),
    (
        "staff with no results: every reason",
        [],
        "staff",
        {("not_inpatient", None), ("missing", NA), ("missing", IGM), ("missing", IGG)},
    ),
    # several reasons at once, and unrelated tests
    (
        "expired, positive and missing together",
        [res(NA, "negative", 80 * H), res(IGM, "positive", H)],
        "inpatient",
        {("expired", NA), ("positive", IGM), ("missing", IGG)},
    ),
    (
        "chest CT and blood routine do not gate discharge",
        [*clean(), res("chest_ct", "abnormal", H), res("blood_routine", "abnormal", H)],
        "inpatient",
        set(),
    ),
]


@pytest.mark.parametrize(
    ("name", "results", "category", "expected"), CASES, ids=[c[0] for c in CASES]
)
def test_discharge_rule(name, results, category, expected):
    decision = evaluate_discharge(PatientFacts("P1", category), results, NOW, WINDOWS)
    got = {(r.code, r.test_type) for r in decision.reasons}
    assert got == expected
    assert decision.eligible == (not expected)
    assert len(decision.reasons) == len(got), "one reason per code and test"
    assert all(r.detail.endswith(".") and len(r.detail) > 20 for r in decision.reasons)
    assert decision.rule_version == WINDOWS.version


def test_result_order_does_not_change_the_decision():
    results = [
        res(NA, "positive", 10 * D),
        res(NA, "negative", 2 * D),
        res(NA, "negative", H),
        res(NA, None, 30 * 60 * S, status="preliminary"),
        *antibodies(),
    ]
    first = evaluate_discharge(PatientFacts("P1", "inpatient"), results, NOW, WINDOWS)
    second = evaluate_discharge(PatientFacts("P1", "inpatient"), results[::-1], NOW, WINDOWS)
    assert first == second


def test_evidence_names_each_counting_result():
    decision = evaluate_discharge(PatientFacts("P1", "inpatient"), clean(), NOW, WINDOWS)
    assert [(e.result.test_type, e.used_as) for e in decision.evidence] == [
        (NA, "counting"),
        (IGM, "counting"),
        (IGG, "counting"),
    ]


def test_evidence_of_a_recovery_holds_the_positive_and_the_two_negatives():
    results = [
        res(NA, "positive", 10 * D, ext="pos"),
        res(NA, "negative", 40 * H, ext="n1"),
        res(NA, "negative", 30 * H, ext="n2"),
        res(NA, "negative", H, ext="n3"),
        *antibodies(),
    ]
    decision = evaluate_discharge(PatientFacts("P1", "inpatient"), results, NOW, WINDOWS)
    assert decision.eligible
    used = {(e.result.external_id, e.used_as) for e in decision.evidence}
    assert ("n3", "counting") in used
    assert ("pos", "last_positive") in used
    assert ("n2", "negative_after_positive") in used
    assert len({e.result.external_id for e in decision.evidence}) == len(decision.evidence)


def test_pending_result_is_evidence():
    results = [*clean(na_ago=2 * H), res(NA, None, H, ext="pre", status="preliminary")]
    decision = evaluate_discharge(PatientFacts("P1", "inpatient"), results, NOW, WINDOWS)
    assert ("pre", "pending") in {(e.result.external_id, e.used_as) for e in decision.evidence}


@pytest.mark.parametrize(
    ("windows", "na_ago", "eligible"),
    [
        (RuleWindows(nucleic_acid_max_age=48 * H), 48 * H, True),
        (RuleWindows(nucleic_acid_max_age=48 * H), 48 * H + S, False),
        (RuleWindows(nucleic_acid_max_age=96 * H), 95 * H, True),
    ],
)
def test_windows_come_from_configuration(windows, na_ago, eligible):
    decision = evaluate_discharge(
        PatientFacts("P1", "inpatient"), clean(na_ago=na_ago), NOW, windows
    )
    assert decision.eligible is eligible
    assert "nucleic_acid<=" in decision.rule_version
    assert decision.rule_version != WINDOWS.version


def test_configured_gap_and_lookback():
    results = [
        res(NA, "positive", 10 * D),
        res(NA, "negative", 13 * H),
        res(NA, "negative", H),
        *antibodies(),
    ]
    assert not evaluate_discharge(PatientFacts("P", "inpatient"), results, NOW, WINDOWS).eligible
    short_gap = RuleWindows(negatives_apart=12 * H)
    assert evaluate_discharge(PatientFacts("P", "inpatient"), results, NOW, short_gap).eligible
    short_lookback = RuleWindows(positive_lookback=7 * D)
    assert evaluate_discharge(PatientFacts("P", "inpatient"), results, NOW, short_lookback).eligible


def test_expired_detail_says_how_old():
    decision = evaluate_discharge(
        PatientFacts("P", "inpatient"), clean(na_ago=72 * H + S), NOW, WINDOWS
    )
    assert decision.reasons[0].detail == (
        "The latest negative nucleic acid specimen was collected 72 h 1 s ago;"
        " it must be at most 72 h old."
    )


def test_fail_closed_decisions():
    for decision, code in [
        (unknown_patient("X9", WINDOWS), "unknown_patient"),
        (screening_unavailable(WINDOWS), "screening_unavailable"),
    ]:
        assert not decision.eligible
        assert [r.code for r in decision.reasons] == [code]
        assert decision.evidence == ()
        assert decision.reasons[0].as_dict().keys() == {"code", "detail"}
