"""HTTP in and out: tests residents ask for: a slot at a collection site, booked without sign-in."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path
from fastapi.responses import JSONResponse

from services.appointments.routing import READERS, Now, Screening, Settings
from services.appointments.test_requests import service
from services.appointments.test_requests.schemas import BookedTest, TestRequestIn, TestRequestPublic
from shared.audit import Audit
from shared.auth import require
from shared.db import DbSession
from shared.web.public_rate import RATE_LIMIT_RESPONSE, limit_public_rate

router = APIRouter(tags=["test requests"])

CodePath = Annotated[str, Path(pattern=r"^[A-Za-z0-9]{8}$", description="The booking code")]


@router.post(
    "/test-requests",
    status_code=201,
    response_model=TestRequestPublic,
    summary="A resident books a nucleic-acid test (no sign-in)",
    description=(
        "Public: no token. `site` must be a department of kind `testing` (else 422 "
        "`not_a_testing_site`); capacity, duplicates and times as for `POST /appointments` "
        "(409 `slot_full`, 409 `duplicate_booking`, 422 `not_a_slot_start` / `slot_in_past` / "
        "`beyond_booking_horizon`). The resident is first upserted in the screening service as "
        "a person of category `public` whose external id is `pub-` + HMAC-SHA256 of the ID "
        "number under WARDGATE_PERSON_ID_KEY (the same number: the same person; the id does "
        "not reveal it). Screening unreachable -> 503 `screening_unavailable`, nothing booked. "
        "At most WARDGATE_PUBLIC_RATE_PER_MIN requests a minute per client address (429)."
    ),
    responses={
        409: {"description": "Slot full or already booked that day"},
        422: {"description": "Not a testing site, or a time that cannot be booked"},
        503: {"description": "The screening service could not be reached; nothing booked"},
        **RATE_LIMIT_RESPONSE,
    },
    dependencies=[Depends(limit_public_rate)],
    openapi_extra={"security": []},  # public: no token
)
def request_test(
    body: TestRequestIn,
    session: DbSession,
    audit: Audit,
    settings: Settings,
    screening: Screening,
    now: Now,
) -> JSONResponse:
    booked = service.request_test(session, audit, screening, body, settings, now)
    return JSONResponse(booked.model_dump(mode="json"), status_code=201)


@router.get(
    "/test-requests/{booking_code}",
    response_model=BookedTest,
    summary="Who a booking code is for (the collection desk)",
    description=(
        "The test request a booking code names, with the person's external id, so the "
        "collection desk can record the specimen. Unknown code, or a code of a booking at a "
        "department that is not a testing site -> 404 `unknown_booking_code`. "
        "Clinical writers, auditors and admins; the read is audited."
    ),
    responses={404: {"description": "Unknown booking code"}},
    dependencies=[Depends(require(*READERS))],
)
def read_booked_test(
    booking_code: CodePath, session: DbSession, audit: Audit, settings: Settings
) -> BookedTest:
    return service.booked_test(session, audit, booking_code, settings)
