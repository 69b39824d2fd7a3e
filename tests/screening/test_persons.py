"""Persons: create/replace, caregivers, masking by role, lists, roles and audit."""

from __future__ import annotations

import pytest

ID = "110101199001011234"
PHONE = "13812345678"


def test_put_creates_then_replaces(screening):
    c, h = screening.client, screening.nurse
    body = {
        "name": "Li Lei",
        "category": "inpatient",
        "department": "resp",
        "ward": "W3",
        "admitted_at": "2026-11-01T08:00:00+08:00",
        "phone": PHONE,
        "id_number": ID,
    }
    first = c.put("/persons/P1", json=body, headers=h)
    assert first.status_code == 201, first.text
    assert first.json()["admitted_at"] == "2026-11-01T00:00:00Z"
    again = c.put("/persons/P1", json={**body, "ward": "W4"}, headers=h)
    assert again.status_code == 200
    got = c.get("/persons/P1", headers=h).json()
    assert (got["ward"], got["category"], got["department"]) == ("W4", "inpatient", "resp")
    assert got["created_at"] == first.json()["created_at"]


@pytest.mark.parametrize(
    ("patch", "field"),
    [
        ({"category": "doctor"}, "category"),
        ({"name": "x" * 201}, "name"),
        ({"name": "bad\x00name"}, "name"),
        ({"department": ""}, "department"),
        ({"admitted_at": "2026-11-01T08:00:00"}, "admitted_at"),
        ({"phone": "call me"}, "phone"),
        ({"id_number": "12-34"}, "id_number"),
        ({"id": 5}, "id"),
        ({"created_at": "2026-11-01T08:00:00Z"}, "created_at"),
    ],
    ids=[
        "bad category",
        "long name",
        "NUL byte",
        "empty department",
        "naive admitted_at",
        "bad phone",
        "bad id number",
        "server-owned id",
        "server-owned created_at",
    ],
)
def test_put_rejects_bad_fields(screening, patch, field):
    body = {"name": "A", "category": "inpatient", "department": "resp", **patch}
    r = screening.client.put("/persons/P1", json=body, headers=screening.nurse)
    assert r.status_code == 422
    assert r.headers["content-type"] == "application/problem+json"
    assert any(e["field"].endswith(field) for e in r.json()["errors"])


@pytest.mark.parametrize(
    "body",
    [
        {
            "name": "A",
            "category": "staff",
            "department": "resp",
            "admitted_at": "2026-11-01T08:00:00Z",
        },
        {"name": "A", "category": "caregiver", "department": "resp"},
        {"name": "A", "category": "staff", "department": "resp", "patient_external_id": "P1"},
    ],
    ids=["admitted staff", "caregiver without patient", "patient on staff"],
)
def test_fields_must_fit_the_category(screening, body):
    r = screening.client.put("/persons/X1", json=body, headers=screening.nurse)
    assert r.status_code == 422


def test_caregiver_must_escort_a_registered_inpatient(screening):
    screening.person("P1", "inpatient")
    screening.person("O1", "outpatient")
    c, h = screening.client, screening.nurse
    base = {"name": "Carer", "category": "caregiver", "department": "resp"}
    for patient in ("NOPE", "O1", "C1"):
        r = c.put("/persons/C1", json={**base, "patient_external_id": patient}, headers=h)
        assert r.status_code == 422, patient
        assert r.json()["code"] == "unknown_patient"
    r = c.put("/persons/C1", json={**base, "patient_external_id": "P1"}, headers=h)
    assert r.status_code == 201
    listed = c.get("/persons?patient_external_id=P1", headers=h).json()["items"]
    assert [p["external_id"] for p in listed] == ["C1"]


@pytest.mark.parametrize(
    ("role", "full"),
    [
        ("nurse", True),
        ("doctor", True),
        ("infection_control", True),
        ("integration", False),
        ("auditor", False),
        ("admin", False),
    ],
)
def test_identity_numbers_are_full_only_for_ward_staff(screening, idp, role, full):
    screening.person("P1", phone=PHONE, id_number=ID)
    got = screening.client.get("/persons/P1", headers=idp.headers(role)).json()
    if full:
        assert (got["phone"], got["id_number"]) == (PHONE, ID)
    else:
        assert (got["phone"], got["id_number"]) == ("138****5678", "1101********1234")
    listed = screening.client.get("/persons", headers=idp.headers(role)).json()["items"]
    assert (listed[0]["phone"], listed[0]["id_number"]) == ("138****5678", "1101********1234")


def test_identity_numbers_never_reach_the_audit_trail(screening, idp):
    screening.person("P1", phone=PHONE, id_number=ID, name="Han Meimei")
    screening.client.get("/persons/P1", headers=screening.nurse)
    screening.client.get("/persons", headers=screening.nurse)
    trail = screening.client.get("/audit", headers=idp.headers("auditor"))
    assert trail.status_code == 200
    actions = [row["action"] for row in trail.json()["items"]]
    assert actions[:3] == ["person.create", "person.read", "person.list"]
    assert PHONE not in trail.text and ID not in trail.text and "Han Meimei" not in trail.text


def test_list_filters_and_pages(screening, idp):
    for n in range(7):
        screening.person(f"S{n}", "staff", department="icu" if n % 2 else "resp", ward=f"W{n % 3}")
    screening.person("P9", "inpatient", department="icu")
    h = idp.headers("auditor")
    seen, cursor = [], None
    while True:
        url = "/persons?category=staff&limit=2" + (f"&cursor={cursor}" if cursor else "")
        page = screening.client.get(url, headers=h).json()
        seen += [p["external_id"] for p in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == [f"S{n}" for n in range(7)]
    icu = screening.client.get("/persons?department=icu", headers=h).json()["items"]
    assert [p["external_id"] for p in icu] == ["P9", "S1", "S3", "S5"]
    ward = screening.client.get("/persons?ward=W0", headers=h).json()["items"]
    assert [p["external_id"] for p in ward] == ["S0", "S3", "S6"]


@pytest.mark.parametrize(
    "url",
    [
        "/persons?cursor=!!!",
        "/persons?cursor=WzFd",
        "/persons?limit=0",
        "/persons?category=x",
        "/persons?department=" + "d" * 65,
    ],
)
def test_bad_list_queries_are_422(screening, url):
    r = screening.client.get(url, headers=screening.nurse)
    assert r.status_code == 422


def test_unknown_person_is_404(screening):
    r = screening.client.get("/persons/NOPE", headers=screening.nurse)
    assert r.status_code == 404
    assert r.json()["code"] == "unknown_person"


@pytest.mark.parametrize("role", ["auditor", "admin"])
def test_readers_who_never_write_get_403(screening, idp, role):
    body = {"name": "A", "category": "staff", "department": "resp"}
    r = screening.client.put("/persons/P1", json=body, headers=idp.headers(role))
    assert r.status_code == 403
    assert screening.client.get("/persons", headers=idp.headers(role)).status_code == 200


def test_no_token_is_401(screening):
    assert screening.client.get("/persons").status_code == 401
    assert screening.client.get("/persons/P1").status_code == 401
