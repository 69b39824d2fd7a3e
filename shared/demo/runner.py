"""Send the demo day through the three services' public APIs and count what happened.

Safe to run again: departments and persons are PUT, results are identical on the same day
(stored once), appointments, virtual visits and discharges carry an Idempotency-Key, an
appointment a patient already holds is reused, and check-ins, discharge checks and discharges
already made today are not repeated.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, time
from typing import Any

import httpx

from shared.demo.plan import Booking, HospitalDay

TokenFor = Callable[[str], str]  # role -> bearer token
HIS = "integration"  # the hospital information system sends persons and results
NURSE = "nurse"
DOCTOR = "doctor"
READER = "auditor"


class DemoError(Exception):
    """A service could not be reached or refused the demo in a way it cannot work around."""


@dataclass
class DemoSummary:
    """What the run did, in counts a newcomer can check on the pages."""

    departments: int = 0
    persons: Counter[str] = field(default_factory=Counter)  # created / updated
    results: Counter[str] = field(default_factory=Counter)  # new / already stored
    bookings: Counter[str] = field(default_factory=Counter)  # new / already held
    check_ins: Counter[str] = field(default_factory=Counter)  # by outcome
    visits: Counter[str] = field(default_factory=Counter)  # booked / refused code
    checks: Counter[str] = field(default_factory=Counter)  # eligible / not eligible
    discharges: Counter[str] = field(default_factory=Counter)  # by outcome
    notes: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        """The summary as printed."""

        def show(counter: Counter[str]) -> str:
            return ", ".join(f"{k} {v}" for k, v in sorted(counter.items())) or "none"

        return [
            f"  departments  {self.departments}",
            f"  persons      {show(self.persons)}",
            f"  results      {show(self.results)}",
            f"  bookings     {show(self.bookings)}",
            f"  check-ins    {show(self.check_ins)}",
            f"  video visits {show(self.visits)}",
            f"  checks       {show(self.checks)}",
            f"  discharges   {show(self.discharges)}",
            *(f"  note: {note}" for note in self.notes),
        ]


class _Services:
    """One httpx client for the three services, a token per role."""

    def __init__(self, urls: dict[str, str], token_for: TokenFor, timeout_s: float) -> None:
        self.urls = {svc: url.rstrip("/") for svc, url in urls.items()}
        self.token_for = token_for
        self.http = httpx.Client(timeout=timeout_s, headers={"Accept": "application/json"})

    def send(
        self,
        service: str,
        method: str,
        path: str,
        role: str,
        *,
        body: Any = None,
        params: dict[str, Any] | None = None,
        key: str | None = None,
        expect: Iterable[int] = (200, 201),
    ) -> httpx.Response:
        """One request as `role`; DemoError unless the status is expected."""
        headers = {"Authorization": f"Bearer {self.token_for(role)}"}
        if key:
            headers["Idempotency-Key"] = key
        url = f"{self.urls[service]}{path}"
        try:
            answer = self.http.request(method, url, json=body, params=params, headers=headers)
        except httpx.HTTPError as exc:
            raise DemoError(f"{service} at {self.urls[service]} cannot be reached ({exc})") from exc
        if answer.status_code not in set(expect):
            raise DemoError(f"{method} {url} answered {answer.status_code}: {answer.text[:500]}")
        return answer


def _code(answer: httpx.Response) -> str:
    """The problem's code (`code`, else the last part of `type`), or the status."""
    try:
        problem = answer.json()
    except ValueError:
        return str(answer.status_code)
    code = problem.get("code") or str(problem.get("type", "")).rstrip("/").rpartition("/")[2]
    return str(code or answer.status_code)


def _people(api: _Services, day: HospitalDay, summary: DemoSummary) -> None:
    for person, admitted_at in day.persons:
        path = f"/persons/{person.external_id}"
        known = api.send("screening", "GET", path, HIS, expect=(200, 404))
        if known.status_code == 200 and known.json().get("admitted_at"):
            admitted = known.json()["admitted_at"]  # keep the admission: no new one opened
        else:
            admitted = admitted_at.isoformat() if admitted_at else None
        body = {
            "name": person.name,
            "category": person.category.value,
            "department": person.department,
            "ward": person.ward,
            "admitted_at": admitted,
            "patient_external_id": person.patient_external_id,
            "phone": person.phone,
        }
        body = {k: v for k, v in body.items() if v is not None}
        answer = api.send("screening", "PUT", path, HIS, body=body)
        summary.persons["created" if answer.status_code == 201 else "updated"] += 1


def _results(api: _Services, day: HospitalDay, summary: DemoSummary) -> None:
    for body in day.results:
        answer = api.send("screening", "POST", "/results", HIS, body=body)
        summary.results["new" if answer.status_code == 201 else "already stored"] += 1


def _held_appointment(api: _Services, booking: Booking) -> dict[str, Any] | None:
    """The appointment the patient already holds in that department that day, if any."""
    params = {
        "department": booking.department,
        "date": booking.slot_start.date().isoformat(),
        "patient_external_id": booking.person.external_id,
        "limit": 50,
    }
    items = api.send("appointments", "GET", "/appointments", NURSE, params=params).json()["items"]
    held = [a for a in items if a["status"] not in ("cancelled", "rescheduled")]
    return held[0] if held else None


def _book(api: _Services, day: HospitalDay, booking: Booking, summary: DemoSummary) -> str | None:
    held = _held_appointment(api, booking)
    if held is not None:
        summary.bookings["already held"] += 1
        return str(held["id"])
    key = f"demo-{day.tag}-{booking.person.external_id}-{booking.slot_start:%Y%m%d%H%M}"
    answer = api.send(
        "appointments",
        "POST",
        "/appointments",
        NURSE,
        body=booking.body(),
        key=key,
        expect=(201, 409),
    )
    if answer.status_code == 409:
        summary.notes.append(f"{booking.person.external_id} not booked: {_code(answer)}")
        return None
    summary.bookings["new"] += 1
    return str(answer.json()["id"])


def _check_in(
    api: _Services, day: HospitalDay, booking: Booking, appointment_id: str, summary: DemoSummary
) -> None:
    since = datetime.combine(day.day, time(0), tzinfo=day.tz).isoformat()
    params = {"patient_external_id": booking.person.external_id, "from": since}
    done = api.send("appointments", "GET", "/check-ins", NURSE, params=params).json()["items"]
    if done:
        summary.check_ins["already checked in"] += len(done)
        return
    for reading in booking.readings:
        path = f"/appointments/{appointment_id}/check-in"
        answer = api.send(
            "appointments", "POST", path, NURSE, body=reading.body(), expect=(200, 409)
        )
        if answer.status_code == 409:
            summary.notes.append(f"{booking.person.external_id} not checked in: {_code(answer)}")
            return
        summary.check_ins[str(answer.json()["outcome"])] += 1


def _arrivals(api: _Services, day: HospitalDay, summary: DemoSummary) -> None:
    if day.check_in_department is None:
        summary.notes.append("no department has a slot open now: no check-ins today")
    for booking in day.bookings:
        appointment_id = _book(api, day, booking, summary)
        if appointment_id is not None and booking.readings:
            _check_in(api, day, booking, appointment_id, summary)


def _visits(api: _Services, day: HospitalDay, summary: DemoSummary) -> None:
    for visit in day.visits:
        key = f"demo-{day.tag}-visit-{visit.patient_external_id}"
        answer = api.send(
            "appointments",
            "POST",
            "/virtual-visits",
            NURSE,
            body=visit.body(),
            key=key,
            expect=(201, 409, 422),
        )
        summary.visits["booked" if answer.status_code == 201 else _code(answer)] += 1


def _discharged_already(api: _Services, day: HospitalDay) -> bool:
    """Whether the day's first discharge is on record (the discharge part ran before)."""
    first = day.discharges[0]
    params = {"patient_external_id": first.patient_external_id, "limit": 50}
    items = api.send("discharge", "GET", "/discharges", READER, params=params).json()["items"]
    return any(item["outcome"] == "discharged" for item in items)


def _discharge_desk(api: _Services, day: HospitalDay, summary: DemoSummary) -> None:
    if _discharged_already(api, day):
        summary.checks["already done"] += len(day.checks)
        summary.discharges["already recorded"] += len(day.discharges)
        return
    for patient in day.checks:
        body = {"patient_external_id": patient}
        check = api.send("discharge", "POST", "/discharge-checks", DOCTOR, body=body).json()
        summary.checks["eligible" if check["eligible"] else "not eligible"] += 1
    for discharge in day.discharges:
        key = f"demo-{day.tag}-discharge-{discharge.patient_external_id}"
        answer = api.send(
            "discharge",
            "POST",
            "/discharges",
            discharge.role,
            body=discharge.body(),
            key=key,
            expect=(201, 409),
        )
        outcome = answer.json().get("outcome") if answer.status_code == 201 else None
        summary.discharges[str(outcome) if outcome else f"blocked ({_code(answer)})"] += 1


def run_demo(
    day: HospitalDay, urls: dict[str, str], token_for: TokenFor, timeout_s: float = 30.0
) -> DemoSummary:
    """Send the whole day (departments first, discharges last); DemoError if it cannot."""
    api = _Services(urls, token_for, timeout_s)
    summary = DemoSummary()
    try:
        for department in day.departments:
            path = f"/departments/{department.code}"
            api.send("appointments", "PUT", path, "admin", body=department.body())
            summary.departments += 1
        _people(api, day, summary)
        _results(api, day, summary)
        _arrivals(api, day, summary)
        _visits(api, day, summary)
        _discharge_desk(api, day, summary)
    finally:
        api.http.close()
    return summary
