"""Input and output models of the screening API (inputs forbid unknown fields)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictFloat, StringConstraints, model_validator

from services.screening.domain.catalogue import TESTS, result_problems
from shared.errors import field_error
from shared.fields import FreeText, Identifier, Name, Phone, Timestamp

Category = Literal["staff", "inpatient", "outpatient", "caregiver"]
TestType = Literal["nucleic_acid", "antibody_igm", "antibody_igg", "chest_ct", "blood_routine"]
ResultValue = Literal["negative", "positive", "indeterminate", "normal", "abnormal"]
ResultStatus = Literal["preliminary", "final", "corrected", "entered_in_error"]
IdNumber = Annotated[str, StringConstraints(min_length=4, max_length=32, pattern=r"^[0-9A-Za-z]+$")]
Loinc = Annotated[str, StringConstraints(max_length=16, pattern=r"^[0-9]{1,7}-[0-9]$")]
ValueName = Annotated[
    str, StringConstraints(min_length=1, max_length=64, pattern=r"^[a-z][a-z0-9_]*$")
]
Unit = Annotated[str, StringConstraints(min_length=1, max_length=32, pattern=r"^[^\x00-\x1f]+$")]

# Clocks of laboratory systems drift a little; a specimen further ahead is refused.
CLOCK_SKEW = timedelta(minutes=5)
# A specimen older than this is a data-entry error (or a Unix-epoch default), not a test.
EARLIEST_SPECIMEN = datetime(2000, 1, 1, tzinfo=UTC)


class Input(BaseModel):
    """Base of request bodies: unknown fields (server-owned ones included) are refused."""

    model_config = ConfigDict(extra="forbid")


class PersonUpsert(Input):
    """A person as the HIS sends it (`PUT /persons/{external_id}` replaces every field)."""

    name: Name
    category: Category
    department: Identifier
    ward: Identifier | None = None
    admitted_at: Timestamp | None = Field(default=None, description="Inpatients only.")
    patient_external_id: Identifier | None = Field(
        default=None, description="Caregivers only (required for them): the patient they escort."
    )
    phone: Phone | None = None
    id_number: IdNumber | None = None

    @model_validator(mode="after")
    def _fits_category(self) -> PersonUpsert:
        if self.admitted_at is not None and self.category != "inpatient":
            raise ValueError("admitted_at is only for inpatients")
        if self.category == "caregiver" and self.patient_external_id is None:
            raise ValueError("a caregiver needs patient_external_id (the patient they escort)")
        if self.category != "caregiver" and self.patient_external_id is not None:
            raise ValueError("patient_external_id is only for caregivers")
        return self


class PersonPublic(BaseModel):
    """A person; `phone` and `id_number` are masked unless the caller may see them."""

    external_id: str
    name: str
    category: str
    department: str
    ward: str | None
    admitted_at: datetime | None
    patient_external_id: str | None
    phone: str | None
    id_number: str | None
    created_at: datetime
    updated_at: datetime


class Measurement(Input):
    """One blood-routine value with its unit, e.g. `{"value": 6.1, "unit": "10^9/L"}`."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    value: StrictFloat
    unit: Unit


class ResultCreate(Input):
    """A screening result as the laboratory sends it."""

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

    def problems(self, now: datetime) -> list[dict[str, Any]]:
        """Per-field errors a schema cannot see: result vs test type, LOINC, times."""
        errors = [
            field_error(f, msg)
            for f, msg in result_problems(
                self.test_type, self.result, self.status, self.loinc, self.values is not None
            )
        ]
        if self.specimen_collected_at > now + CLOCK_SKEW:
            errors.append(field_error("specimen_collected_at", "is in the future"))
        elif self.specimen_collected_at < EARLIEST_SPECIMEN:
            errors.append(field_error("specimen_collected_at", "is before the year 2000"))
        if self.resulted_at is not None:
            if self.resulted_at < self.specimen_collected_at:
                errors.append(field_error("resulted_at", "is before the specimen was collected"))
            elif self.resulted_at > now + CLOCK_SKEW:
                errors.append(field_error("resulted_at", "is in the future"))
        return errors

    def content(self) -> dict[str, Any]:
        """The stored content, normalised (default LOINC, UTC timestamps)."""
        values = None
        if self.values is not None:
            values = {k: v.model_dump() for k, v in sorted(self.values.items())}
        return {
            "external_id": self.external_id,
            "person_external_id": self.person_external_id,
            "test_type": self.test_type,
            "result": self.result,
            "status": self.status,
            "specimen_collected_at": self.specimen_collected_at.astimezone(UTC),
            "resulted_at": self.resulted_at.astimezone(UTC) if self.resulted_at else None,
            "loinc": self.loinc or TESTS[self.test_type].loinc,
            "values": values,
            "performer": self.performer,
            "note": self.note,
        }


class ResultBatch(Input):
    """Up to 5,000 results; each is validated on its own and reported by index."""

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
    test_type: str
    result: str | None
    status: str
    specimen_collected_at: datetime
    resulted_at: datetime | None
    loinc: str
    values: dict[str, Any] | None
    replaces: ResultRef | None = None
    performer: str | None = None
    note: str | None = None
    recorded_at: datetime


class StatusItem(BaseModel):
    """One required test: its state and the result that decided it."""

    test_type: str
    state: str
    result_external_id: str | None = None
    specimen_collected_at: datetime | None = None
    result: str | None = None


class ScreeningStatusPublic(BaseModel):
    """A person's screening status against the active policy."""

    external_id: str
    category: str
    compliant: bool
    evaluated_at: datetime
    items: list[StatusItem]


class Lack(BaseModel):
    """A required test that is not `ok`, and its state."""

    test_type: str
    state: str


class ComplianceItem(BaseModel):
    """One person and what they lack."""

    external_id: str
    name: str
    category: str
    department: str
    ward: str | None
    compliant: bool
    lacking: list[Lack]


class PolicyRequirementPublic(BaseModel):
    """One test a category needs and how long a result counts."""

    test_type: str
    within_days: float


class PolicyPublic(BaseModel):
    """The active screening policy."""

    source: str
    categories: dict[str, list[PolicyRequirementPublic]]
