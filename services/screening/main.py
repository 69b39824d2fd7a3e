"""The screening service: `uvicorn services.screening.main:app`."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from services.screening.alert_exposures import AlertExposures
from services.screening.alerting import alert_worker
from services.screening.api import exposures, fhir, hl7, inbox, persons, results, screening
from services.screening.clients.appointments import AppointmentsClient
from services.screening.models import audit_log
from services.screening.policy_file import active_policy
from services.screening.settings import ScreeningSettings
from services.screening.ui.pages import screening_pages
from shared.service_client import build_http_client
from shared.web.app import create_service_app

DESCRIPTION = """\
Persons (staff, inpatients, outpatients, caregivers), screening results with full correction
history, the screening policy, compliance and exposure tracing.

Every endpoint except `/health` and `/metrics` needs `Authorization: Bearer <JWT>`.
Errors are RFC 9457 `application/problem+json`.
"""


def _lifespan(settings: ScreeningSettings):  # type: ignore[no-untyped-def]
    @asynccontextmanager
    async def extension(app: FastAPI) -> AsyncIterator[None]:
        # A bad policy file or alert configuration stops the service here, with the reason.
        app.state.policy = active_policy(settings.wardgate_policy_file)
        http = build_http_client(settings.appointments_url, settings.appointments_timeout_s)
        appointments = AppointmentsClient(
            http, settings.wardgate_service_token, timeout_s=settings.appointments_timeout_s
        )
        app.state.appointments = appointments
        tracing = AlertExposures(app.state.engine, settings, app.state.policy, appointments)
        try:
            async with alert_worker(app.state.engine, settings, tracing):
                yield
        finally:
            appointments.close()

    return extension


def create_app(settings: ScreeningSettings | None = None) -> FastAPI:
    """Build the screening app (nothing connects until startup)."""
    settings = settings or ScreeningSettings()
    return create_service_app(
        settings=settings,
        title="WardGate screening",
        description=DESCRIPTION,
        version="0.1.0",
        audit_table=audit_log,
        routers=[
            persons.router,
            results.router,
            screening.router,
            fhir.router,
            hl7.router,
            inbox.router,
            exposures.router,
        ],
        extension=_lifespan(settings),
        ui=screening_pages(),
    )


app = create_app()
