"""The appointments service: `uvicorn services.appointments.main:app`."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from datetime import UTC, datetime

from fastapi import FastAPI

from services.appointments.bookings import router as bookings
from services.appointments.check_ins import router as check_ins
from services.appointments.clients.screening import ScreeningClient
from services.appointments.departments import router as departments
from services.appointments.entrance import router as entrance
from services.appointments.entrance.verifier import build_verifier
from services.appointments.models import audit_log
from services.appointments.settings import AppointmentsSettings
from services.appointments.test_requests import router as test_requests
from services.appointments.ui.pages import appointments_pages
from services.appointments.virtual_visits import router as virtual_visits
from shared.service_client import ServiceClient
from shared.web.app import create_service_app

DESCRIPTION = """\
Departments, capacity-limited time slots, booking that never overbooks, check-in with entry
screening, and virtual ward visits.

Slot and appointment times are hospital local time (`WARDGATE_TIMEZONE`) with their offset.
Every endpoint except `/health` and `/metrics` needs `Authorization: Bearer <JWT>`.
Errors are RFC 9457 `application/problem+json`.
"""


def system_clock() -> datetime:
    """The current instant (tests replace `app.state.clock` to stand at any moment)."""
    return datetime.now(UTC)


def _outbound(
    settings: AppointmentsSettings,
) -> Callable[[FastAPI], AbstractAsyncContextManager[None]]:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        http = ServiceClient(settings.screening_url)
        await http.open()
        app.state.screening = ScreeningClient(
            http, settings.wardgate_service_token, timeout_s=settings.screening_timeout_s
        )
        app.state.health_codes = await build_verifier(settings)
        try:
            yield
        finally:
            await app.state.screening.close()
            await app.state.health_codes.close()

    return lifespan


def create_app(settings: AppointmentsSettings | None = None) -> FastAPI:
    """Build the appointments app (nothing connects until startup)."""
    settings = settings or AppointmentsSettings()
    app = create_service_app(
        settings=settings,
        title="WardGate appointments",
        description=DESCRIPTION,
        version="0.1.0",
        audit_table=audit_log,
        routers=[
            departments.router,
            bookings.router,
            check_ins.router,
            virtual_visits.router,
            entrance.router,
            test_requests.router,
        ],
        extension=_outbound(settings),
        ui=appointments_pages(),
    )
    app.state.clock = system_clock
    return app


app = create_app()
