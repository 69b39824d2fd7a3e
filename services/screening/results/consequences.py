"""What a stored result version sets in motion, in the same transaction as the version.

Called by `results.service` for every version a post or a batch created (not for retries of
stored content): pooled results' retests close, positives isolate the person and queue the
report to public health.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlmodel import Session

from services.screening.isolation.on_result import isolate_on_positive
from services.screening.pools.retests import close_retests
from services.screening.public_health.on_result import queue_reports
from services.screening.results.repository import ResultRow


def after_new_versions(session: Session, rows: Sequence[ResultRow], now: datetime) -> None:
    """Apply every consequence of newly stored result versions."""
    if not rows:
        return
    close_retests(session, rows, now)
    isolate_on_positive(session, rows, now)
    queue_reports(session, rows, now)
