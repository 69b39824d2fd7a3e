"""The contract's words, defined once for every service: test types, results, result statuses,
person categories, screening states, discharge dispositions and outcomes.

StrEnums compare equal to their text (`TestType.NUCLEIC_ACID == "nucleic_acid"`), so rows,
JSON and query strings carry the plain codes the contract names.
"""

from __future__ import annotations

from enum import StrEnum


class Category(StrEnum):
    """Who a person is to the hospital."""

    STAFF = "staff"
    INPATIENT = "inpatient"
    OUTPATIENT = "outpatient"
    CAREGIVER = "caregiver"
    PUBLIC = "public"  # a resident or visitor who asked for a test


class TestType(StrEnum):
    """The screening tests the hospital runs."""

    __test__ = False  # not a pytest test class, whatever its name

    NUCLEIC_ACID = "nucleic_acid"
    ANTIBODY_IGM = "antibody_igm"
    ANTIBODY_IGG = "antibody_igg"
    CHEST_CT = "chest_ct"
    BLOOD_ROUTINE = "blood_routine"


class ResultValue(StrEnum):
    """What a result reads: infection tests and imaging/blood tests have their own words."""

    NEGATIVE = "negative"
    POSITIVE = "positive"
    INDETERMINATE = "indeterminate"
    NORMAL = "normal"
    ABNORMAL = "abnormal"


class ResultStatus(StrEnum):
    """Where a result version stands; corrections are new versions, never overwrites."""

    PRELIMINARY = "preliminary"
    FINAL = "final"
    CORRECTED = "corrected"
    ENTERED_IN_ERROR = "entered_in_error"


class ScreeningState(StrEnum):
    """A required test's state against the policy."""

    OK = "ok"
    MISSING = "missing"
    EXPIRED = "expired"
    POSITIVE = "positive"
    INDETERMINATE = "indeterminate"
    PENDING = "pending"
    ABNORMAL = "abnormal"


class Disposition(StrEnum):
    """Where a discharged patient goes."""

    HOME = "home"
    TRANSFER = "transfer"
    DESIGNATED_HOSPITAL = "designated_hospital"
    DEATH = "death"


class Outcome(StrEnum):
    """What became of a discharge attempt."""

    DISCHARGED = "discharged"
    BLOCKED = "blocked"
    EXCEPTION = "exception"


class ResultMethod(StrEnum):
    """How a specimen was tested: on its own, or in a pool of up to ten swabs (混采)."""

    INDIVIDUAL = "individual"
    POOLED = "pooled"  # made only by a pool's result, one version for each member


class PoolState(StrEnum):
    """Where a pool stands: open until a result reads it."""

    OPEN = "open"
    NEGATIVE = "negative"
    POSITIVE = "positive"
    INDETERMINATE = "indeterminate"


class RetestState(StrEnum):
    """A member of a positive or indeterminate pool who needs an individual test."""

    OPEN = "open"
    DONE = "done"


# Nucleic-acid and antibody results: the tests that gate discharge and raise alerts.
INFECTION_TESTS = frozenset({TestType.NUCLEIC_ACID, TestType.ANTIBODY_IGM, TestType.ANTIBODY_IGG})
# Result statuses that count (the newest of these is the result that counts).
COUNTING_STATUSES = frozenset({ResultStatus.FINAL, ResultStatus.CORRECTED})
# Result statuses that make a new version of an existing result.
AMENDING_STATUSES = frozenset({ResultStatus.CORRECTED, ResultStatus.ENTERED_IN_ERROR})


class ReportKind(StrEnum):
    """A report to public health: the first one of a positive, or a later change to it."""

    INITIAL = "initial"
    CORRECTION = "correction"
    CANCEL = "cancel"


class ReportState(StrEnum):
    """Where a report to public health stands (`overdue`: not delivered by its `due_at`)."""

    PENDING = "pending"
    DELIVERED = "delivered"
    OVERDUE = "overdue"
    FAILED = "failed"


class ReviewChange(StrEnum):
    """What made a discharge need a review: its evidence corrected or voided, or a positive
    whose specimen predates the discharge."""

    CORRECTED = "corrected"
    VOIDED = "voided"
    LATE_POSITIVE = "late_positive"


class ReviewState(StrEnum):
    """A discharge review: waiting for infection control, or closed with a resolution."""

    OPEN = "open"
    CLOSED = "closed"


class ReviewResolution(StrEnum):
    """How infection control closed a discharge review."""

    NO_ACTION = "no_action"
    PATIENT_RECALLED = "patient_recalled"
    PUBLIC_HEALTH_NOTIFIED = "public_health_notified"
