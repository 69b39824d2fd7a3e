"""Queue a report for each new positive, and a correction or cancel for each reported one."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlmodel import Session

from services.screening.results.repository import ResultRow


def queue_reports(session: Session, rows: Sequence[ResultRow], now: datetime) -> None:
    """Queue a report for each new positive, and a correction or cancel for each reported one."""
