"""When a later result version puts a discharge in doubt (pure rules, no I/O).

Two triggers, in this order (one review per discharge and version):
- the version supersedes a result the discharge relied on (its stored evidence holds an
  older version of it): `voided` for `entered_in_error`, else `corrected`;
- a final or corrected individual positive nucleic acid of the same patient, not in the
  evidence, whose specimen was collected at most 14 days before the discharge, that reached
  screening after the discharge (less `ARRIVAL_SKEW`, for a positive committed while the
  discharge was being decided and for clocks of two hosts), the discharge being at most 30
  days older than the version: `late_positive`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from shared.vocabulary import (
    COUNTING_STATUSES,
    ResultMethod,
    ResultStatus,
    ResultValue,
    ReviewChange,
    TestType,
)

SPECIMEN_BEFORE_DISCHARGE = timedelta(days=14)
DISCHARGE_LOOKBACK = timedelta(days=30)
ARRIVAL_SKEW = timedelta(minutes=5)


@dataclass(frozen=True, slots=True)
class ChangedVersion:
    """A result version from screening's change feed."""

    result_external_id: str
    version: int
    person_external_id: str
    test_type: str
    result: str | None
    status: str
    method: str
    specimen_collected_at: datetime
    recorded_at: datetime


@dataclass(frozen=True, slots=True)
class DischargeRelied:
    """A `discharged` record and the version of each result its evidence holds."""

    discharge_id: int
    patient_external_id: str
    created_at: datetime
    evidence: Mapping[str, int]  # result_external_id -> version relied on


@dataclass(frozen=True, slots=True)
class ReviewTrigger:
    """A review to open: which discharge, which version, what changed."""

    discharge_id: int
    patient_external_id: str
    result_external_id: str
    version: int
    change: ReviewChange
    result_recorded_at: datetime


def is_positive_nucleic_acid(version: ChangedVersion) -> bool:
    """A final or corrected individual positive nucleic-acid result."""
    return (
        version.test_type == TestType.NUCLEIC_ACID
        and version.method == ResultMethod.INDIVIDUAL
        and version.result == ResultValue.POSITIVE
        and version.status in COUNTING_STATUSES
    )


def _late_positive(version: ChangedVersion, discharge: DischargeRelied) -> bool:
    at = discharge.created_at
    return (
        is_positive_nucleic_acid(version)
        and version.person_external_id == discharge.patient_external_id
        and at - SPECIMEN_BEFORE_DISCHARGE <= version.specimen_collected_at <= at
        and version.recorded_at >= at - ARRIVAL_SKEW
        and version.recorded_at - at <= DISCHARGE_LOOKBACK
    )


def review_change(version: ChangedVersion, discharge: DischargeRelied) -> ReviewChange | None:
    """What this version changes about this discharge, or None."""
    relied = discharge.evidence.get(version.result_external_id)
    if relied is not None:
        if version.version <= relied:
            return None  # the version the discharge saw, or an older one
        if version.status == ResultStatus.ENTERED_IN_ERROR:
            return ReviewChange.VOIDED
        return ReviewChange.CORRECTED
    if _late_positive(version, discharge):
        return ReviewChange.LATE_POSITIVE
    return None


def review_triggers(
    versions: Iterable[ChangedVersion], discharges: Iterable[DischargeRelied]
) -> list[ReviewTrigger]:
    """Every (discharge, version) pair that needs a review."""
    candidates = list(discharges)
    found: list[ReviewTrigger] = []
    for version in versions:
        for discharge in candidates:
            change = review_change(version, discharge)
            if change is not None:
                found.append(
                    ReviewTrigger(
                        discharge.discharge_id,
                        discharge.patient_external_id,
                        version.result_external_id,
                        version.version,
                        change,
                        version.recorded_at,
                    )
                )
    return found
