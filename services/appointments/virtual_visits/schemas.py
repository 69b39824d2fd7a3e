"""Virtual visit models of the API, and stored visits shaped into answers."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from pydantic import BaseModel

from services.appointments.inputs import HospitalTime, InputModel
from services.appointments.models import VirtualVisit
from shared.fields import Identifier, Name, Phone
from shared.masking import mask_phone


class VirtualVisitCreate(InputModel):
    """`POST /virtual-visits`: a video visit to an inpatient."""

    patient_external_id: Identifier
    visitor_name: Name
    visitor_phone: Phone
    start: HospitalTime


class VirtualVisitPublic(BaseModel):
    """A virtual visit; the visitor's phone masked."""

    id: str
    patient_external_id: str
    ward: str
    visitor_name: str
    visitor_phone: str | None
    start: datetime
    window_start: datetime
    window_end: datetime
    join_url: str
    status: str
    created_at: datetime


def visit_public(visit: VirtualVisit, tz: ZoneInfo) -> VirtualVisitPublic:
    """A virtual visit answer."""
    return VirtualVisitPublic(
        id=visit.id,
        patient_external_id=visit.patient_external_id,
        ward=visit.ward,
        visitor_name=visit.visitor_name,
        visitor_phone=mask_phone(visit.visitor_phone),
        start=visit.start.astimezone(tz),
        window_start=visit.window_start.astimezone(tz),
        window_end=visit.window_end.astimezone(tz),
        join_url=visit.join_url,
        status=visit.status,
        created_at=visit.created_at.astimezone(tz),
    )
