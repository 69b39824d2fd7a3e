"""Contact follow-up rules: the period, the days a check was due, and what may close it.

Dates are the hospital's local dates; a follow-up of `days` days runs from `start` to
`start + days - 1`, both included.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta
from enum import StrEnum

DEFAULT_DAYS = 14


class FollowUpState(StrEnum):
    """Where a follow-up stands."""

    ACTIVE = "active"
    COMPLETED = "completed"
    CONVERTED = "converted"  # the contact became isolated
    CANCELLED = "cancelled"


class Symptom(StrEnum):
    """What a daily check may find."""

    FEVER = "fever"
    COUGH = "cough"
    SORE_THROAT = "sore_throat"
    FATIGUE = "fatigue"
    LOSS_OF_SMELL = "loss_of_smell"
    DIARRHEA = "diarrhea"
    OTHER = "other"


def period(first: date, days: int) -> tuple[date, date]:
    """The first and last day of a follow-up of `days` days starting on `first`."""
    return first, first + timedelta(days=days - 1)


def within(day: date, start: date, end: date) -> bool:
    """True when `day` is one of the follow-up's days."""
    return start <= day <= end


def missed_days(start: date, end: date, today: date, checked: Iterable[date]) -> int:
    """Days of the follow-up before today (and not after its end) without a check."""
    last = min(end, today - timedelta(days=1))
    if last < start:
        return 0
    done = {d for d in checked if start <= d <= last}
    return (last - start).days + 1 - len(done)


def is_due(state: str, start: date, end: date, today: date, checked: Iterable[date]) -> bool:
    """True for an active follow-up that runs today and has no check for today yet."""
    return state == FollowUpState.ACTIVE and within(today, start, end) and today not in checked
