"""A department's day of slots and which slot starts may be booked (pure rules)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo


class BookingRefused(Exception):
    """A requested time cannot be booked; `code` is the contract's reason code."""

    def __init__(self, code: str, detail: str) -> None:
        super().__init__(detail)
        self.code = code
        self.detail = detail


@dataclass(frozen=True)
class Schedule:
    """A department's opening hours and slot grid, in hospital local time."""

    slot_minutes: int
    capacity_per_slot: int
    opens: time
    closes: time
    booking_days_ahead: int


@dataclass(frozen=True)
class Slot:
    """One slot: aware start and end instants."""

    start: datetime
    end: datetime


def parse_clock_time(value: str) -> time:
    """'08:00' -> time(8, 0)."""
    hours, minutes = value.split(":")
    return time(int(hours), int(minutes))


def format_clock_time(value: time) -> str:
    """time(8, 0) -> '08:00'."""
    return f"{value.hour:02d}:{value.minute:02d}"


def slots_per_day(schedule: Schedule) -> int:
    """How many slots fit between opening and closing."""
    open_minutes = schedule.opens.hour * 60 + schedule.opens.minute
    close_minutes = schedule.closes.hour * 60 + schedule.closes.minute
    return max(0, (close_minutes - open_minutes) // schedule.slot_minutes)


def day_slots(schedule: Schedule, day: date, tz: tzinfo) -> list[Slot]:
    """Every slot of a hospital-local day: from `opens` in steps, the last ending by `closes`."""
    first = datetime.combine(day, schedule.opens)
    step = timedelta(minutes=schedule.slot_minutes)
    slots = []
    for n in range(slots_per_day(schedule)):
        start = first + n * step
        slots.append(Slot(start.replace(tzinfo=tz), (start + step).replace(tzinfo=tz)))
    return slots


def local_day(moment: datetime, tz: tzinfo) -> date:
    """The hospital-local date of an instant."""
    return moment.astimezone(tz).date()


def slot_starting_at(schedule: Schedule, start: datetime, tz: tzinfo) -> Slot:
    """The slot that starts exactly at `start`; refused when no slot starts then."""
    day = local_day(start, tz)
    opening = datetime.combine(day, schedule.opens)
    step = timedelta(minutes=schedule.slot_minutes)
    n, rest = divmod(start.astimezone(tz).replace(tzinfo=None) - opening, step)
    if 0 <= n < slots_per_day(schedule) and not rest:
        slot = Slot(
            (opening + n * step).replace(tzinfo=tz), (opening + (n + 1) * step).replace(tzinfo=tz)
        )
        if slot.start == start:  # not a wall-clock time skipped by a clock change
            return slot
    raise BookingRefused(
        "not_a_slot_start",
        f"No slot starts at that time: slots run from {format_clock_time(schedule.opens)} "
        f"in {schedule.slot_minutes}-minute steps until {format_clock_time(schedule.closes)} "
        "(hospital local time).",
    )


def check_bookable(schedule: Schedule, slot: Slot, now: datetime, tz: tzinfo) -> None:
    """Refuse a slot that has ended or lies beyond the booking horizon."""
    if slot.end <= now:
        raise BookingRefused("slot_in_past", "That slot has already ended.")
    last_day = local_day(now, tz) + timedelta(days=schedule.booking_days_ahead)
    if local_day(slot.start, tz) > last_day:
        raise BookingRefused(
            "beyond_booking_horizon",
            f"Bookings open at most {schedule.booking_days_ahead} days ahead "
            f"(the last bookable day is {last_day.isoformat()}).",
        )


def within_arrival_window(slot: Slot, now: datetime, early: timedelta) -> bool:
    """True from `early` before the slot starts until (not including) its end."""
    return slot.start - early <= now < slot.end


def arrival_window_ended(slot: Slot, now: datetime) -> bool:
    """True once the slot is over (a patient who never came is then a no-show)."""
    return now >= slot.end
