"""What the appointment routers share: the clock, settings, screening, path and query types."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import Depends, Path, Query, Request
from fastapi.responses import Response

from services.appointments.clients.screening import ScreeningClient
from services.appointments.replay import Replayed
from services.appointments.settings import AppointmentsSettings
from shared.auth import Principal, require
from shared.auth.roles import ADMIN, AUDITOR, CLINICAL_WRITERS
from shared.fields import IDENTIFIER_PATTERN

DepartmentCode = Annotated[
    str, Path(min_length=1, max_length=64, pattern=IDENTIFIER_PATTERN, description="Department")
]
# A department, patient or ward code in a query filter (NUL bytes and the like -> 422).
CodeFilter = Annotated[str | None, Query(min_length=1, max_length=64, pattern=IDENTIFIER_PATTERN)]
RecordId = Annotated[str, Path(min_length=1, max_length=32, pattern=r"^[0-9a-f]+$")]
Writer = Annotated[Principal, Depends(require(*CLINICAL_WRITERS))]
READERS = (*CLINICAL_WRITERS, AUDITOR, ADMIN)


def _now(request: Request) -> datetime:
    clock = request.app.state.clock
    return clock()  # type: ignore[no-any-return]


def _settings(request: Request) -> AppointmentsSettings:
    return request.app.state.settings  # type: ignore[no-any-return]


def _screening(request: Request) -> ScreeningClient:
    return request.app.state.screening  # type: ignore[no-any-return]


# The clock is app state so tests can stand at any moment without sleeping.
Now = Annotated[datetime, Depends(_now)]
Settings = Annotated[AppointmentsSettings, Depends(_settings)]
Screening = Annotated[ScreeningClient, Depends(_screening)]


def replay_response(replayed: Replayed) -> Response:
    """The first answer again, marked as replayed."""
    return Response(
        replayed.body,
        status_code=replayed.status,
        media_type=replayed.media_type,
        headers={"Idempotent-Replayed": "true"},
    )
