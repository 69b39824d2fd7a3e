"""POST /results and a person's results: validation, versions, retries, history, audit."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import create_engine, text

from tests.screening.conftest import ago, result


@pytest.fixture
def s(screening):
    screening.person("P1")
    return screening


def test_post_stores_and_defaults_loinc(s):
    body = result("R1", resulted_at=ago(minutes=30), performer="Lab A", note="ok")
    got = s.post(body)
    assert got["version"] == 1 and got["replaces"] is None
    assert got["loinc"] == "94500-6"
    assert (got["performer"], got["note"]) == ("Lab A", "ok")


@pytest.mark.parametrize(
    ("test_type", "value", "loinc"),
    [
        ("nucleic_acid", "positive", "94500-6"),
        ("antibody_igm", "indeterminate", "94564-2"),
        ("antibody_igg", "negative", "94563-4"),
        ("chest_ct", "abnormal", "24627-2"),
        ("blood_routine", "normal", "58410-2"),
    ],
)
def test_each_test_type_accepts_its_results_and_code(s, test_type, value, loinc):
    got = s.post(result(f"R-{test_type}", test_type=test_type, value=value, loinc=loinc))
    assert (got["result"], got["loinc"]) == (value, loinc)


BAD = [
    ("CT read as negative", {"test_type": "chest_ct", "result": "negative"}, "result"),
    ("nucleic acid read as normal", {"result": "normal"}, "result"),
    ("unknown result", {"result": "meh"}, "result"),
    ("unknown test", {"test_type": "xray"}, "test_type"),
    ("unknown status", {"status": "amended"}, "status"),
    ("final without a result", {"result": None}, "result"),
    ("wrong LOINC for the type", {"loinc": "24627-2"}, "loinc"),
    ("malformed LOINC", {"loinc": "abc"}, "loinc"),
    ("values on a non-blood test", {"values": {"wbc": {"value": 5, "unit": "10^9/L"}}}, "values"),
    (
        "naive specimen time",
        {"specimen_collected_at": "2026-11-01T08:00:00"},
        "specimen_collected_at",
    ),
    ("specimen in the future", {"specimen_collected_at": ago(hours=-2)}, "specimen_collected_at"),
    ("resulted before collected", {"resulted_at": ago(hours=5)}, "resulted_at"),
    ("naive resulted_at", {"resulted_at": "2026-11-01T08:00:00"}, "resulted_at"),
    ("server-owned version", {"version": 3}, "version"),
    ("server-owned replaces", {"replaces": 1}, "replaces"),
    ("NUL in note", {"note": "a\x00b"}, "note"),
    ("note too long", {"note": "x" * 2001}, "note"),
    ("external id too long", {"external_id": "R" * 65}, "external_id"),
    ("external id with spaces", {"external_id": "R 1"}, "external_id"),
]


@pytest.mark.parametrize(("patch", "field"), [b[1:] for b in BAD], ids=[b[0] for b in BAD])
def test_invalid_results_are_422_naming_the_field(s, patch, field):
    r = s.client.post("/results", json={**result("R1"), **patch}, headers=s.nurse)
    assert r.status_code == 422, r.text
    assert r.headers["content-type"] == "application/problem+json"
    assert any(e["field"].endswith(field) for e in r.json()["errors"]), r.json()


def test_blood_routine_values_with_units(s):
    values = {
        "wbc": {"value": 6.1, "unit": "10^9/L"},
        "lymphocytes": {"value": 1.9, "unit": "10^9/L"},
    }
    got = s.post(result("B1", test_type="blood_routine", value="normal", values=values))
    assert got["values"] == values
    bad = {"wbc": {"value": 6.1}}
    r = s.client.post(
        "/results",
        json=result("B2", test_type="blood_routine", value="normal", values=bad),
        headers=s.nurse,
    )
    assert r.status_code == 422


def test_unknown_person_is_404(s):
    r = s.client.post("/results", json=result("R1", person="NOPE"), headers=s.nurse)
    assert r.status_code == 404
    assert r.json()["code"] == "unknown_person"


def test_identical_retry_answers_the_stored_result_and_writes_nothing(s, idp):
    first = s.post(result("R1"))
    at = datetime.fromisoformat(first["specimen_collected_at"])
    same_instant_other_offset = {
        **result("R1"),
        "specimen_collected_at": at.astimezone(timezone(timedelta(hours=8))).isoformat(),
    }
    again = s.client.post("/results", json=same_instant_other_offset, headers=s.nurse)
    assert again.status_code == 200
    assert again.json() == first
    history = s.client.get("/persons/P1/results?include_history=true", headers=s.nurse).json()
    assert len(history["items"]) == 1


def test_different_content_without_correction_is_409(s):
    s.post(result("R1"))
    r = s.client.post("/results", json=result("R1", value="positive"), headers=s.nurse)
    assert r.status_code == 409
    assert r.json()["code"] == "result_conflict"


def test_correction_chain_and_history(s):
    s.post(result("R1", value="negative"))
    v2 = s.post(result("R1", value="positive", status="corrected"))
    assert v2["version"] == 2 and v2["replaces"] == {"external_id": "R1", "version": 1}
    v3 = s.post(result("R1", value=None, status="entered_in_error"))
    assert v3["version"] == 3 and v3["replaces"] == {"external_id": "R1", "version": 2}
    # the original, retried late, is still a safe retry of version 1
    late = s.client.post("/results", json=result("R1", value="negative"), headers=s.nurse)
    assert (late.status_code, late.json()["version"]) == (200, 1)
    # a closed (voided) result takes no further corrections
    r = s.client.post(
        "/results", json=result("R1", value="negative", status="corrected"), headers=s.nurse
    )
    assert r.status_code == 409
    latest = s.client.get("/persons/P1/results", headers=s.nurse).json()["items"]
    assert [(i["external_id"], i["version"], i["status"]) for i in latest] == [
        ("R1", 3, "entered_in_error")
    ]
    full = s.client.get("/persons/P1/results?include_history=true", headers=s.nurse).json()
    assert [i["version"] for i in full["items"]] == [3, 2, 1]


def test_void_of_an_unknown_result_is_422(s):
    r = s.client.post(
        "/results", json=result("R9", value=None, status="entered_in_error"), headers=s.nurse
    )
    assert r.status_code == 422
    assert r.json()["code"] == "unknown_result"


def test_preliminary_then_final_is_a_new_version(s):
    s.post(result("R1", value=None, status="preliminary"))
    final = s.post(result("R1", value="negative"))
    assert final["version"] == 2
    assert s.states("P1")["nucleic_acid"] == "ok"


def test_results_filter_by_type_and_page_through_history(s):
    for n in range(5):
        s.post(result(f"N{n}", hours_ago=n + 1))
        s.post(result(f"N{n}", value="positive", status="corrected", hours_ago=n + 1))
    s.post(result("CT1", test_type="chest_ct", value="normal"))
    h = s.nurse
    ct = s.client.get("/persons/P1/results?test_type=chest_ct", headers=h).json()["items"]
    assert [i["external_id"] for i in ct] == ["CT1"]
    seen, cursor = [], None
    while True:
        url = "/persons/P1/results?include_history=true&test_type=nucleic_acid&limit=3"
        page = s.client.get(url + (f"&cursor={cursor}" if cursor else ""), headers=h).json()
        seen += [(i["external_id"], i["version"]) for i in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert sorted(seen) == sorted((f"N{n}", v) for n in range(5) for v in (1, 2))
    latest = s.client.get("/persons/P1/results?test_type=nucleic_acid", headers=h).json()
    assert {(i["external_id"], i["version"]) for i in latest["items"]} == {
        (f"N{n}", 2) for n in range(5)
    }


@pytest.mark.parametrize(
    "query", ["cursor=%%%", "cursor=eyJpZCI6ICJ4In0", "test_type=xray", "include_history=maybe"]
)
def test_bad_result_queries_are_422(s, query):
    r = s.client.get(f"/persons/P1/results?{query}", headers=s.nurse)
    assert r.status_code == 422


def test_reads_and_writes_of_results_are_audited(s, idp):
    s.post(result("R1"))
    s.client.post("/results", json=result("R1"), headers=s.nurse)
    s.client.get("/persons/P1/results", headers=idp.headers("auditor"))
    s.status("P1")
    rows = s.client.get("/audit?limit=500", headers=idp.headers("auditor")).json()["items"]
    trail = [(r["action"], r["resource"], r["actor"]) for r in rows]
    assert ("result.create", "result/R1/v1", "nurse") in trail
    assert ("result.retry", "result/R1/v1", "nurse") in trail
    assert ("result.read", "person/P1", "auditor") in trail
    assert ("screening_status.read", "person/P1", "nurse") in trail


@pytest.mark.parametrize("role", ["auditor", "admin"])
def test_read_only_roles_cannot_post(s, idp, role):
    r = s.client.post("/results", json=result("R1"), headers=idp.headers(role))
    assert r.status_code == 403
    r = s.client.post("/results/batch", json={"results": [result("R1")]}, headers=idp.headers(role))
    assert r.status_code == 403


@pytest.mark.parametrize("role", ["integration", "doctor", "infection_control"])
def test_clinical_writers_may_post(s, idp, role):
    r = s.client.post("/results", json=result(f"R-{role}"), headers=idp.headers(role))
    assert r.status_code == 201


def test_the_database_refuses_to_change_a_stored_result(s, database_url):
    s.post(result("R1"))
    engine = create_engine(database_url("screening"))
    try:
        for statement in (
            "UPDATE screening_result SET result = 'positive'",
            "DELETE FROM screening_result",
        ):
            with pytest.raises(Exception, match="append-only"), engine.begin() as conn:
                conn.execute(text(statement))
    finally:
        engine.dispose()
