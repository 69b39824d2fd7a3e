"""Booking under contention, against a real server: capacity is never exceeded."""

from __future__ import annotations

import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import httpx
import pytest

pytestmark = pytest.mark.e2e
TZ = ZoneInfo("Asia/Shanghai")


def _tomorrow_at(hh: int) -> datetime:
    return datetime.combine(datetime.now(TZ).date() + timedelta(days=1), time(hh), tzinfo=TZ)


def _release_together(url: str, bodies: list[dict], headers: list[dict]) -> list[httpx.Response]:
    """Send every request at once: threads wait at a barrier, then post."""
    barrier = threading.Barrier(len(bodies))

    def post(i: int) -> httpx.Response:
        with httpx.Client(timeout=60) as client:
            barrier.wait()
            return client.post(f"{url}/appointments", json=bodies[i], headers=headers[i])

    with ThreadPoolExecutor(max_workers=len(bodies)) as pool:
        return list(pool.map(post, range(len(bodies))))


def _booked(url: str, headers: dict, start: datetime) -> int:
    r = httpx.get(
        f"{url}/departments/RUSH/slots", params={"date": start.date().isoformat()}, headers=headers
    )
    return next(s["booked"] for s in r.json()["items"] if s["start"] == start.isoformat())


def _start(live, idp):
    svc = live("appointments", WARDGATE_TIMEZONE="Asia/Shanghai")
    r = httpx.put(
        f"{svc.url}/departments/RUSH",
        json={"name": "Rush hour", "capacity_per_slot": 3, "slot_minutes": 15},
        headers=idp.headers("admin"),
    )
    assert r.status_code == 201, r.text
    return svc


def _race_for_one_slot(live, idp, clients: int):
    svc = _start(live, idp)
    start = _tomorrow_at(9)
    bodies = [
        {
            "department": "RUSH",
            "patient_external_id": f"RACE-{i:03d}",
            "patient_name": "Patient",
            "slot_start": start.isoformat(),
        }
        for i in range(clients)
    ]
    nurse = idp.headers("nurse")
    answers = _release_together(svc.url, bodies, [nurse] * clients)
    statuses = Counter(r.status_code for r in answers)
    codes = Counter(r.json().get("code") for r in answers if r.status_code == 409)
    assert statuses == {201: 3, 409: clients - 3}, [r.text for r in answers if r.status_code >= 500]
    assert codes == {"slot_full": clients - 3}
    assert _booked(svc.url, nurse, start) == 3
    listed = httpx.get(
        f"{svc.url}/appointments", params={"department": "RUSH"}, headers=nurse
    ).json()
    assert len(listed["items"]) == 3
    assert "database is locked" not in svc.log_path.read_text()


def test_sixty_clients_race_for_three_places_on_postgresql(live, idp, backend):
    if backend != "postgresql":
        pytest.skip("the PostgreSQL proof runs when TEST_DATABASE_URL is set (as in CI)")
    _race_for_one_slot(live, idp, 60)


def test_concurrent_writers_on_sqlite_never_overbook(live, idp, backend):
    if backend != "sqlite":
        pytest.skip("the SQLite variant of the race")
    _race_for_one_slot(live, idp, 60)


def test_concurrent_retries_with_one_key_book_once(live, idp):
    svc = _start(live, idp)
    start = _tomorrow_at(10)
    body = {
        "department": "RUSH",
        "patient_external_id": "TWIN",
        "patient_name": "Patient",
        "slot_start": start.isoformat(),
    }
    headers = {**idp.headers("integration"), "Idempotency-Key": "twin-key"}
    answers = _release_together(svc.url, [body] * 20, [headers] * 20)
    assert {r.status_code for r in answers} == {201}
    assert len({r.json()["id"] for r in answers}) == 1
    assert _booked(svc.url, headers, start) == 1


def test_concurrent_bookings_by_one_patient_hold_one_place(live, idp):
    svc = _start(live, idp)
    slots = [_tomorrow_at(9) + timedelta(minutes=15 * i) for i in range(10)]
    bodies = [
        {
            "department": "RUSH",
            "patient_external_id": "SAME",
            "patient_name": "Patient",
            "slot_start": s.isoformat(),
        }
        for s in slots
    ]
    nurse = idp.headers("nurse")
    answers = _release_together(svc.url, bodies, [nurse] * len(bodies))
    assert Counter(r.status_code for r in answers) == {201: 1, 409: 9}
    assert {r.json()["code"] for r in answers if r.status_code == 409} == {"duplicate_booking"}
    assert sum(_booked(svc.url, nurse, s) for s in slots) == 1
