"""Isolate every person whose new version is a final or corrected individual positive."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlmodel import Session

from services.screening.results.repository import ResultRow


def isolate_on_positive(session: Session, rows: Sequence[ResultRow], now: datetime) -> None:
    """Isolate every person whose new version is a final or corrected individual positive."""
