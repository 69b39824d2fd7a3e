"""The demo's hospital day as requests: pure, built from the cast, now and the time zone.

Times of results and admissions are whole hours of earlier days (hospital local time), so
two runs on the same day send the same bodies and the services answer "already stored".
Check-ins need a slot open now: the first of 呼吸内科 or the round-the-clock 急诊科 that has one.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo
from typing import Any

from shared.demo import cast
from shared.demo.cast import Department, Person
from shared.demo.results import results_of_the_day
from shared.vocabulary import Disposition

ARRIVAL_EARLY = timedelta(minutes=15)  # the contract's arrival window opens 15 min early


@dataclass(frozen=True)
class Reading:
    """What the nurse at the door measures: `POST /appointments/{id}/check-in`."""

    temperature_c: float
    mask: bool = True
    health_code: str = "green"
    risk_area_travel_14d: bool = False

    def body(self) -> dict[str, Any]:
        """The request body."""
        return {
            "temperature_c": self.temperature_c,
            "mask": self.mask,
            "health_code": self.health_code,
            "risk_area_travel_14d": self.risk_area_travel_14d,
        }


@dataclass(frozen=True)
class Booking:
    """An outpatient's appointment and the check-in attempts at the door (oldest first)."""

    person: Person
    department: str
    slot_start: datetime
    readings: tuple[Reading, ...] = ()

    def body(self) -> dict[str, Any]:
        """The `POST /appointments` body."""
        return {
            "department": self.department,
            "patient_external_id": self.person.external_id,
            "patient_name": self.person.name,
            "phone": self.person.phone,
            "slot_start": self.slot_start.isoformat(),
        }


@dataclass(frozen=True)
class Visit:
    """A virtual ward visit: `POST /virtual-visits`."""

    patient_external_id: str
    visitor_name: str
    visitor_phone: str
    start: datetime

    def body(self) -> dict[str, Any]:
        """The request body."""
        return {
            "patient_external_id": self.patient_external_id,
            "visitor_name": self.visitor_name,
            "visitor_phone": self.visitor_phone,
            "start": self.start.isoformat(),
        }


@dataclass(frozen=True)
class Discharge:
    """A discharge attempt: `POST /discharges` by `role`."""

    patient_external_id: str
    disposition: Disposition
    role: str = "doctor"
    reason: str | None = None

    def body(self) -> dict[str, Any]:
        """The request body."""
        body: dict[str, Any] = {
            "patient_external_id": self.patient_external_id,
            "disposition": self.disposition.value,
        }
        if self.reason:
            body["reason"] = self.reason
        return body


@dataclass(frozen=True)
class HospitalDay:
    """Everything the demo sends, in order."""

    day: date
    tz: tzinfo
    departments: tuple[Department, ...]
    persons: tuple[tuple[Person, datetime | None], ...]
    results: tuple[dict[str, Any], ...]
    bookings: tuple[Booking, ...]
    visits: tuple[Visit, ...]
    checks: tuple[str, ...]
    discharges: tuple[Discharge, ...]
    check_in_department: str | None = None

    @property
    def tag(self) -> str:
        """The day as it appears in idempotency keys and result ids (YYYYMMDD)."""
        return self.day.strftime("%Y%m%d")


def local_at(day: date, days_ago: int, hour: int, tz: tzinfo, minute: int = 0) -> datetime:
    """Hospital local time `hour:minute` on the day `days_ago` days before `day`."""
    return datetime.combine(day - timedelta(days=days_ago), time(hour, minute), tzinfo=tz)


def slot_open_now(department: Department, now: datetime) -> datetime | None:
    """The first slot of today or tomorrow not yet ended whose arrival window is open now."""
    tz = now.tzinfo
    step = timedelta(minutes=department.slot_minutes)
    for day in (now.date(), now.date() + timedelta(days=1)):
        start = datetime.combine(day, time.fromisoformat(department.opens), tzinfo=tz)
        closes = datetime.combine(day, time.fromisoformat(department.closes), tzinfo=tz)
        while start + step <= closes:
            if start + step > now and start - ARRIVAL_EARLY <= now:
                return start
            start += step
    return None


def _check_in_slot(now: datetime) -> tuple[str, datetime] | None:
    """Where outpatients check in now: 呼吸内科 when it is open, else 急诊科."""
    for department in cast.DEPARTMENTS:
        if department.code in (cast.RESPIRATORY, cast.EMERGENCY):
            start = slot_open_now(department, now)
            if start is not None:
                return department.code, start
    return None


def _bookings(now: datetime, tz: tzinfo) -> tuple[tuple[Booking, ...], str | None]:
    """Today's arrivals (every check-in outcome) and two bookings for tomorrow morning."""
    o001, o002, o003, o004, o005, o006, o007 = cast.OUTPATIENTS
    tomorrow = now.date() + timedelta(days=1)
    later = (
        Booking(o006, cast.RESPIRATORY, local_at(tomorrow, 0, 9, tz)),
        Booking(o007, cast.CARDIOLOGY, local_at(tomorrow, 0, 9, tz, minute=30)),
    )
    slot = _check_in_slot(now)
    if slot is None:
        return later, None
    department, start = slot
    arrivals = (
        Booking(o001, department, start, (Reading(36.5),)),
        Booking(o002, department, start, (Reading(38.4),)),  # fever: 发热门诊
        Booking(o003, department, start, (Reading(36.7),)),
        Booking(o004, department, start, (Reading(36.6, mask=False), Reading(36.6))),
        Booking(o005, department, start, (Reading(36.8, health_code="yellow"),)),
    )
    return arrivals + later, department


def _visits(day: date, tz: tzinfo) -> tuple[Visit, ...]:
    """Tomorrow evening's video visits (two per ward window at most)."""
    tomorrow = day + timedelta(days=1)
    return (
        Visit("P002", "李明", "13800138031", local_at(tomorrow, 0, 19, tz)),
        Visit("P004", "黄磊", "13800138032", local_at(tomorrow, 0, 19, tz)),
        Visit("P006", "吴刚", "13800138014", local_at(tomorrow, 0, 19, tz, minute=30)),
        Visit("P007", "徐丽", "13800138033", local_at(tomorrow, 0, 19, tz)),
    )


def _discharges() -> tuple[Discharge, ...]:
    """One home discharge, one blocked attempt, one transfer to the designated hospital."""
    return (
        Discharge("P001", Disposition.HOME),
        Discharge("P002", Disposition.HOME),  # needs two negatives after the positive: blocked
        Discharge(
            "P008",
            Disposition.DESIGNATED_HOSPITAL,
            role="infection_control",
            reason="核酸阳性，转定点医院隔离治疗",  # noqa: RUF001 (Chinese punctuation)
        ),
    )


def build_day(now: datetime, tz: tzinfo) -> HospitalDay:
    """The whole demo day for `now` (aware) in the hospital's time zone `tz`."""
    local_now = now.astimezone(tz)
    day = local_now.date()
    persons = tuple(
        (
            person,
            None
            if person.admitted_days_ago is None
            else local_at(day, person.admitted_days_ago, 10, tz),
        )
        for person in cast.PEOPLE
    )
    bookings, check_in_department = _bookings(local_now, tz)
    return HospitalDay(
        day=day,
        tz=tz,
        departments=cast.DEPARTMENTS,
        persons=persons,
        results=results_of_the_day(day, tz),
        bookings=bookings,
        visits=_visits(day, tz),
        checks=("P001", "P002", "P005", "P006", "P007"),
        discharges=_discharges(),
        check_in_department=check_in_department,
    )
