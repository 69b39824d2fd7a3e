"""The appointments service: `uvicorn services.appointments.main:app`."""

from __future__ import annotations

from fastapi import FastAPI

from services.appointments.models import audit_log
from services.appointments.settings import AppointmentsSettings
from shared.web.app import create_service_app

DESCRIPTION = """\
Departments, capacity-limited time slots, booking that never overbooks, check-in with entry
screening, and virtual ward visits.

Every endpoint except `/health` and `/metrics` needs `Authorization: Bearer <JWT>`.
Errors are RFC 9457 `application/problem+json`.
"""


def create_app(settings: AppointmentsSettings | None = None) -> FastAPI:
    """Build the appointments app (nothing connects until startup)."""
    return create_service_app(
        settings=settings or AppointmentsSettings(),
        title="WardGate appointments",
        description=DESCRIPTION,
        version="0.1.0",
        audit_table=audit_log,
        routers=[],
    )


app = create_app()
