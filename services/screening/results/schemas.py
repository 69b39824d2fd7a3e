"""API models of screening results (inputs forbid unknown fields, server-owned ones included)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictFloat, StringConstraints

from services.screening.domain.catalogue import TESTS, result_problems
from services.screening.results.repository import ReceivedRow, ResultRow
from shared.errors import field_error
from shared.fields import FreeText, Identifier, Name, Timestamp
from shared.vocabulary import Category, ResultMethod, ResultStatus, ResultValue, TestType

Loinc = Annotated[str, StringConstraints(max_length=16, pattern=r"^[0-9]{1,7}-[0-9]$")]
ValueName = Annotated[
    str, StringConstraints(min_length=1, max_length=64, pattern=r"^[a-z][a-z0-9_]*$")
]
Unit = Annotated[str, StringConstraints(min_length=1, max_length=32, pattern=r"^[^\x00-\x1f]+$")]

# Error types (stable codes) of the checks a schema cannot make; pages explain them by type.
IN_THE_FUTURE = "in_the_future"
TOO_OLD = "before_2000"

# Clocks of laboratory systems drift a little; a specimen further ahead is refused.
CLOCK_SKEW = timedelta(minutes=5)
# A specimen older than this is a data-entry error (or a Unix-epoch default), not a test.
EARLIEST_SPECIMEN = datetime(2000, 1, 1, tzinfo=UTC)


class Measurement(BaseModel):
    """One blood-routine value with its unit, e.g. `{"value": 6.1, "unit": "10^9/L"}`."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    value: StrictFloat
    unit: Unit


class ResultCreate(BaseModel):
    """A screening result as the laboratory sends it."""

    model_config = ConfigDict(extra="forbid")

    external_id: Identifier
    person_external_id: Identifier
    test_type: TestType
    result: ResultValue | None = None
    status: ResultStatus
    specimen_collected_at: Timestamp
    resulted_at: Timestamp | None = None
    loinc: Loinc | None = Field(default=None, description="Defaults to the test type's code.")
    values: Annotated[dict[ValueName, Measurement], Field(max_length=50)] | None = None
    performer: Name | None = None
    note: FreeText | None = None
    method: Literal[ResultMethod.INDIVIDUAL] | None = Field(
        default=None,
        description="`individual` (the default). Pooled results are made only by a pool's result.",
    )

    def problems(self, now: datetime) -> list[dict[str, Any]]:
        """Per-field errors a schema cannot see: result vs test type, LOINC, times."""
        errors = [
            field_error(f, msg, code)
            for f, code, msg in result_problems(
                self.test_type, self.result, self.status, self.loinc, self.values is not None
            )
        ]
        collected = self.specimen_collected_at
        if collected > now + CLOCK_SKEW:
            errors.append(field_error("specimen_collected_at", "is in the future", IN_THE_FUTURE))
        elif collected < EARLIEST_SPECIMEN:
            errors.append(field_error("specimen_collected_at", "is before the year 2000", TOO_OLD))
        if self.resulted_at is not None:
            if self.resulted_at < collected:
                message = "is before the specimen was collected"
                errors.append(field_error("resulted_at", message, "before_specimen"))
            elif self.resulted_at > now + CLOCK_SKEW:
                errors.append(field_error("resulted_at", "is in the future", IN_THE_FUTURE))
        return errors

    def content(self) -> dict[str, Any]:
        """The stored content, normalised (default LOINC, UTC timestamps, plain codes)."""
        values = None
        if self.values is not None:
            values = {k: v.model_dump() for k, v in sorted(self.values.items())}
        return {
            "external_id": self.external_id,
            "person_external_id": self.person_external_id,
            "test_type": self.test_type.value,
            "result": self.result.value if self.result is not None else None,
            "status": self.status.value,
            "specimen_collected_at": self.specimen_collected_at.astimezone(UTC),
            "resulted_at": self.resulted_at.astimezone(UTC) if self.resulted_at else None,
            "loinc": self.loinc or TESTS[self.test_type].loinc,
            "values": values,
            "performer": self.performer,
            "note": self.note,
        }


class ResultBatch(BaseModel):
    """Up to 5,000 results; each is validated on its own and reported by index."""

    model_config = ConfigDict(extra="forbid")

    results: Annotated[list[Any], Field(min_length=1, max_length=5000)]


class ItemRejection(BaseModel):
    """Why one batch item was not stored."""

    index: int
    errors: list[dict[str, Any]]


class BatchOutcome(BaseModel):
    """What happened to a batch: every item is accepted, a duplicate, or rejected."""

    accepted: int
    duplicates: int
    rejected: list[ItemRejection]


class ResultRef(BaseModel):
    """The version a correction or voiding replaces."""

    external_id: str
    version: int


class ResultPublic(BaseModel):
    """One stored version of a result."""

    external_id: str
    version: int
    person_external_id: str
    test_type: TestType
    result: ResultValue | None
    status: ResultStatus
    specimen_collected_at: datetime
    resulted_at: datetime | None
    loinc: str
    values: dict[str, Any] | None
    replaces: ResultRef | None = None
    performer: str | None = None
    note: str | None = None
    recorded_at: datetime
    method: ResultMethod = ResultMethod.INDIVIDUAL
    pool_id: str | None = None


def result_public(row: ResultRow) -> ResultPublic:
    """A stored version as answered, with what it replaces."""
    replaces = None
    if row.replaces_version is not None:
        replaces = ResultRef(external_id=row.external_id, version=row.replaces_version)
    return ResultPublic(
        external_id=row.external_id,
        version=row.version,
        person_external_id=row.person_external_id,
        test_type=TestType(row.test_type),
        result=ResultValue(row.result) if row.result is not None else None,
        status=ResultStatus(row.status),
        specimen_collected_at=row.specimen_collected_at,
        resulted_at=row.resulted_at,
        loinc=row.loinc,
        values=row.values,
        replaces=replaces,
        performer=row.performer,
        note=row.note,
        recorded_at=row.recorded_at,
        method=ResultMethod(row.method),
        pool_id=row.pool_id,
    )


class ReceivedResultPublic(ResultPublic):
    """A result's latest version in the list by time received, with whose it is."""

    person_name: str
    category: Category
    department: str


def received_public(row: ReceivedRow) -> ReceivedResultPublic:
    """A listed result as answered (names as in other lists; no phone or ID number)."""
    return ReceivedResultPublic(
        **result_public(row.result).model_dump(),
        person_name=row.person_name,
        category=Category(row.category),
        department=row.department,
    )
