"""Where an appointment stands, and which statuses hold the patient's place (pure)."""

from __future__ import annotations

from enum import StrEnum


class AppointmentStatus(StrEnum):
    """An appointment's status; the row is never deleted, only its status changes."""

    BOOKED = "booked"
    CHECKED_IN = "checked_in"
    REDIRECTED_FEVER_CLINIC = "redirected_fever_clinic"
    CANCELLED = "cancelled"
    RESCHEDULED = "rescheduled"
    NO_SHOW = "no_show"
    COMPLETED = "completed"


# An appointment in one of these states holds its patient's place for that department and day.
ACTIVE_STATUSES = (AppointmentStatus.BOOKED, AppointmentStatus.CHECKED_IN)
