"""The entrance's day: counting check-in attempts, and the slots a walk-in may take (pure)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, tzinfo

from services.appointments.domain.appointment_status import AppointmentStatus
from services.appointments.domain.schedule import Schedule, Slot, day_slots, local_day

ARRIVED = frozenset(
    {
        AppointmentStatus.CHECKED_IN,
        AppointmentStatus.REDIRECTED_FEVER_CLINIC,
        AppointmentStatus.COMPLETED,
    }
)
NOT_HELD = frozenset({AppointmentStatus.CANCELLED, AppointmentStatus.RESCHEDULED})


@dataclass(frozen=True)
class Attempt:
    """One check-in attempt as the summary counts it."""

    at: datetime
    outcome: str
    source: str
    fever: bool


@dataclass
class DoorDay:
    """Attempts of a day by outcome, by source, with fever, and by local hour (0-23)."""

    by_outcome: Counter[str] = field(default_factory=Counter)
    by_source: Counter[str] = field(default_factory=Counter)
    fever: int = 0
    by_hour: dict[int, Counter[str]] = field(
        default_factory=lambda: {hour: Counter() for hour in range(24)}
    )


def day_bounds(day: date, tz: tzinfo) -> tuple[datetime, datetime]:
    """The instants a hospital-local day starts and ends (end exclusive)."""
    start = datetime.combine(day, time(0), tzinfo=tz)
    return start, datetime.combine(day + timedelta(days=1), time(0), tzinfo=tz)


def count_attempts(attempts: Iterable[Attempt], tz: tzinfo) -> DoorDay:
    """Count each attempt once: its outcome, its code's source, fever, its local hour."""
    day = DoorDay()
    for attempt in attempts:
        day.by_outcome[attempt.outcome] += 1
        day.by_source[attempt.source] += 1
        day.fever += attempt.fever
        day.by_hour[attempt.at.astimezone(tz).hour][attempt.outcome] += 1
    return day


def department_day(statuses: Counter[str]) -> tuple[int, int, int]:
    """(booked, arrived, not_yet) from a department's appointment statuses of a day."""
    booked = sum(n for status, n in statuses.items() if status not in NOT_HELD)
    arrived = sum(n for status, n in statuses.items() if status in ARRIVED)
    return booked, arrived, statuses.get(AppointmentStatus.BOOKED, 0)


def walk_in_slots(schedule: Schedule, now: datetime, tz: tzinfo) -> list[Slot]:
    """Today's slots a walk-in may take, in order: the current one, then the later ones."""
    return [s for s in day_slots(schedule, local_day(now, tz), tz) if s.end > now]
