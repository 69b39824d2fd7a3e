"""Virtual ward visits: the 30-minute window a visit falls in and its join URL (pure)."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo
from enum import StrEnum

from services.appointments.domain.schedule import BookingRefused

WINDOW = timedelta(minutes=30)
DAYS_AHEAD = 30


class VisitStatus(StrEnum):
    """Where a virtual visit stands."""

    BOOKED = "booked"
    CANCELLED = "cancelled"


@dataclass(frozen=True)
class VisitWindow:
    """A ward's 30-minute visiting window (hospital local time)."""

    start: datetime
    end: datetime


def visit_window(start: datetime, tz: tzinfo) -> VisitWindow:
    """The local half hour (:00 or :30) that contains `start`."""
    local = start.astimezone(tz)
    floored = local.replace(minute=local.minute - local.minute % 30, second=0, microsecond=0)
    return VisitWindow(floored, floored + WINDOW)


def check_visit_time(window: VisitWindow, now: datetime) -> None:
    """Refuse a window that is over or more than DAYS_AHEAD days away."""
    if window.end <= now:
        raise BookingRefused("visit_in_past", "That visiting window has already ended.")
    if window.start > now + timedelta(days=DAYS_AHEAD):
        raise BookingRefused(
            "beyond_booking_horizon", f"Virtual visits open at most {DAYS_AHEAD} days ahead."
        )


def new_room_name() -> str:
    """An unguessable video room name (128 bits)."""
    return secrets.token_urlsafe(16)


def join_url(template: str, room: str) -> str:
    """The template with `{room}` replaced (no other formatting is applied)."""
    return template.replace("{room}", room)
