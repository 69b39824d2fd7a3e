"""GET /compliance: computed in SQL, and always the same answer as the per-person rule."""

from __future__ import annotations

import random

import pytest

from tests.screening.conftest import result

TESTS = ["nucleic_acid", "antibody_igm", "antibody_igg", "chest_ct", "blood_routine"]
VALUES = {"chest_ct": ["normal", "abnormal"], "blood_routine": ["normal", "abnormal"]}
CATEGORIES = ["staff", "inpatient", "caregiver", "outpatient"]


def _history(rng, person, n):
    """Random versions for one person: corrections, voids, preliminaries, ties, old ones."""
    items = []
    for k in range(n):
        test = rng.choice(TESTS)
        ext = f"{person}-{k}"
        hours = rng.choice([2, 2, 30, 24 * 6, 24 * 8, 24 * 13, 24 * 20])
        values = VALUES.get(test, ["negative", "positive", "indeterminate"])
        status = rng.choice(["final", "final", "final", "preliminary", "corrected"])
        value = None if status == "preliminary" else rng.choice(values)
        items.append(result(ext, person, test, value, status, hours_ago=hours))
        roll = rng.random()
        if roll < 0.15:
            items.append(result(ext, person, test, rng.choice(values), "corrected", hours))
        elif roll < 0.25:
            items.append(result(ext, person, test, None, "entered_in_error", hours))
        elif roll < 0.3 and status == "preliminary":
            items.append(result(ext, person, test, rng.choice(values), "final", hours))
    return items


@pytest.fixture
def population(screening):
    rng = random.Random(20261129)
    screening.person("IN-000", "inpatient", department="d0")
    items = []
    for n in range(1, 60):
        category = CATEGORIES[n % 4]
        pid = f"{category[:2].upper()}-{n:03d}"
        extra = {"patient_external_id": "IN-000"} if category == "caregiver" else {}
        screening.person(pid, category, department=f"d{n % 3}", **extra)
        items += _history(rng, pid, rng.randint(0, 12))
    got = screening.client.post(
        "/results/batch", json={"results": items}, headers=screening.nurse
    ).json()
    assert got["rejected"] == [] and got["accepted"] > 200
    return screening


def _compliance(s, query=""):
    items, cursor = [], None
    while True:
        url = f"/compliance?limit=7{query}" + (f"&cursor={cursor}" if cursor else "")
        r = s.client.get(url, headers=s.idp.headers("auditor"))
        assert r.status_code == 200, r.text
        items += r.json()["items"]
        cursor = r.json()["next_cursor"]
        if cursor is None:
            return items


def test_compliance_agrees_with_screening_status_for_everyone(population):
    s = population
    listed = _compliance(s)
    persons = s.client.get("/persons?limit=500", headers=s.nurse).json()["items"]
    assert [p["external_id"] for p in listed] == [p["external_id"] for p in persons]
    states_seen = set()
    for item in listed:
        status = s.status(item["external_id"])
        lacking = [
            {"test_type": i["test_type"], "state": i["state"]}
            for i in status["items"]
            if i["state"] != "ok"
        ]
        states_seen |= {i["state"] for i in status["items"]}
        assert item["lacking"] == lacking, item["external_id"]
        assert item["compliant"] is status["compliant"]
    # the random population exercised every state
    assert states_seen == {
        "ok",
        "missing",
        "expired",
        "positive",
        "indeterminate",
        "pending",
        "abnormal",
    }


def test_noncompliant_filter_and_other_filters(population):
    s = population
    everyone = _compliance(s)
    lacking = [i for i in everyone if i["lacking"]]
    assert _compliance(s, "&state=noncompliant") == lacking
    assert _compliance(s, "&state=compliant") == [i for i in everyone if not i["lacking"]]
    caregivers = _compliance(s, "&category=caregiver&state=noncompliant")
    assert caregivers == [i for i in lacking if i["category"] == "caregiver"]
    d1 = _compliance(s, "&department=d1")
    assert d1 == [i for i in everyone if i["department"] == "d1"]
    assert all(
        i["compliant"] and not i["lacking"] for i in everyone if i["category"] == "outpatient"
    )
    assert _compliance(s, "&category=outpatient&state=noncompliant") == []


def test_compliance_item_shape(screening):
    screening.person("S1", "staff", ward="W1", department="icu", phone="13812345678")
    screening.post(result("R1", person="S1"))
    r = screening.client.get("/compliance?state=noncompliant", headers=screening.nurse)
    assert r.json() == {
        "items": [
            {
                "external_id": "S1",
                "name": "Patient S1",
                "category": "staff",
                "department": "icu",
                "ward": "W1",
                "compliant": False,
                "lacking": [
                    {"test_type": t, "state": "missing"}
                    for t in ["antibody_igm", "antibody_igg", "chest_ct", "blood_routine"]
                ],
            }
        ],
        "next_cursor": None,
    }


@pytest.mark.parametrize("query", ["state=bad", "category=x", "cursor=%25%25%25", "limit=-1"])
def test_bad_compliance_queries_are_422(screening, query):
    assert screening.client.get(f"/compliance?{query}", headers=screening.nurse).status_code == 422


def test_small_judging_windows_give_the_same_pages(population, monkeypatch):
    s = population
    expected = {q: _compliance(s, q) for q in ("&state=noncompliant", "&state=compliant")}
    monkeypatch.setattr("services.screening.status.repository._FIRST_WINDOW", 2)
    monkeypatch.setattr("services.screening.status.repository._MAX_WINDOW", 5)
    for query, items in expected.items():
        assert _compliance(s, query) == items
