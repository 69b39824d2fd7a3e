"""Close the open retests that an individual nucleic-acid result answers."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlmodel import Session

from services.screening.results.repository import ResultRow


def close_retests(session: Session, rows: Sequence[ResultRow], now: datetime) -> None:
    """Close the open retests that an individual nucleic-acid result answers."""
