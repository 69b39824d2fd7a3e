"""POST /results/batch: set-based, one transaction, every item accounted for by index."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import create_engine, text

from tests.screening.conftest import ago, result


def _count(url, table):
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return conn.execute(text(f"SELECT count(*) FROM {table}")).scalar_one()
    finally:
        engine.dispose()


def test_a_full_batch_of_5000_mixed_items(screening, database_url):
    for p in ("P1", "P2"):
        screening.person(p)
    items, expect_rejected = [], {}
    for n in range(5000):
        person = "P1" if n % 2 else "P2"
        item = result(f"R{n}", person=person, hours_ago=1 + n / 1000)
        if n % 100 == 7:
            item["result"] = "normal"  # not a nucleic-acid result
            expect_rejected[n] = "result"
        elif n % 100 == 13:
            item["person_external_id"] = "NOPE"
            expect_rejected[n] = "person_external_id"
        elif n % 100 == 29:
            item["specimen_collected_at"] = "2026-11-01T08:00:00"
            expect_rejected[n] = "specimen_collected_at"
        elif n % 100 == 31:
            item = "not an object"
            expect_rejected[n] = ""
        elif n % 100 == 50:
            item = dict(items[-1]) if isinstance(items[-1], dict) else item  # an in-batch repeat
        items.append(item)
    repeats = sum(1 for n in range(5000) if n % 100 == 50)
    r = screening.client.post("/results/batch", json={"results": items}, headers=screening.nurse)
    assert r.status_code == 200, r.text[:500]
    got = r.json()
    assert {x["index"] for x in got["rejected"]} == set(expect_rejected)
    for rejection in got["rejected"]:
        field = expect_rejected[rejection["index"]]
        assert any(e["field"].endswith(field) for e in rejection["errors"]), rejection
    assert got["duplicates"] == repeats
    assert got["accepted"] == 5000 - len(expect_rejected) - repeats
    assert _count(database_url("screening"), "screening_result") == got["accepted"]
    # the same batch again: nothing new, everything a duplicate or the same rejection
    again = screening.client.post(
        "/results/batch", json={"results": items}, headers=screening.nurse
    ).json()
    assert again["accepted"] == 0
    assert again["duplicates"] == got["accepted"] + repeats
    assert again["rejected"] == got["rejected"]


def test_over_5000_items_is_422(screening):
    items = [result(f"R{n}") for n in range(5001)]
    r = screening.client.post("/results/batch", json={"results": items}, headers=screening.nurse)
    assert r.status_code == 422
    empty = screening.client.post("/results/batch", json={"results": []}, headers=screening.nurse)
    assert empty.status_code == 422


def test_batch_applies_versions_in_order(screening):
    screening.person("P1")
    items = [
        result("R1", value=None, status="preliminary"),
        result("R1", value="negative"),
        result("R1", value="positive", status="corrected"),
        result("R2", value="negative"),
        result("R2", value="positive"),  # different content, not a correction
    ]
    got = screening.client.post(
        "/results/batch", json={"results": items}, headers=screening.nurse
    ).json()
    assert (got["accepted"], got["duplicates"]) == (4, 0)
    assert [x["index"] for x in got["rejected"]] == [4]
    assert got["rejected"][0]["errors"][0]["type"] == "result_conflict"
    history = screening.client.get(
        "/persons/P1/results?include_history=true", headers=screening.nurse
    ).json()["items"]
    r1 = sorted(
        (i["version"], i["status"], (i["replaces"] or {}).get("version"))
        for i in history
        if i["external_id"] == "R1"
    )
    assert r1 == [(1, "preliminary", None), (2, "final", 1), (3, "corrected", 2)]


def test_batch_counts_retries_of_singly_posted_results(screening):
    screening.person("P1")
    screening.post(result("R1"))
    got = screening.client.post(
        "/results/batch", json={"results": [result("R1"), result("R2")]}, headers=screening.nurse
    ).json()
    assert (got["accepted"], got["duplicates"], got["rejected"]) == (1, 1, [])


def test_a_batch_body_that_is_not_a_batch_is_422(screening):
    for body in ({"results": "x"}, {"items": []}, [result("R1")], {"results": [], "extra": 1}):
        r = screening.client.post("/results/batch", json=body, headers=screening.nurse)
        assert r.status_code == 422


def test_every_field_of_a_batch_item_reads_back_as_sent(screening):
    # Every column the set-based insert writes (PostgreSQL: a binary COPY) round-trips.
    screening.person("P1")
    sent = result(
        "B1",
        test_type="blood_routine",
        value="abnormal",
        status="preliminary",
        values={"wbc": {"value": 11.25, "unit": "10^9/L"}, "hgb": {"value": 98.0, "unit": "g/L"}},
        performer="检验科 Lab 2",
        note="复查: 白细胞偏高\nrecheck tomorrow",
        resulted_at=ago(minutes=5),
        loinc="58410-2",
    )
    got = screening.client.post("/results/batch", json={"results": [sent]}, headers=screening.nurse)
    assert got.json()["accepted"] == 1, got.text

    stored = screening.client.get("/persons/P1/results", headers=screening.nurse).json()["items"]
    assert len(stored) == 1
    row = stored[0]
    for field in ("external_id", "test_type", "result", "status", "values", "performer", "note"):
        assert row[field] == sent[field], field
    assert row["loinc"] == "58410-2" and row["version"] == 1
    for field in ("specimen_collected_at", "resulted_at"):
        assert datetime.fromisoformat(row[field]) == datetime.fromisoformat(sent[field]), field
