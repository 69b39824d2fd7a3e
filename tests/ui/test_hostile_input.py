"""No page answers 500, whatever a client sends: NUL bytes, huge values, odd dates and ids."""

from __future__ import annotations

import pytest

HUGE = "x" * 20_000  # long for any field, short enough for a URL
NUL = "a\x00b"

GETS = {
    "screening": [
        "/ui/persons?q=" + HUGE,
        "/ui/persons/" + "p" * 300,
        "/ui/persons/%00",
        "/ui/persons/P-1/results/new?test_type=" + HUGE,
        "/ui/compliance?category=%00&department=" + HUGE,
        "/ui/audit?from_day=9999-12-31&to_day=0001-01-01&cursor=" + HUGE,
    ],
    "appointments": [
        "/ui/book?department=%00&day=9999-12-31",
        "/ui/arrivals?department=" + HUGE + "&day=2026-02-30",
        "/ui/appointments/" + "f" * 40 + "/check-in",
        "/ui/virtual-visits/new?patient=" + HUGE,
    ],
    "discharge": [
        "/ui/check?patient=" + HUGE,
        "/ui/dashboard?from_day=0001-01-01&to_day=9999-12-31",
        "/ui/discharges?department=%00&outcome=" + HUGE + "&cursor=%00",
        "/ui/discharges.csv?from_day=" + HUGE,
    ],
}
POSTS = {
    "screening": [
        ("/ui/persons", {"external_id": NUL, "name": HUGE, "admitted_at": "9999-12-31T23:59"}),
        ("/ui/persons/P-1/results", {"test_type": "nucleic_acid", "result": NUL}),
    ],
    "appointments": [
        ("/ui/book", {"department": NUL, "slot_start": HUGE, "patient_name": NUL}),
        ("/ui/appointments/abc/check-in", {"temperature_c": "nan", "mask": NUL}),
        ("/ui/virtual-visits", {"patient_external_id": NUL, "start": "0001-01-01T00:00"}),
    ],
    "discharge": [
        ("/ui/check", {"patient_external_id": HUGE}),
        ("/ui/discharge", {"patient_external_id": NUL, "disposition": HUGE, "reason": NUL}),
    ],
}
ROLES = {"screening": "nurse", "appointments": "nurse", "discharge": "nurse"}


@pytest.mark.parametrize("service", list(GETS))
def test_pages_refuse_hostile_input_calmly(desk, service):
    client = desk(service)
    for role in (ROLES[service], "auditor"):
        client.as_(role)
        for path in GETS[service]:
            assert client.get(path).status_code < 500, path
        for path, form in POSTS[service]:
            assert client.post(path, form).status_code < 500, path
