"""API models of exposure lists."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from services.screening.domain.exposure import ExposureReason, ExposureState
from services.screening.exposures.service import ExposureList
from services.screening.status.schemas import Lack
from shared.masking import mask_phone
from shared.vocabulary import Category, ScreeningState, TestType


class ExposureIndex(BaseModel):
    """The person traced, and the positive result that opened the default window."""

    external_id: str
    first_positive_at: datetime | None = None


class ExposedPerson(BaseModel):
    """One exposed person: every reason, the earliest contact, their screening status."""

    external_id: str
    name: str | None = Field(description="From the screening service; else as checked in.")
    category: Category | None = Field(description="Null for persons unknown to screening.")
    why: list[ExposureReason]
    when: datetime = Field(description="The earliest contact within the window.")
    status: ExposureState
    lacking: list[Lack] | None = Field(default=None, description="For `noncompliant` only.")
    visit_outcomes: list[str] = Field(
        default=[],
        description="Outcomes of their own check-ins that made them a same-department "
        "contact (`admitted`, `redirected_fever_clinic`, `refused`), earliest first.",
    )
    phone: str | None = Field(
        default=None,
        description="From their person record; in full for infection control and doctors, "
        "masked for admins.",
    )


class ExposureListPublic(BaseModel):
    """The exposure list of one person."""

    model_config = ConfigDict(populate_by_name=True)

    index: ExposureIndex
    from_: datetime = Field(alias="from")
    to: datetime
    items: list[ExposedPerson]

    @classmethod
    def of(cls, traced: ExposureList, *, full_phone: bool = True) -> ExposureListPublic:
        """The traced list as the API answers it (phones masked unless `full_phone`)."""
        window = traced.window
        items = [
            ExposedPerson(
                external_id=i.external_id,
                name=i.name,
                category=Category(i.category) if i.category else None,
                why=list(i.why),
                when=i.when,
                status=i.status,
                lacking=None
                if i.lacking is None
                else [
                    Lack(test_type=TestType(x.test_type), state=ScreeningState(x.state))
                    for x in i.lacking
                ],
                visit_outcomes=list(i.visit_outcomes),
                phone=i.phone if full_phone else mask_phone(i.phone),
            )
            for i in traced.items
        ]
        return cls(
            index=ExposureIndex(
                external_id=traced.index_external_id, first_positive_at=window.first_positive_at
            ),
            from_=window.start,
            to=window.end,
            items=items,
        )
