"""A discharged patient is no ward mate for the time after the discharge (same_ward)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

ADMITTED = (datetime.now(UTC) - timedelta(days=30)).replace(microsecond=0)


def _discharge(hospital, pid, discharge_id, days_ago):
    body = {
        "discharge_id": discharge_id,
        "patient_external_id": pid,
        "admitted_at": ADMITTED.isoformat(),
        "discharged_at": (datetime.now(UTC) - timedelta(days=days_ago)).isoformat(),
        "disposition": "home",
        "outcome": "discharged",
    }
    r = hospital.screening.post(
        "/admission-ends", json=body, headers=hospital.headers("integration")
    )
    assert r.status_code == 201, r.text


def test_a_ward_mate_discharged_before_the_window_is_no_contact(hospital):
    for pid in ("IN1", "IN2", "IN3"):
        hospital.person(pid, "inpatient", ward="W1", admitted_at=ADMITTED.isoformat())
    _discharge(hospital, "IN2", 1, days_ago=20)  # left before the 14-day window opened
    _discharge(hospital, "IN3", 2, days_ago=3)  # on the ward for part of the window
    listed = hospital.listed("IN1")
    assert sorted(listed) == ["IN3"]
    assert listed["IN3"]["why"] == ["same_ward"]
    # Nor is anyone a contact of a discharged index person for the time after they left.
    assert hospital.listed("IN2") == {}
    assert sorted(hospital.listed("IN3")) == ["IN1"]
