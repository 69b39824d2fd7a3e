"""Exposure tracing: who may have been exposed to a person, as JSON or a CSV download."""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field
from sqlmodel import Session

from services.screening.api.deps import PersonId, utc_now
from services.screening.clients.appointments import AppointmentsClient, AppointmentsUnavailable
from services.screening.exposure_tracing import (
    ExposureList,
    VisitSource,
    begin_trace,
    finish_trace,
    visit_exposures,
)
from services.screening.repository import persons
from services.screening.schemas import Category, Lack
from services.screening.settings import ScreeningSettings
from shared.audit import Audit
from shared.auth import Principal, require
from shared.auth.roles import ADMIN, DOCTOR, INFECTION_CONTROL
from shared.db import DbSession
from shared.errors import NotFound, Unprocessable, field_error
from shared.fields import PlausibleTimestamp
from shared.service_client import relay_headers
from shared.web.problems import problem_response

router = APIRouter(tags=["exposure tracing"])
Tracer = Annotated[Principal, Depends(require(INFECTION_CONTROL, DOCTOR, ADMIN))]
Reason = Literal["same_department_visit", "same_ward", "caregiver", "escorted_patient"]
ExposureState = Literal["compliant", "noncompliant", "unregistered"]
LONGEST_WINDOW = timedelta(days=366)
CSV_COLUMNS = ("external_id", "name", "category", "why", "when", "status", "lacking")


# `from`/`to`: a year from 2000 to 2099 as written (the document says so).
Instant = PlausibleTimestamp


class ExposureIndex(BaseModel):
    """The person traced, and the positive result that opened the default window."""

    external_id: str
    first_positive_at: datetime | None = None


class ExposedPerson(BaseModel):
    """One exposed person: every reason, the earliest contact, their screening status."""

    external_id: str
    name: str | None = Field(description="From the screening service; else as checked in.")
    category: Category | None = Field(description="Null for persons unknown to screening.")
    why: list[Reason]
    when: datetime = Field(description="The earliest contact within the window.")
    status: ExposureState
    lacking: list[Lack] | None = Field(default=None, description="For `noncompliant` only.")


class ExposureListPublic(BaseModel):
    """The exposure list of one person."""

    model_config = ConfigDict(populate_by_name=True)

    index: ExposureIndex
    from_: datetime = Field(alias="from")
    to: datetime
    items: list[ExposedPerson]


def _document(traced: ExposureList) -> dict[str, Any]:
    window = traced.window
    return {
        "index": {
            "external_id": traced.index_external_id,
            "first_positive_at": window.first_positive_at,
        },
        "from": window.start,
        "to": window.end,
        "items": traced.items,
    }


def _cell(value: str) -> str:
    # A leading =, +, -, @ would make a spreadsheet run the cell as a formula.
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


def exposures_csv(traced: ExposureList) -> Response:
    """The list as a CSV download (one row per exposed person)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(CSV_COLUMNS)
    for item in traced.items:
        lacking = ";".join(f"{x['test_type']}:{x['state']}" for x in item["lacking"] or [])
        row = (
            item["external_id"],
            item["name"] or "",
            item["category"] or "",
            ";".join(item["why"]),
            item["when"].astimezone(UTC).isoformat(),
            item["status"],
            lacking,
        )
        writer.writerow([_cell(str(v)) for v in row])
    name = re.sub(r"[^A-Za-z0-9._-]", "_", traced.index_external_id)
    return Response(
        buffer.getvalue(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="exposures-{name}.csv"'},
    )


def _check_window(start: datetime | None, end: datetime | None) -> None:
    if start is not None and end is not None and not start < end:
        raise Unprocessable(
            "`from` must be before `to`.", errors=[field_error("from", "must be before to")]
        )


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
        "`Accept: text/csv` downloads the same list as CSV. Every read is audited. "
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
    try:
        traced = read_exposures(
            request, session, audit, principal, external_id, from_, to, as_csv=wants_csv
        )
    except AppointmentsUnavailable as exc:
        return problem_response(exc)  # the audit row of the attempt is committed
    return exposures_csv(traced) if wants_csv else _document(traced)


def read_exposures(
    request: Request,
    session: Session,
    audit: Audit,
    principal: Principal,
    external_id: str,
    start: datetime | None,
    end: datetime | None,
    *,
    as_csv: bool = False,
) -> ExposureList:
    """Trace and audit one read (the API route and the web page both call this).

    Raises NotFound, Unprocessable, or AppointmentsUnavailable after auditing the attempt.
    """
    _check_window(start, end)
    now = utc_now()
    app = request.app
    # The person's own facts are read in a short transaction of their own, so that none is
    # held open (on SQLite: none blocks writers) while the appointments service is asked.
    with Session(app.state.engine) as reading:
        person = persons.get_person(reading, external_id)
        if person is None:
            raise NotFound("No person with this external_id.", code="unknown_person")
        begun = begin_trace(reading, person, now=now, start=start, end=end)
        reading.commit()
    _check_window(begun.window.start, begun.window.end)
    if begun.window.end - begun.window.start > LONGEST_WINDOW:
        raise Unprocessable(
            "The window may span at most 366 days.",
            errors=[field_error("from", "window longer than 366 days")],
        )
    appointments: AppointmentsClient = app.state.appointments
    settings: ScreeningSettings = app.state.settings
    source = VisitSource(appointments, relay_headers(principal, appointments.service_token))
    resource = f"person/{external_id}"
    try:
        visits = visit_exposures(source, begun, settings.exposure_contact_reach)
    except AppointmentsUnavailable:
        audit.record("exposures.read", resource, "appointments_unavailable")
        raise
    traced = finish_trace(session, begun, app.state.policy, visits, now=now)
    audit.record(
        "exposures.read",
        resource,
        count=len(traced.items),
        format="csv" if as_csv else "json",
        window_from=traced.window.start.isoformat(),
        window_to=traced.window.end.isoformat(),
    )
    return traced
