"""The isolation rules, table-driven: what isolates, and the two-negatives release rule."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from services.screening.domain.isolation import (
    IsolationState,
    NucleicAcidVersion,
    ReleaseRefusal,
    isolates,
    release_refusals,
)

T0 = datetime(2026, 12, 1, 8, tzinfo=UTC)


def na(
    ext: str, hours: float, result: str, status: str = "final", **kw: object
) -> NucleicAcidVersion:
    return NucleicAcidVersion(
        external_id=ext,
        version=int(kw.get("version", 1)),  # type: ignore[call-overload]
        result=result,
        status=status,
        method=str(kw.get("method", "individual")),
        collected_at=T0 + timedelta(hours=hours),
    )


@pytest.mark.parametrize(
    ("test_type", "result", "status", "method", "expected"),
    [
        ("nucleic_acid", "positive", "final", "individual", True),
        ("nucleic_acid", "positive", "corrected", "individual", True),
        ("nucleic_acid", "positive", "preliminary", "individual", False),
        ("nucleic_acid", "positive", "entered_in_error", "individual", False),
        ("nucleic_acid", "positive", "final", "pooled", False),
        ("nucleic_acid", "negative", "final", "individual", False),
        ("nucleic_acid", "indeterminate", "final", "individual", False),
        ("antibody_igm", "positive", "final", "individual", False),
    ],
)
def test_what_isolates(test_type, result, status, method, expected):
    assert isolates(test_type, result, status, method) is expected


POS = na("R0", 0, "positive")
MISSING = [ReleaseRefusal.NEGATIVES_MISSING]
CLOSE = [ReleaseRefusal.NEGATIVES_TOO_CLOSE]


@pytest.mark.parametrize(
    ("versions", "expected"),
    [
        pytest.param([POS, na("N1", 24, "negative"), na("N2", 48, "negative")], [], id="24h-apart"),
        pytest.param(
            [POS, na("N1", 24, "negative"), na("N2", 47.9, "negative")], CLOSE, id="too-close"
        ),
        pytest.param([POS, na("N1", 24, "negative")], MISSING, id="one-negative"),
        pytest.param([POS], MISSING, id="no-negative"),
        pytest.param(
            [na("N1", -48, "negative"), na("N2", -1, "negative"), POS],
            MISSING,
            id="before-positive",
        ),
        pytest.param(
            [POS, na("N1", 24, "negative"), na("P2", 30, "positive"), na("N2", 60, "negative")],
            MISSING,
            id="a-later-positive-resets",
        ),
        pytest.param(
            [POS, na("N1", 24, "negative", method="pooled"), na("N2", 48, "negative")],
            MISSING,
            id="pooled-negative-does-not-count",
        ),
        pytest.param(
            [POS, na("N1", 24, "negative", status="preliminary"), na("N2", 48, "negative")],
            MISSING,
            id="preliminary-does-not-count",
        ),
        pytest.param(
            [
                POS,
                na("N1", 24, "negative"),
                na("N1", 24, "negative", status="entered_in_error", version=2),
                na("N2", 48, "negative"),
            ],
            MISSING,
            id="voided-negative-does-not-count",
        ),
        pytest.param(
            [
                POS,
                na("R0", 0, "negative", status="corrected", version=2),
                na("N1", -30, "negative"),
                na("N2", 1, "negative"),
            ],
            [],
            id="positive-corrected-to-negative",
        ),
        pytest.param(
            [na("N1", 0, "negative"), na("N2", 24, "negative")], [], id="by-hand-no-positive"
        ),
    ],
)
def test_release_rule(versions, expected):
    assert release_refusals(IsolationState.ISOLATED, versions) == expected


@pytest.mark.parametrize("state", [IsolationState.NONE, IsolationState.RELEASED])
def test_only_the_isolated_are_released(state):
    good = [POS, na("N1", 24, "negative"), na("N2", 48, "negative")]
    assert release_refusals(state, good) == [ReleaseRefusal.NOT_ISOLATED]
