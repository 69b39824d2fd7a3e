"""API models of persons (inputs forbid unknown fields, server-owned ones included)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Self

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator
from pydantic_core import PydanticCustomError

from services.screening.domain.isolation import IsolationState
from services.screening.persons.repository import PersonRow
from services.screening.results.schemas import ResultPublic
from shared.fields import Identifier, Name, Phone, Timestamp
from shared.masking import mask_id_number, mask_phone
from shared.pagination import Page
from shared.vocabulary import Category

IdNumber = Annotated[str, StringConstraints(min_length=4, max_length=32, pattern=r"^[0-9A-Za-z]+$")]


ADMISSION_NOT_INPATIENT = "admitted_at_not_inpatient"
CAREGIVER_WITHOUT_PATIENT = "caregiver_without_patient"
PATIENT_NOT_CAREGIVER = "patient_not_caregiver"


class PersonUpsert(BaseModel):
    """A person as the HIS sends it (`PUT /persons/{external_id}` replaces every field)."""

    model_config = ConfigDict(extra="forbid")

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
        # Stable error types (pages explain them by type, never by the English words).
        if self.admitted_at is not None and self.category != Category.INPATIENT:
            raise PydanticCustomError(ADMISSION_NOT_INPATIENT, "admitted_at is only for inpatients")
        if self.category == Category.CAREGIVER and self.patient_external_id is None:
            raise PydanticCustomError(
                CAREGIVER_WITHOUT_PATIENT,
                "a caregiver needs patient_external_id (the patient they escort)",
            )
        if self.category != Category.CAREGIVER and self.patient_external_id is not None:
            raise PydanticCustomError(
                PATIENT_NOT_CAREGIVER, "patient_external_id is only for caregivers"
            )
        return self


class AdmissionPublic(BaseModel):
    """The person's current admission and, once the discharge service sent it, its end."""

    admitted_at: datetime | None
    discharged_at: datetime | None = Field(
        description="Set once the patient was discharged (or left by an audited exception)."
    )
    disposition: str | None = Field(description="home, transfer, designated_hospital or death.")


def admission_of(row: PersonRow) -> AdmissionPublic | None:
    """The admission a stored person is in (or ended), None for someone never admitted."""
    if row.admitted_at is None and row.discharged_at is None:
        return None
    return AdmissionPublic(
        admitted_at=row.admitted_at, discharged_at=row.discharged_at, disposition=row.disposition
    )


class IsolationPublic(BaseModel):
    """Whether the person is isolated: `none`, `isolated` (since when, why) or `released`."""

    state: IsolationState
    since: datetime | None = None
    reason: str | None = None
    released_at: datetime | None = None


def isolation_of(row: PersonRow) -> IsolationPublic:
    """The isolation state a stored person read carries (its newest isolation event)."""
    if row.isolation_state is None:
        return IsolationPublic(state=IsolationState.NONE)
    return IsolationPublic(
        state=IsolationState(row.isolation_state),
        since=row.isolated_since,
        reason=row.isolation_reason,
        released_at=row.released_at,
    )


class PersonPublic(BaseModel):
    """A person; `phone` and `id_number` are masked unless the caller may see them."""

    external_id: str
    name: str
    category: Category
    department: str
    ward: str | None
    admitted_at: datetime | None
    patient_external_id: str | None
    phone: str | None
    id_number: str | None
    created_at: datetime
    updated_at: datetime
    admission: AdmissionPublic | None = Field(
        default=None,
        description="Inpatients: `{admitted_at, discharged_at, disposition}`; `discharged_at`"
        " is set once the discharge service has carried the discharge here.",
    )
    isolation: IsolationPublic = Field(
        default_factory=lambda: IsolationPublic(state=IsolationState.NONE),
        description="`{state: none|isolated|released, since?, reason?, released_at?}`.",
    )

    @classmethod
    def of(cls, row: PersonRow, *, full: bool, **more: Any) -> Self:
        """A stored person as answered: phone and ID number masked unless `full`."""
        return cls(
            **more,
            external_id=row.external_id,
            name=row.name,
            category=Category(row.category),
            department=row.department,
            ward=row.ward,
            admitted_at=row.admitted_at,
            patient_external_id=row.patient_external_id,
            phone=row.phone if full else mask_phone(row.phone),
            id_number=row.id_number if full else mask_id_number(row.id_number),
            created_at=row.created_at,
            updated_at=row.updated_at,
            admission=admission_of(row),
            isolation=isolation_of(row),
        )


class PersonRecordPublic(PersonPublic):
    """A person with every version of their results (`GET /persons/{id}?include=results`)."""

    results: Page[ResultPublic] | None = Field(
        default=None,
        description="With `include=results` only: every version, newest recorded first; "
        "`next_cursor` continues on `GET /persons/{id}/results?include_history=true`.",
    )
