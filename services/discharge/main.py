"""The discharge service: `uvicorn services.discharge.main:app`."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI

from services.discharge.admission_sync.worker import admission_sync
from services.discharge.checks.router import router as checks
from services.discharge.clients.screening import screening_lifespan
from services.discharge.discharges.router import router as discharges
from services.discharge.models import audit_log
from services.discharge.reports.router import router as reports
from services.discharge.reviews.follower import result_follower
from services.discharge.reviews.router import router as reviews
from services.discharge.settings import DischargeSettings
from services.discharge.ui.pages import discharge_pages
from shared.web.app import create_service_app

DESCRIPTION = """\
The discharge gate: no inpatient leaves without negative nucleic-acid and antibody results.
Checks, discharges, audited exceptions and compliance reports.

Every endpoint except `/health` and `/metrics` needs `Authorization: Bearer <JWT>`.
Errors are RFC 9457 `application/problem+json`.
"""


def _lifespan(settings: DischargeSettings) -> Any:
    screening = screening_lifespan(settings)

    @asynccontextmanager
    async def extension(app: FastAPI) -> AsyncIterator[None]:
        async with (
            screening(app),
            admission_sync(app.state.engine, settings) as sync,
            result_follower(app.state.engine, settings),
        ):
            app.state.admission_sync = sync
            yield

    return extension


def create_app(settings: DischargeSettings | None = None) -> FastAPI:
    """Build the discharge app (nothing connects until startup)."""
    settings = settings or DischargeSettings()
    return create_service_app(
        settings=settings,
        title="WardGate discharge",
        description=DESCRIPTION,
        version="0.1.0",
        audit_table=audit_log,
        routers=[checks, discharges, reports, reviews],
        extension=_lifespan(settings),
        ui=discharge_pages(),
    )


app = create_app()
