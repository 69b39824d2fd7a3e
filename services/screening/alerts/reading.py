"""Infection control's view of the alert outbox: the alerts not yet delivered (audited)."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlmodel import Session

from services.screening.alerts import repository
from services.screening.alerts.repository import OpenAlert
from shared.audit import AuditTrail

# Older undelivered alerts are a delivery fault for the admin, not today's work.
OPEN_ALERT_DAYS = 7
MOST_OPEN_ALERTS = 200


def open_alerts(session: Session, audit: AuditTrail, now: datetime) -> list[OpenAlert]:
    """Alerts of the last 7 days not yet delivered to every webhook, newest first, audited."""
    found = repository.open_alerts(session, now - timedelta(days=OPEN_ALERT_DAYS), MOST_OPEN_ALERTS)
    audit.record("alert.list", "alerts", state="open", count=len(found))
    return found
