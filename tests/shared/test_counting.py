"""The contract's 'which result counts' rule, table-driven."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from shared.counting import ResultVersion, counting_results, counting_view

T0 = datetime(2026, 11, 1, 8, 0, tzinfo=UTC)


def r(ext, result, status="final", hours=0, version=1, test="nucleic_acid"):
    return ResultVersion(ext, version, test, result, status, T0 + timedelta(hours=hours))


CASES = [
    ("nothing", [], None, None),
    ("one final", [r("a", "negative")], "a", None),
    ("newest specimen wins", [r("a", "positive", hours=0), r("b", "negative", hours=5)], "b", None),
    (
        "resulted order does not matter",
        [r("b", "negative", hours=5), r("a", "positive")],
        "b",
        None,
    ),
    (
        "correction of an older result keeps newest",
        [
            r("a", "negative", hours=0),
            r("a", "positive", "corrected", 0, 2),
            r("b", "negative", hours=5),
        ],
        "b",
        None,
    ),
    (
        "correction replaces its original",
        [r("a", "negative"), r("a", "positive", "corrected", version=2)],
        "a",
        None,
    ),
    (
        "error-marked newest falls back to older",
        [
            r("a", "positive", hours=1),
            r("b", "negative", hours=5),
            r("b", "negative", "entered_in_error", 5, 2),
        ],
        "a",
        None,
    ),
    (
        "only voided: nothing counts",
        [r("a", "negative"), r("a", "negative", "entered_in_error", version=2)],
        None,
        None,
    ),
    (
        "newer preliminary is pending",
        [r("a", "negative"), r("p", None, "preliminary", hours=3)],
        "a",
        "p",
    ),
    (
        "older preliminary is not pending",
        [r("a", "negative", hours=3), r("p", None, "preliminary", hours=1)],
        "a",
        None,
    ),
    ("preliminary alone is pending", [r("p", None, "preliminary")], None, "p"),
    (
        "finalised preliminary is no longer pending",
        [r("p", None, "preliminary", hours=3), r("p", "negative", "final", 3, 2)],
        "p",
        None,
    ),
    (
        "same specimen time: the positive counts",
        [r("a", "negative", hours=2), r("b", "positive", hours=2)],
        "b",
        None,
    ),
    ("other test types ignored", [r("x", "positive", test="antibody_igm")], None, None),
]


@pytest.mark.parametrize(
    ("name", "results", "counting", "pending"), CASES, ids=[c[0] for c in CASES]
)
def test_counting_view(name, results, counting, pending):
    view = counting_view(results, "nucleic_acid")
    assert (view.counting.external_id if view.counting else None) == counting
    assert (view.pending.external_id if view.pending else None) == pending


def test_counting_results_newest_first_without_voids():
    results = [
        r("a", "positive", hours=0),
        r("b", "negative", hours=9),
        r("c", "negative", hours=4),
        r("c", "negative", "entered_in_error", 4, 2),
    ]
    assert [x.external_id for x in counting_results(results, "nucleic_acid")] == ["b", "a"]
