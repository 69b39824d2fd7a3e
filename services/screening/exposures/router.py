"""Exposure tracing over HTTP: who may have been exposed to a person, as JSON or CSV."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request

from services.screening.clients.appointments import AppointmentsUnavailable
from services.screening.exposures.download import exposures_csv
from services.screening.exposures.schemas import ExposureListPublic
from services.screening.exposures.service import TracingSources, read_exposures
from services.screening.persons.service import sees_identity
from services.screening.web import PersonId, utc_now
from shared.audit import Audit
from shared.auth import Principal, require
from shared.auth.roles import ADMIN, DOCTOR, INFECTION_CONTROL
from shared.db import DbSession
from shared.fields import PlausibleTimestamp
from shared.web.problems import problem_response

router = APIRouter(tags=["exposure tracing"])
Tracer = Annotated[Principal, Depends(require(INFECTION_CONTROL, DOCTOR, ADMIN))]

# `from`/`to`: a year from 2000 to 2099 as written (the document says so).
Instant = PlausibleTimestamp


@router.get(
    "/persons/{external_id}/exposures",
    response_model=ExposureListPublic,
    summary="Who may have been exposed to this person",
    description=(
        "Default window: from 14 days before the person's first positive `nucleic_acid` "
        "result (final/corrected, counting versions) of the last 30 days, else 14 days before "
        "now, until now; `from`/`to` override either bound. Each exposed person once, with "
        "every reason in `why` and the earliest contact in `when`: others checked in to the "
        "same department within 2 hours (inclusive; WARDGATE_EXPOSURE_CONTACT_MINUTES) of one "
        "of the person's own check-ins in the window, whatever the outcome "
        "(`same_department_visit`, asked of the appointments service with the caller's token); "
        "inpatients and staff of the same ward (`same_ward`); the person's caregivers "
        "(`caregiver`); for a caregiver, the patient they escort (`escorted_patient`). "
        "`status`: `compliant`, `noncompliant` with `lacking`, or `unregistered` (known only "
        "to the appointments service). When the appointments service cannot answer within "
        "APPOINTMENTS_TIMEOUT_S: 503 `appointments_unavailable`, never a partial list. "
        "`visit_outcomes`: what each same-department contact's own check-in decided (a contact "
        "sent to the fever clinic at that visit is not an all-clear, whatever `status` says); "
        "`phone` from the person record (full for infection control and doctors, masked for "
        "admins). `Accept: text/csv` downloads the same list as CSV (UTF-8 with a BOM, hospital "
        "local time, each code followed by its English words). Every read is audited. "
        "Roles: infection_control, doctor, admin."
    ),
    responses={
        200: {"content": {"text/csv": {}}},
        404: {"description": "`unknown_person`"},
        422: {"description": "`validation_error` (a naive or implausible time, from >= to)"},
        503: {"description": "`appointments_unavailable`"},
    },
)
def get_exposures(
    request: Request,
    external_id: PersonId,
    session: DbSession,
    audit: Audit,
    principal: Tracer,
    from_: Annotated[Instant | None, Query(alias="from")] = None,
    to: Instant | None = None,
) -> Any:
    wants_csv = "text/csv" in request.headers.get("accept", "")
    sources = TracingSources.of(request.app.state)
    try:
        traced = read_exposures(
            session,
            audit,
            principal,
            external_id,
            (from_, to),
            sources,
            now=utc_now(),
            as_csv=wants_csv,
        )
    except AppointmentsUnavailable as exc:
        return problem_response(exc)  # the audit row of the attempt is committed
    full = sees_identity(principal)  # infection control and doctors call them; admins not
    if wants_csv:
        return exposures_csv(traced, request.app.state.settings.timezone, full_phone=full)
    return ExposureListPublic.of(traced, full_phone=full)
