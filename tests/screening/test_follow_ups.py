"""Contact follow-up: open, re-exposure, daily checks, due today, missed days, complete,
cancel, convert on isolation, and opening from an exposure list."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from tests.exposure.conftest import hospital  # noqa: F401  (a fixture: both services)
from tests.screening.conftest import result

ZONE = ZoneInfo("Asia/Shanghai")  # the settings' default hospital time zone


class Clock:
    """The follow-up routes' clock, set by the test (results keep the real one)."""

    def __init__(self) -> None:
        self.now = datetime.now(UTC)

    def days_ago(self, days: int) -> None:
        self.now = datetime.now(UTC) - timedelta(days=days)

    @property
    def today(self) -> date:
        return self.now.astimezone(ZONE).date()


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    c = Clock()
    monkeypatch.setattr("services.screening.follow_ups.router.utc_now", lambda: c.now)
    return c


def ic(screening: Any) -> dict[str, str]:
    return dict(screening.idp.headers("infection_control"))


def open_(screening: Any, person: str = "C1", expect: int | None = 201, **body: Any) -> Any:
    payload = {"person_external_id": person, "reason": "same ward as P0", **body}
    r = screening.client.post("/follow-ups", json=payload, headers=ic(screening))
    if expect is not None:
        assert r.status_code == expect, r.text
    return r.json()


def check(screening: Any, fid: int, day: date, role: str = "nurse", **body: Any) -> Any:
    payload = {"date": day.isoformat(), "temperature_c": 36.5, "symptoms": [], **body}
    return screening.client.post(
        f"/follow-ups/{fid}/checks", json=payload, headers=screening.idp.headers(role)
    )


def listed(screening: Any, **params: Any) -> list[dict[str, Any]]:
    r = screening.client.get("/follow-ups", params=params, headers=screening.nurse)
    assert r.status_code == 200, r.text
    return list(r.json()["items"])


def test_open_a_follow_up_for_14_days_from_today(screening, clock):
    screening.person("C1")
    f = open_(screening, index_external_id="P0")
    assert f["person_external_id"] == "C1" and f["index_external_id"] == "P0"
    assert f["state"] == "active" and f["checks"] == [] and f["missed_days"] == 0
    assert f["start"] == clock.today.isoformat()
    assert f["end"] == (clock.today + timedelta(days=13)).isoformat()
    assert f["name"] != "Patient C1"  # masked


def test_opening_needs_a_registered_person_and_infection_control(screening, clock):
    r = open_(screening, "NOBODY", expect=422)
    assert r["code"] == "unknown_person"
    screening.person("C1")
    for role in ("nurse", "doctor", "auditor"):
        r = screening.client.post(
            "/follow-ups",
            json={"person_external_id": "C1", "reason": "x"},
            headers=screening.idp.headers(role),
        )
        assert r.status_code == 403
    assert open_(screening, days=0, expect=422)["code"] == "validation_error"
    assert listed(screening) == []


def test_re_exposure_extends_the_active_one(screening, clock):
    screening.person("C1")
    first = open_(screening)
    longer = open_(screening, days=20, expect=200)
    assert longer["id"] == first["id"]
    assert longer["end"] == (clock.today + timedelta(days=19)).isoformat()
    shorter = open_(screening, days=3, expect=200)
    assert shorter["end"] == longer["end"]  # never moved earlier
    assert len(listed(screening)) == 1


def test_checks_one_per_date_inside_the_follow_up(screening, clock):
    screening.person("C1")
    clock.days_ago(2)
    f = open_(screening, days=5)
    start = date.fromisoformat(f["start"])
    clock.days_ago(0)
    r = check(screening, f["id"], start, temperature_c=37.9, symptoms=["cough", "fever"])
    assert r.status_code == 201, r.text
    assert r.json()["checks"][0]["symptoms"] == ["cough", "fever"]
    assert r.json()["checks"][0]["temperature_c"] == 37.9
    again = check(screening, f["id"], start)
    assert again.status_code == 409 and again.json()["code"] == "check_exists"
    for day in (start - timedelta(days=1), start + timedelta(days=5), start + timedelta(days=3)):
        # before the start, after the end, and after today
        r = check(screening, f["id"], day)
        assert r.status_code == 422 and r.json()["code"] == "date_outside_follow_up", day
    assert check(screening, f["id"], start, symptoms=["sneezing"]).status_code == 422
    assert check(screening, f["id"], start, role="auditor").status_code == 403
    assert check(screening, 999999, start).status_code == 404


def test_due_today_and_missed_days(screening, clock):
    for p in ("C1", "C2", "C3"):
        screening.person(p)
    clock.days_ago(3)
    first_day = clock.today
    one, two = open_(screening, "C1"), open_(screening, "C2")
    assert check(screening, one["id"], first_day).status_code == 201
    clock.days_ago(0)
    late = open_(screening, "C3")  # opened today: nothing missed yet
    assert {f["person_external_id"] for f in listed(screening, due="today")} == {"C1", "C2", "C3"}
    missed = {f["person_external_id"]: f["missed_days"] for f in listed(screening)}
    assert missed == {"C1": 2, "C2": 3, "C3": 0}
    assert check(screening, two["id"], clock.today).status_code == 201
    assert check(screening, late["id"], clock.today).status_code == 201
    due = listed(screening, due="today")
    assert [f["person_external_id"] for f in due] == ["C1"]
    assert due[0]["due_today"] is True


def test_list_pages_and_filters_by_state(screening, clock):
    for p in ("C1", "C2", "C3"):
        screening.person(p)
        open_(screening, p)
    r = screening.client.get("/follow-ups", params={"limit": 2}, headers=screening.nurse)
    page = r.json()
    assert [f["person_external_id"] for f in page["items"]] == ["C1", "C2"]
    rest = screening.client.get(
        "/follow-ups", params={"limit": 2, "cursor": page["next_cursor"]}, headers=screening.nurse
    ).json()
    assert [f["person_external_id"] for f in rest["items"]] == ["C3"]
    assert rest["next_cursor"] is None
    assert listed(screening, state="completed") == []
    assert (
        screening.client.get(
            "/follow-ups", params={"due": "tomorrow"}, headers=screening.nurse
        ).status_code
        == 422
    )


def test_complete_needs_a_negative_collected_on_or_after_the_last_day(screening, clock):
    screening.person("C1")
    clock.days_ago(5)
    f = open_(screening, days=2)  # ended three days ago
    clock.days_ago(0)
    refused = screening.client.post(f"/follow-ups/{f['id']}/complete", headers=ic(screening))
    assert refused.status_code == 409 and refused.json()["code"] == "negative_result_required"
    screening.post(result("N-OLD", person="C1", value="negative", hours_ago=24 * 7))  # before
    screening.post(result("N-PRELIM", person="C1", value="positive", status="preliminary"))
    refused = screening.client.post(f"/follow-ups/{f['id']}/complete", headers=ic(screening))
    assert refused.status_code == 409
    screening.post(result("N-NEW", person="C1", value="negative", hours_ago=24))
    done = screening.client.post(f"/follow-ups/{f['id']}/complete", headers=ic(screening))
    assert done.status_code == 200, done.text
    assert done.json()["state"] == "completed"
    assert listed(screening, state="completed")[0]["id"] == f["id"]
    closed = check(screening, f["id"], date.fromisoformat(f["start"]))
    assert closed.status_code == 409 and closed.json()["code"] == "follow_up_closed"
    again = screening.client.post(f"/follow-ups/{f['id']}/complete", headers=ic(screening))
    assert again.status_code == 409 and again.json()["code"] == "follow_up_closed"


def test_cancel_with_a_reason(screening, clock):
    screening.person("C1")
    f = open_(screening)
    url = f"/follow-ups/{f['id']}/cancel"
    assert screening.client.post(url, json={}, headers=ic(screening)).status_code == 422
    assert (
        screening.client.post(url, json={"reason": "x"}, headers=screening.nurse).status_code == 403
    )
    r = screening.client.post(url, json={"reason": "wrong person"}, headers=ic(screening))
    assert r.status_code == 200 and r.json()["state"] == "cancelled"
    assert r.json()["close_reason"] == "wrong person"
    again = screening.client.post(url, json={"reason": "again"}, headers=ic(screening))
    assert again.status_code == 409
    assert open_(screening)["id"] != f["id"]  # a new one may be opened after


def test_a_positive_converts_the_follow_up(screening, clock):
    screening.person("C1")
    screening.person("C2")
    f1, f2 = open_(screening, "C1"), open_(screening, "C2")
    screening.post(result("R1", person="C1", value="positive"))
    r = screening.client.post(
        "/persons/C2/isolation", json={"reason": "fever"}, headers=screening.idp.headers("doctor")
    )
    assert r.status_code == 201
    states = {f["id"]: f["state"] for f in listed(screening)}
    assert states == {f1["id"]: "converted", f2["id"]: "converted"}
    assert listed(screening, due="today") == []


def test_a_pooled_or_preliminary_positive_does_not_convert(screening, clock):
    screening.person("C1")
    open_(screening, "C1")
    screening.post(result("R1", person="C1", value="positive", status="preliminary"))
    assert listed(screening)[0]["state"] == "active"


def test_open_from_an_exposure_list(hospital, clock):  # noqa: F811
    admitted = (datetime.now(UTC) - timedelta(days=30)).isoformat()
    hospital.person("IDX", "inpatient", ward="W1", admitted_at=admitted)
    hospital.person("MATE", "inpatient", ward="W1", admitted_at=admitted)
    hospital.person("NURSE1", "staff", ward="W1")
    hospital.person("FAR", "inpatient", ward="W2", admitted_at=admitted)
    headers = hospital.headers("infection_control")
    url = "/persons/IDX/exposures/follow-ups"
    r = hospital.screening.post(url, json={"external_ids": ["MATE", "FAR"]}, headers=headers)
    assert r.status_code == 422, r.text
    assert r.json()["code"] == "not_on_exposure_list"
    assert "FAR" in r.json()["errors"][0]["msg"]
    nobody = hospital.screening.get("/follow-ups", headers=headers).json()["items"]
    assert nobody == []  # nothing opened
    r = hospital.screening.post(url, json={"external_ids": ["MATE", "NURSE1"]}, headers=headers)
    assert r.status_code == 201, r.text
    items = r.json()["items"]
    assert [(i["person_external_id"], i["index_external_id"]) for i in items] == [
        ("MATE", "IDX"),
        ("NURSE1", "IDX"),
    ]
    assert items[0]["reason"] == "same_ward"
    again = hospital.screening.post(url, json={"external_ids": ["MATE"]}, headers=headers)
    assert again.status_code == 200 and again.json()["items"][0]["id"] == items[0]["id"]
    nurse = hospital.headers("nurse")
    assert (
        hospital.screening.post(url, json={"external_ids": ["MATE"]}, headers=nurse).status_code
        == 403
    )
    unknown = hospital.screening.post(
        "/persons/NOBODY/exposures/follow-ups", json={"external_ids": ["MATE"]}, headers=headers
    )
    assert unknown.status_code == 404
