"""The screening service: `uvicorn services.screening.main:app`."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from services.screening.admissions import router as admissions
from services.screening.alerts.worker import alert_worker
from services.screening.clients.appointments import AppointmentsClient
from services.screening.clients.records import RecordSources
from services.screening.exposures import router as exposures
from services.screening.exposures.alert_exposures import AlertExposures
from services.screening.fhir import router as fhir
from services.screening.follow_ups import router as follow_ups
from services.screening.hl7 import router as hl7
from services.screening.inbox import router as inbox
from services.screening.isolation import router as isolation
from services.screening.models import audit_log
from services.screening.persons import router as persons
from services.screening.pools import router as pools
from services.screening.public_health import router as public_health
from services.screening.public_health.worker import report_delivery
from services.screening.public_testing import router as public_testing
from services.screening.result_changes import router as result_changes
from services.screening.results import router as results
from services.screening.settings import ScreeningSettings
from services.screening.status import router as status
from services.screening.status.policy_file import active_policy
from services.screening.ui.pages import screening_pages
from services.screening.uploads import router as uploads
from shared.service_client import ServiceClient
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
        http = ServiceClient(settings.appointments_url)
        await http.open()
        appointments = AppointmentsClient(
            http, settings.wardgate_service_token, timeout_s=settings.appointments_timeout_s
        )
        app.state.appointments = appointments
        sources = RecordSources.from_settings(settings)  # the timeline's reads
        app.state.record_sources = sources
        tracing = AlertExposures(app.state.engine, settings, app.state.policy, appointments)
        try:
            async with (
                alert_worker(app.state.engine, settings, tracing),
                report_delivery(app.state.engine, settings),
            ):
                yield
        finally:
            await appointments.close()
            await sources.close()

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
            status.router,  # the hot paths first: routes are matched in order
            persons.router,
            admissions.router,
            results.router,
            fhir.router,
            hl7.router,
            inbox.router,
            exposures.router,
            pools.router,
            public_testing.router,
            uploads.router,
            isolation.router,
            follow_ups.router,
            public_health.router,
            result_changes.router,
        ],
        extension=_lifespan(settings),
        ui=screening_pages(),
    )


app = create_app()
