"""The screening service: `uvicorn services.screening.main:app`."""

from __future__ import annotations

from fastapi import FastAPI

from services.screening.models import audit_log
from services.screening.settings import ScreeningSettings
from shared.web.app import create_service_app

DESCRIPTION = """\
Persons (staff, inpatients, outpatients, caregivers), screening results with full correction
history, the screening policy, compliance and exposure tracing.

Every endpoint except `/health` and `/metrics` needs `Authorization: Bearer <JWT>`.
Errors are RFC 9457 `application/problem+json`.
"""


def create_app(settings: ScreeningSettings | None = None) -> FastAPI:
    """Build the screening app (nothing connects until startup)."""
    return create_service_app(
        settings=settings or ScreeningSettings(),
        title="WardGate screening",
        description=DESCRIPTION,
        version="0.1.0",
        audit_table=audit_log,
        routers=[],
    )


app = create_app()
