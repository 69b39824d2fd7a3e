"""Alembic environment for the discharge service."""

from services.discharge.models import metadata
from shared.migrate import run_env

run_env("discharge", metadata)
