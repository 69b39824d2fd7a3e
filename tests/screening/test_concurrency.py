"""Concurrent posts against a real server process: the database, not Python, keeps order."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import httpx
from sqlalchemy import create_engine, text

from tests.screening.conftest import result

THREADS = 12


def _together(n, call):
    barrier = threading.Barrier(n)

    def run(i):
        barrier.wait()
        return call(i)

    with ThreadPoolExecutor(n) as pool:
        return list(pool.map(run, range(n)))


def _count(url, sql):
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return conn.execute(text(sql)).scalar_one()
    finally:
        engine.dispose()


def test_concurrent_identical_posts_store_exactly_one_row(live, idp, database_url):
    svc = live("screening")
    h = idp.headers("integration")
    body = {"name": "A", "category": "inpatient", "department": "resp"}
    assert httpx.put(f"{svc.url}/persons/P1", json=body, headers=h).status_code == 201
    positive = result("R1", value="positive")

    def post(_i):
        return httpx.post(f"{svc.url}/results", json=positive, headers=h, timeout=30)

    answers = _together(THREADS, post)
    codes = sorted(a.status_code for a in answers)
    assert codes == [200] * (THREADS - 1) + [201], [a.text for a in answers]
    assert len({a.json()["version"] for a in answers}) == 1
    url = database_url("screening")
    assert _count(url, "SELECT count(*) FROM screening_result") == 1
    assert _count(url, "SELECT count(*) FROM alert_outbox") == 1


def test_concurrent_corrections_each_get_their_own_version(live, idp, database_url):
    svc = live("screening")
    h = idp.headers("nurse")
    body = {"name": "A", "category": "inpatient", "department": "resp"}
    httpx.put(f"{svc.url}/persons/P1", json=body, headers=h)
    assert httpx.post(f"{svc.url}/results", json=result("R1"), headers=h).status_code == 201

    def correct(i):
        note = {"note": f"correction {i}"}
        return httpx.post(
            f"{svc.url}/results",
            json=result("R1", status="corrected", **note),
            headers=h,
            timeout=30,
        )

    answers = _together(6, correct)
    created = [a for a in answers if a.status_code == 201]
    assert all(a.status_code in (201, 409) for a in answers), [a.text for a in answers]
    versions = sorted(a.json()["version"] for a in created)
    assert versions == list(range(2, 2 + len(created)))
    stored = _count(database_url("screening"), "SELECT count(*) FROM screening_result")
    assert stored == 1 + len(created)


def test_concurrent_identical_batches_store_each_row_once(live, idp, database_url):
    svc = live("screening")
    h = idp.headers("integration")
    body = {"name": "A", "category": "inpatient", "department": "resp"}
    httpx.put(f"{svc.url}/persons/P1", json=body, headers=h)
    batch = {"results": [result(f"R{n}", hours_ago=n + 1) for n in range(200)]}

    def post(_i):
        return httpx.post(f"{svc.url}/results/batch", json=batch, headers=h, timeout=60)

    answers = [a.json() for a in _together(4, post)]
    assert sum(a["accepted"] for a in answers) == 200
    assert sum(a["duplicates"] for a in answers) == 600
    assert all(a["rejected"] == [] for a in answers)
    assert _count(database_url("screening"), "SELECT count(*) FROM screening_result") == 200


def _version(external_id, note):
    from datetime import UTC, datetime

    now = datetime.now(UTC)
    return {
        "external_id": external_id,
        "version": 1,
        "person_external_id": "P1",
        "test_type": "nucleic_acid",
        "result": "negative",
        "status": "final",
        "specimen_collected_at": now,
        "resulted_at": None,
        "loinc": "94500-6",
        "values": None,
        "performer": None,
        "note": note,
        "replaces_version": None,
        "content_hash": note * 8,
        "recorded_at": now,
        "recorded_by": "test",
    }


def test_version_stored_meanwhile_is_skipped_and_left_out_of_the_answer(database_url):
    # The set-based insert (PostgreSQL: COPY, then its ON CONFLICT fallback) must neither
    # fail nor overwrite when another writer stored the same version first.
    from datetime import UTC, datetime

    from sqlmodel import Session

    from services.screening.results.repository import insert_versions

    engine = create_engine(database_url("screening"))
    try:
        with engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO person (external_id, name, category, department, created_at,"
                    " updated_at) VALUES ('P1', 'A', 'inpatient', 'resp', :now, :now)"
                ),
                {"now": datetime.now(UTC)},
            )
        with Session(engine) as first:
            assert list(insert_versions(first, [_version("R1", "firstwin")], 1)) == [("R1", 1)]
            first.commit()
        with Session(engine) as second:
            stored = insert_versions(second, [_version("R1", "too-late"), _version("R2", "new")], 2)
            second.commit()
        assert list(stored) == [("R2", 1)]
        assert _count(database_url("screening"), "SELECT count(*) FROM screening_result") == 2
        notes = _count(
            database_url("screening"), "SELECT note FROM screening_result WHERE external_id='R1'"
        )
        assert notes == "firstwin"
    finally:
        engine.dispose()
