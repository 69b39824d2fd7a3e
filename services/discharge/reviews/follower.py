"""Follows screening's result change feed and opens reviews of discharges it touches."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sqlalchemy.engine import Engine

from services.discharge.settings import DischargeSettings


@asynccontextmanager
async def result_follower(engine: Engine, settings: DischargeSettings) -> AsyncIterator[None]:
    """Follow the feed for the lifetime of the service."""
    yield
