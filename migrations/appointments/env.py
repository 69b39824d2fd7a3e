"""Alembic environment for the appointments service."""

from services.appointments.models import metadata
from shared.migrate import run_env

run_env("appointments", metadata)
