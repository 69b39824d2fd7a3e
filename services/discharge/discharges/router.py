"""POST /discharges (the gate), GET /discharges (JSON pages or CSV) and GET /discharges/{id}."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import JSONResponse, Response, StreamingResponse

from services.discharge.dependencies import (
    ClinicalWriter,
    HospitalZone,
    ReportReader,
    Screening,
    Windows,
)
from services.discharge.discharges.export import CSV_HEADERS, CSV_MEDIA_TYPE
from services.discharge.discharges.schemas import (
    DischargeCreate,
    DischargeFilter,
    DischargePublic,
)
from services.discharge.discharges.service import (
    DischargeAnswer,
    Discharged,
    Refused,
    export_discharges,
    list_discharges,
    read_discharge,
    record_discharge,
)
from shared.audit import Audit
from shared.db import DbSession
from shared.fields import Identifier, Timestamp
from shared.idempotency import IdempotencyKeyHeader
from shared.pagination import CursorParam, Limit, Page
from shared.vocabulary import Outcome
from shared.web.problems import problem_response

router = APIRouter()

PROBLEM: dict[str, Any] = {"content": {"application/problem+json": {}}}
MAX_ID = 2**63 - 1
ROLES_NOTE = " Roles: infection_control, auditor, admin."
DESCRIPTION = """\
`home` / `transfer` (integration, nurse, doctor, infection_control): the discharge rule is
evaluated again now against the screening service. Eligible -> 201 `outcome: discharged` with
the evidence stored exactly as seen. Not eligible -> 409 problem+json with every `reason`, and
the attempt is stored as `blocked`. Screening unreachable or answering wrongly within
`SCREENING_TIMEOUT_S` -> 503 `screening_unavailable` and a stored `blocked` attempt: the gate
never discharges on missing evidence.

`designated_hospital` / `death`: infection_control only (403 otherwise), `reason` required
(422 otherwise); stored as `outcome: exception` with the rule's reasons recorded, not blocking.
An exception still needs the screening service to know the patient (unknown -> 409, unreachable
-> 503), so the admission it ends is known.

One discharge (or exception) per admission, the admission being the person's `admitted_at` in
the screening service: a second one -> 409 `already_discharged`, also when two arrive at once
(a unique index decides). `Idempotency-Key` replays the first answer (201 or 409) for the same
caller, key and body; a 503 leaves no key behind, so the same key may be retried.
"""


def _answer(answer: DischargeAnswer) -> Response:
    if isinstance(answer, Discharged):
        return JSONResponse(answer.discharge.model_dump(mode="json"), status_code=201)
    if isinstance(answer, Refused):
        return problem_response(answer.problem)
    media = "application/problem+json" if answer.status >= 400 else "application/json"
    return Response(
        answer.body,
        status_code=answer.status,
        media_type=media,
        headers={"Idempotent-Replayed": "true"},
    )


@router.post(
    "/discharges",
    status_code=201,
    response_model=DischargePublic,
    summary="Discharge a patient (the gate)",
    description=DESCRIPTION,
    responses={403: PROBLEM, 409: PROBLEM, 422: PROBLEM, 503: PROBLEM},
    tags=["discharges"],
    name="record_discharge",
)
async def record_discharge_route(
    body: DischargeCreate,
    request: Request,
    session: DbSession,
    audit: Audit,
    principal: ClinicalWriter,
    screening: Screening,
    windows: Windows,
    zone: HospitalZone,
    key: IdempotencyKeyHeader = None,
) -> Response:
    answer = await record_discharge(session, audit, principal, screening, windows, zone, body, key)
    if isinstance(answer, Discharged):  # committed: carry the admission's end to screening now
        request.app.state.admission_sync.wake()
    return _answer(answer)


def _filters(
    from_: Annotated[Timestamp | None, Query(alias="from", description="Inclusive.")] = None,
    to: Annotated[Timestamp | None, Query(description="Exclusive.")] = None,
    department: Annotated[str | None, Query(min_length=1, max_length=200)] = None,
    outcome: Outcome | None = None,
    patient_external_id: Identifier | None = None,
) -> DischargeFilter:
    return DischargeFilter(from_, to, department, outcome, patient_external_id)


@router.get(
    "/discharges",
    response_model=Page[DischargePublic],
    summary="List discharge attempts (JSON pages or a CSV export)",
    description=(
        "Discharged, blocked and exception attempts in the order they were recorded, with"
        " their reasons and evidence. `from` inclusive, `to` exclusive (on `created_at`)."
        " With `Accept: text/csv` every matching row is streamed as CSV (unpaginated; `limit`"
        " and `cursor` are ignored; bound it with `from`/`to`)." + ROLES_NOTE
    ),
    responses={200: {"content": {"text/csv": {}}}},
    tags=["discharge records"],
)
def list_discharge_records(
    request: Request,
    session: DbSession,
    audit: Audit,
    _reader: ReportReader,
    filters: Annotated[DischargeFilter, Depends(_filters)],
    limit: Limit = None,
    cursor: CursorParam = None,
) -> Response:
    if "text/csv" in request.headers.get("accept", ""):
        chunks = export_discharges(request.app.state.engine, audit, filters)
        return StreamingResponse(chunks, media_type=CSV_MEDIA_TYPE, headers=CSV_HEADERS)
    page = list_discharges(session, audit, filters, limit, cursor)
    return JSONResponse(page.model_dump(mode="json"))


@router.get(
    "/discharges/{discharge_id}",
    response_model=DischargePublic,
    summary="One discharge attempt with its stored evidence",
    description="The attempt exactly as stored (never changed after)." + ROLES_NOTE,
    responses={404: PROBLEM},
    tags=["discharge records"],
    name="read_discharge",
)
def read_discharge_route(
    session: DbSession,
    audit: Audit,
    _reader: ReportReader,
    discharge_id: Annotated[int, Path(ge=1, le=MAX_ID)],
) -> Response:
    return JSONResponse(read_discharge(session, audit, discharge_id).model_dump(mode="json"))
