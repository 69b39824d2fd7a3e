"""The isolation rules: which result isolates a person, and when they may be released.

Release: two individual negative nucleic-acid results (final or corrected, not voided)
collected at least 24 hours apart, both after the last positive nucleic-acid result.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from shared.vocabulary import COUNTING_STATUSES, ResultValue, TestType

INDIVIDUAL = "individual"
POSITIVE_RESULT = "positive_result"  # the reason of an automatic isolation
NEGATIVES_APART = timedelta(hours=24)


class IsolationState(StrEnum):
    """Where a person stands: never isolated, isolated now, or released."""

    NONE = "none"
    ISOLATED = "isolated"
    RELEASED = "released"


class ReleaseRefusal(StrEnum):
    """Why a release is not allowed yet (the `reasons` of `release_not_allowed`)."""

    NOT_ISOLATED = "not_isolated"
    NEGATIVES_MISSING = "two_negatives_required"
    NEGATIVES_TOO_CLOSE = "negatives_less_than_24h_apart"


@dataclass(frozen=True, slots=True)
class NucleicAcidVersion:
    """One stored version of a person's nucleic-acid result (what the rules read)."""

    external_id: str
    version: int
    result: str | None
    status: str
    method: str
    collected_at: datetime


def isolates(test_type: str, result: str | None, status: str, method: str) -> bool:
    """True for a final or corrected individual positive nucleic-acid version."""
    return (
        test_type == TestType.NUCLEIC_ACID
        and result == ResultValue.POSITIVE
        and status in COUNTING_STATUSES
        and method == INDIVIDUAL
    )


def counting(versions: Iterable[NucleicAcidVersion]) -> list[NucleicAcidVersion]:
    """The latest version of each result, when it is final or corrected (voids dropped)."""
    latest: dict[str, NucleicAcidVersion] = {}
    for v in versions:
        seen = latest.get(v.external_id)
        if seen is None or v.version > seen.version:
            latest[v.external_id] = v
    return [v for v in latest.values() if v.status in COUNTING_STATUSES]


def release_refusals(
    state: IsolationState, versions: Iterable[NucleicAcidVersion]
) -> list[ReleaseRefusal]:
    """Why the person may not be released now; empty when the two-negatives rule is met."""
    if state != IsolationState.ISOLATED:
        return [ReleaseRefusal.NOT_ISOLATED]
    live = counting(versions)
    positives = [v.collected_at for v in live if v.result == ResultValue.POSITIVE]
    last_positive = max(positives, default=None)
    negatives = sorted(
        v.collected_at
        for v in live
        if v.result == ResultValue.NEGATIVE
        and v.method == INDIVIDUAL
        and (last_positive is None or v.collected_at > last_positive)
    )
    if len(negatives) < 2:
        return [ReleaseRefusal.NEGATIVES_MISSING]
    if negatives[-1] - negatives[0] < NEGATIVES_APART:
        return [ReleaseRefusal.NEGATIVES_TOO_CLOSE]
    return []
