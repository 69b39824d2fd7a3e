"""Alembic environment for the screening service."""

from services.screening.models import metadata
from shared.migrate import run_env

run_env("screening", metadata)
