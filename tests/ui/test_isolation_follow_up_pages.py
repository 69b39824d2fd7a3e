"""The isolation and follow-up pages: isolate, the release rule in words, today's check."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tests.ui.conftest import text_of


@pytest.fixture
def screening(desk):
    return desk("screening")


def person(screening, ext, category="inpatient", **more):
    body = {"name": f"Name {ext}", "category": category, "department": "resp", **more}
    r = screening.api("PUT", f"/persons/{ext}", json=body, role="nurse")
    assert r.status_code in (200, 201), r.text


def result(screening, ext, who, value, hours_ago):
    collected = (datetime.now(UTC) - timedelta(hours=hours_ago)).isoformat()
    body = {
        "external_id": ext,
        "person_external_id": who,
        "test_type": "nucleic_acid",
        "result": value,
        "status": "final",
        "specimen_collected_at": collected,
    }
    r = screening.api("POST", "/results", json=body, role="nurse")
    assert r.status_code == 201, r.text


def test_isolation_page_staff_first_and_the_release_rule(screening):
    person(screening, "IN-1")
    person(screening, "ST-1", category="staff")
    result(screening, "R1", "IN-1", "positive", 100)
    screening.as_("infection_control")
    r = screening.post("/ui/isolations", {"external_id": "ST-1", "reason": "fever on duty"})
    assert r.status_code == 303
    page = text_of(screening.get("/ui/isolations").text)
    assert "Isolated now: 2" in page
    assert page.index("ST-1") < page.index("IN-1")  # staff first
    assert "Off duty until released" in page
    assert "Needs two individual negative nucleic acid results" in page
    refused = screening.post("/ui/isolations/IN-1/release", {"note": ""})
    assert refused.status_code == 409
    assert "Needs two individual negative nucleic acid results" in text_of(refused.text)
    result(screening, "N1", "IN-1", "negative", 60)
    result(screening, "N2", "IN-1", "negative", 30)
    assert "Release from isolation" in screening.get("/ui/isolations").text
    released = screening.post("/ui/isolations/IN-1/release", {"note": "two negatives"})
    assert released.status_code == 303
    page = text_of(screening.get(released.headers["location"]).text)
    assert "IN-1 was released from isolation." in page
    assert "Isolated now: 1" in page
    state = screening.api("GET", "/persons/IN-1", role="nurse").json()["isolation"]
    assert state["state"] == "released"


def test_only_infection_control_and_doctors_isolate_from_the_page(screening):
    person(screening, "IN-1")
    screening.as_("nurse")
    page = screening.get("/ui/isolations")
    assert page.status_code == 200 and "Isolate a person" not in page.text
    assert (
        screening.post("/ui/isolations", {"external_id": "IN-1", "reason": "x"}).status_code == 403
    )
    screening.as_("doctor")
    missing = screening.post("/ui/isolations", {"external_id": "", "reason": ""})
    assert missing.status_code == 422
    nobody = screening.post("/ui/isolations", {"external_id": "NOBODY", "reason": "x"})
    assert nobody.status_code == 404
    assert "There is no person with this id." in text_of(nobody.text)


def test_follow_up_page_records_todays_check_and_empties_the_due_list(screening):
    person(screening, "C-1")
    r = screening.api(
        "POST",
        "/follow-ups",
        json={"person_external_id": "C-1", "reason": "same ward"},
        role="infection_control",
    )
    assert r.status_code == 201
    fid = r.json()["id"]
    screening.as_("nurse")
    page = text_of(screening.get("/ui/follow-ups").text)
    assert "Due a check today: 1" in page and "Name C-1" in page and "Day 1 of 14" in page
    bad = screening.post(f"/ui/follow-ups/{fid}/checks", {"temperature_c": "hot"})
    assert bad.status_code == 422
    assert "Enter a temperature from 30 to 45 °C." in text_of(bad.text)
    done = screening.post(
        f"/ui/follow-ups/{fid}/checks", {"temperature_c": "37,9", "symptoms": ["cough"]}
    )
    assert done.status_code == 303
    page = text_of(screening.get(done.headers["location"]).text)
    assert "Today's check recorded for Name C-1." in page
    assert "Due a check today: 0" in page and "Everyone has been checked today." in page
    again = screening.post(f"/ui/follow-ups/{fid}/checks", {"temperature_c": "36.5"})
    assert again.status_code == 409
    assert "already recorded" in text_of(again.text)
    checks = screening.api("GET", "/follow-ups", role="nurse").json()["items"][0]["checks"]
    assert [(c["temperature_c"], c["symptoms"]) for c in checks] == [(37.9, ["cough"])]
    csv = screening.get("/ui/follow-ups.csv")
    assert csv.status_code == 200 and csv.text.startswith("\ufeffid,person_external_id")
    assert "C-1,Name C-1" in csv.text
    screening.as_("auditor")
    assert (
        screening.post(f"/ui/follow-ups/{fid}/checks", {"temperature_c": "36.5"}).status_code == 403
    )
    assert "Name C-1" not in screening.get("/ui/follow-ups.csv").text  # masked for auditors


def test_the_person_timeline_tells_the_isolation_and_its_release(screening):
    person(screening, "IN-1")
    result(screening, "R1", "IN-1", "positive", 100)
    result(screening, "N1", "IN-1", "negative", 60)
    result(screening, "N2", "IN-1", "negative", 30)
    screening.as_("infection_control")
    page = text_of(screening.get("/ui/persons/IN-1").text)
    assert "Isolated Positive nucleic acid result" in page
    assert "Released from isolation" not in page
    assert screening.post("/ui/isolations/IN-1/release", {"note": ""}).status_code == 303
    page = text_of(screening.get("/ui/persons/IN-1").text)
    assert "Released from isolation" in page and "Isolated Positive nucleic acid result" in page
