"""A Hypothesis state machine for booking: book, cancel, retry with a key, reschedule.

Each step is predicted by a small model of the department and checked against the service's
answer exactly (status and problem code); after every step the service's own slot counts and
appointment list must agree with the model, and the invariants hold: booked <= capacity for
every slot, at most one active appointment per patient, department and day. Every example
runs on a department of its own, in-process, on SQLite and PostgreSQL.
"""

from __future__ import annotations

import os
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from itertools import count
from typing import Any
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    consumes,
    invariant,
    multiple,
    rule,
    run_state_machine_as_test,
)

from tests.reliability import figures

TZ = ZoneInfo("Asia/Shanghai")
CAPACITY = 2
SLOTS = 4  # 08:00-09:00 in 15-minute slots
DAYS = (1, 2)  # tomorrow and the day after
PATIENTS = ("P0", "P1", "P2", "P3", "P4")
KEYS = ("key-a", "key-b", "key-c")
EXAMPLES = int(os.environ.get("WARDGATE_STATE_MACHINE_EXAMPLES", "8"))
STEPS = int(os.environ.get("WARDGATE_STATE_MACHINE_STEPS", "20"))
_departments = count(1)


def slot_start(day: int, index: int) -> str:
    """The local start of slot `index` on the day `day` days from today."""
    date = datetime.now(TZ).date() + timedelta(days=day)
    return (datetime.combine(date, time(8), tzinfo=TZ) + timedelta(minutes=15 * index)).isoformat()


@dataclass
class Booking:
    """The model's view of one appointment."""

    patient: str
    day: int
    index: int
    status: str = "booked"


@dataclass
class Ward:
    """The model: appointments by id and the first answer given under each key."""

    appointments: dict[str, Booking] = field(default_factory=dict)
    answers: dict[str, tuple[dict[str, Any], dict[str, Any]]] = field(default_factory=dict)

    def held(self, day: int, index: int) -> int:
        """Places taken in a slot (a cancel or a reschedule gives its place back)."""
        return sum(
            1
            for b in self.appointments.values()
            if (b.day, b.index) == (day, index) and b.status == "booked"
        )

    def active_on(self, patient: str, day: int, besides: str | None = None) -> bool:
        """Whether the patient already holds an active appointment that day."""
        return any(
            b.patient == patient and b.day == day and b.status == "booked" and i != besides
            for i, b in self.appointments.items()
        )


class BookingMachine(RuleBasedStateMachine):
    """Book, retry, cancel and reschedule against one department; the model predicts all."""

    client: Any = None
    headers: dict[str, str] = {}
    steps: Counter[str] = Counter()

    appointment_ids = Bundle("appointment_ids")

    def __init__(self) -> None:
        super().__init__()
        self.code = f"SM{next(_departments)}"
        self.model = Ward()
        body = {"name": "Clinic", "capacity_per_slot": CAPACITY, "closes": "09:00"}
        admin = {**self.headers, "Authorization": self.headers["X-Admin"]}
        r = self.client.put(f"/departments/{self.code}", json=body, headers=admin)
        assert r.status_code == 201, r.text

    def _post(self, path: str, body: dict[str, Any] | None, key: str | None = None) -> Any:
        headers = {"Authorization": self.headers["Authorization"]}
        if key:
            headers["Idempotency-Key"] = f"{self.code}-{key}"
        r = self.client.post(path, json=body, headers=headers)
        action = path.rsplit("/", 1)[-1] if path.count("/") > 1 else "book"
        code = r.json().get("code", "") if r.status_code >= 400 else ""
        self.steps[f"{action} {r.status_code} {code}".strip()] += 1
        return r

    def _booking_body(self, patient: str, day: int, index: int) -> dict[str, Any]:
        return {
            "department": self.code,
            "patient_external_id": patient,
            "patient_name": "Patient",
            "slot_start": slot_start(day, index),
        }

    @rule(
        target=appointment_ids,
        patient=st.sampled_from(PATIENTS),
        day=st.sampled_from(DAYS),
        index=st.integers(0, SLOTS - 1),
        key=st.none() | st.sampled_from(KEYS),
    )
    def book(self, patient: str, day: int, index: int, key: str | None) -> Any:
        """POST /appointments, with or without an Idempotency-Key."""
        body = self._booking_body(patient, day, index)
        r = self._post("/appointments", body, key)
        if key in self.model.answers:
            first_body, first_answer = self.model.answers[key]
            if body == first_body:
                assert (r.status_code, r.json()) == (201, first_answer), r.text
            else:
                assert (r.status_code, r.json()["code"]) == (422, "idempotency_key_reused"), r.text
            return multiple()
        if self.model.active_on(patient, day):
            assert (r.status_code, r.json()["code"]) == (409, "duplicate_booking"), r.text
            return multiple()
        if self.model.held(day, index) >= CAPACITY:
            assert (r.status_code, r.json()["code"]) == (409, "slot_full"), r.text
            return multiple()
        assert r.status_code == 201, r.text
        answer = r.json()
        self.model.appointments[answer["id"]] = Booking(patient, day, index)
        if key:
            self.model.answers[key] = (body, answer)
        return answer["id"]

    @rule(appointment_id=appointment_ids)
    def cancel(self, appointment_id: str) -> None:
        """POST /appointments/{id}/cancel (again on a cancelled one: 200, unchanged)."""
        booking = self.model.appointments[appointment_id]
        r = self._post(f"/appointments/{appointment_id}/cancel", None)
        if booking.status == "rescheduled":
            assert (r.status_code, r.json()["code"]) == (409, "appointment_not_active"), r.text
            return
        assert r.status_code == 200, r.text
        assert r.json()["status"] == "cancelled"
        booking.status = "cancelled"

    @rule(
        target=appointment_ids,
        appointment_id=consumes(appointment_ids),
        day=st.sampled_from(DAYS),
        index=st.integers(0, SLOTS - 1),
    )
    def reschedule(self, appointment_id: str, day: int, index: int) -> Any:
        """POST /appointments/{id}/reschedule: all or nothing."""
        booking = self.model.appointments[appointment_id]
        r = self._post(
            f"/appointments/{appointment_id}/reschedule", {"slot_start": slot_start(day, index)}
        )
        if booking.status != "booked":
            assert (r.status_code, r.json()["code"]) == (409, "appointment_not_active"), r.text
            return multiple(appointment_id)
        freed = 1 if (booking.day, booking.index) == (day, index) else 0
        if self.model.active_on(booking.patient, day, besides=appointment_id):
            assert (r.status_code, r.json()["code"]) == (409, "duplicate_booking"), r.text
            return multiple(appointment_id)
        if self.model.held(day, index) - freed >= CAPACITY:
            assert (r.status_code, r.json()["code"]) == (409, "slot_full"), r.text
            return multiple(appointment_id)
        assert r.status_code == 201, r.text
        booking.status = "rescheduled"
        new_id = r.json()["id"]
        self.model.appointments[new_id] = Booking(booking.patient, day, index)
        return multiple(appointment_id, new_id)

    @invariant()
    def slots_never_exceed_capacity_and_match_the_model(self) -> None:
        """Every slot: booked <= capacity, and exactly the places the model holds."""
        for day in DAYS:
            date = (datetime.now(TZ).date() + timedelta(days=day)).isoformat()
            r = self.client.get(
                f"/departments/{self.code}/slots",
                params={"date": date},
                headers={"Authorization": self.headers["Authorization"]},
            )
            assert r.status_code == 200, r.text
            for index, slot in enumerate(r.json()["items"]):
                assert slot["booked"] <= slot["capacity"] == CAPACITY
                assert slot["booked"] == self.model.held(day, index), (day, index)

    @invariant()
    def one_active_appointment_per_patient_and_day(self) -> None:
        """The service's own list: at most one active appointment per patient and day."""
        r = self.client.get(
            "/appointments",
            params={"department": self.code, "status": "booked", "limit": 500},
            headers={"Authorization": self.headers["Authorization"]},
        )
        assert r.status_code == 200, r.text
        items = r.json()["items"]
        per_day = Counter((a["patient_external_id"], a["slot_start"][:10]) for a in items)
        assert all(n == 1 for n in per_day.values()), per_day
        booked = {i for i, b in self.model.appointments.items() if b.status == "booked"}
        assert {a["id"] for a in items} == booked


def test_booking_keeps_capacity_and_one_active_appointment(make_client, idp, backend):
    BookingMachine.client = make_client("appointments")
    BookingMachine.headers = {
        **idp.headers("nurse", sub="machine"),
        "X-Admin": idp.headers("admin")["Authorization"],
    }
    BookingMachine.steps = Counter()
    run_state_machine_as_test(
        BookingMachine,
        settings=settings(
            max_examples=EXAMPLES,
            stateful_step_count=STEPS,
            deadline=None,
            database=None,
            derandomize=os.environ.get("WARDGATE_FUZZ_SEED", "") != "random",
            suppress_health_check=list(HealthCheck),
        ),
    )
    figures.record(f"booking state machine steps/{backend}", sum(BookingMachine.steps.values()))
    seen = set(BookingMachine.steps)
    # The examples reached the rules that matter, not only the happy path.
    assert {"book 201", "book 409 slot_full", "book 409 duplicate_booking"} <= seen, seen
    assert {"cancel 200", "reschedule 201"} <= seen, seen
