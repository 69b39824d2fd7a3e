"""HTTP in and out: tests residents ask for: the public result lookup by booking code."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from services.screening.clients.appointments import AppointmentsClient
from services.screening.public_testing import service
from services.screening.public_testing.schemas import LookupAnswer, LookupIn
from shared.audit import Audit
from shared.db import DbSession
from shared.web.problems import problem_response
from shared.web.public_rate import RATE_LIMIT_RESPONSE, limit_public_rate

router = APIRouter(tags=["test requests"])


@router.post(
    "/test-results/lookup",
    response_model=LookupAnswer,
    summary="A resident looks up a test result (no sign-in)",
    description=(
        "Public: no token. `{booking_code, id_number_last4}` -> the state of the test the "
        "booking names: `not_collected` until a specimen carries that booking code; then the "
        "newest final/corrected nucleic-acid result of that person whose specimen was "
        "collected at or after that specimen's `collected_at` (pooled or individual), else "
        "`pending`. Nothing but the state, `collected_at`, `resulted_at` and a masked name. "
        "An unknown code and wrong digits answer the same 404 `unknown_booking`. Every lookup "
        "is audited; at most WARDGATE_PUBLIC_RATE_PER_MIN requests a minute per client "
        "address (429). 503 `appointments_unavailable` when a code not yet on a specimen "
        "cannot be checked with the appointments service."
    ),
    responses={
        404: {"description": "Unknown booking code or wrong digits (the same answer)"},
        503: {"description": "The appointments service could not be asked"},
        **RATE_LIMIT_RESPONSE,
    },
    dependencies=[Depends(limit_public_rate)],
    openapi_extra={"security": []},  # public: no token
)
def look_up_result(
    body: LookupIn, request: Request, session: DbSession, audit: Audit
) -> LookupAnswer | Response:
    appointments: AppointmentsClient = request.app.state.appointments
    settings = request.app.state.settings
    answer = service.look_up_result(session, audit, appointments, body, settings)
    if answer is None:  # answered, not raised: the audit row of the failed lookup commits
        return problem_response(service.not_found())
    return answer
