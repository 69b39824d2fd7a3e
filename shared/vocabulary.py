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


# Nucleic-acid and antibody results: the tests that gate discharge and raise alerts.
INFECTION_TESTS = frozenset({TestType.NUCLEIC_ACID, TestType.ANTIBODY_IGM, TestType.ANTIBODY_IGG})
# Result statuses that count (the newest of these is the result that counts).
COUNTING_STATUSES = frozenset({ResultStatus.FINAL, ResultStatus.CORRECTED})
# Result statuses that make a new version of an existing result.
AMENDING_STATUSES = frozenset({ResultStatus.CORRECTED, ResultStatus.ENTERED_IN_ERROR})
