"""Exposure-list latency: one person among 100,000 persons and 200,000 check-ins.

Both services run on PostgreSQL bench databases filled with set-based SQL: 100,000 persons
(60,000 outpatients, 25,000 inpatients and 10,000 staff on 200 wards, 5,000 caregivers),
175,000 screening results, 20 departments with 200,000 check-ins over 30 days. The index
person is an inpatient with a recent positive result and five check-ins in the window, so a
request asks appointments for six lists (~170 check-ins per department span), reads the ward
and escorts, and computes the status of every exposed person. Sequential requests (one
keep-alive connection): median and p95, next to a bare FastAPI endpoint in the same run.
"""

from __future__ import annotations

import os
import statistics
import time
from typing import Any

import httpx
import psycopg
from sqlalchemy.engine import make_url

from bench.load import bench_auth, bench_database, start_floor, start_service

INDEX = "P080100"
REQUESTS = 200
TARGET_S = 0.2

_SCREENING_SQL = [
    """
    INSERT INTO person (external_id, name, category, department, ward, admitted_at,
                        created_at, updated_at)
    SELECT 'P' || lpad(i::text, 6, '0'), 'Person ' || i,
           CASE WHEN i <= 60000 THEN 'outpatient' WHEN i <= 85000 THEN 'inpatient'
                ELSE 'staff' END,
           'D' || lpad((i % 20)::text, 2, '0'),
           CASE WHEN i > 60000 THEN 'W' || lpad((i % 200)::text, 3, '0') END,
           CASE WHEN i > 60000 AND i <= 85000 THEN now() - interval '20 days' END,
           now(), now()
    FROM generate_series(1, 95000) AS i
    """,
    """
    INSERT INTO person (external_id, name, category, department, patient_external_id,
                        created_at, updated_at)
    SELECT 'P' || lpad(i::text, 6, '0'), 'Person ' || i, 'caregiver', 'D00',
           'P' || lpad((60001 + i % 25000)::text, 6, '0'), now(), now()
    FROM generate_series(95001, 100000) AS i
    """,
    """
    INSERT INTO screening_result (external_id, version, person_external_id, test_type, result,
        status, specimen_collected_at, loinc, content_hash, recorded_at, recorded_by)
    SELECT 'R' || p || '-' || t.test_type, 1, 'P' || lpad(p::text, 6, '0'), t.test_type,
           t.value, 'final', now() - ((p % 20) || ' days')::interval, t.loinc,
           md5(p || t.test_type), now(), 'bench'
    FROM generate_series(60001, 95000) AS p
    CROSS JOIN (VALUES ('nucleic_acid', 'negative', '94500-6'),
                       ('antibody_igm', 'negative', '94564-2'),
                       ('antibody_igg', 'negative', '94563-4'),
                       ('chest_ct', 'normal', '24627-2'),
                       ('blood_routine', 'normal', '58410-2')) AS t(test_type, value, loinc)
    """,
    f"""
    INSERT INTO screening_result (external_id, version, person_external_id, test_type, result,
        status, specimen_collected_at, loinc, content_hash, recorded_at, recorded_by)
    VALUES ('RPOS', 1, '{INDEX}', 'nucleic_acid', 'positive', 'final',
            now() - interval '2 days', '94500-6', md5('RPOS'), now(), 'bench')
    """,
]

_APPOINTMENTS_SQL = [
    """
    INSERT INTO department (code, name, slot_minutes, capacity_per_slot, opens, closes,
                            booking_days_ahead, created_at, updated_at)
    SELECT 'D' || lpad(d::text, 2, '0'), 'Department ' || d, 15, 20, '08:00', '16:00', 7,
           now(), now()
    FROM generate_series(0, 19) AS d
    """,
    """
    INSERT INTO slot (department_code, slot_start, slot_end, capacity, booked)
    SELECT 'D' || lpad(d::text, 2, '0'),
           date_trunc('day', now()) - (day || ' days')::interval + interval '8 hours'
               + (s * 15 || ' minutes')::interval,
           date_trunc('day', now()) - (day || ' days')::interval + interval '8 hours'
               + ((s + 1) * 15 || ' minutes')::interval,
           20, 11
    FROM generate_series(0, 19) AS d, generate_series(1, 30) AS day, generate_series(0, 31) AS s
    """,
    """
    INSERT INTO appointment (id, booking_code, department_code, slot_id, slot_start, slot_end,
        local_date, patient_external_id, patient_name, status, created_by, created_at,
        status_changed_at)
    SELECT md5('a' || i), lpad(to_hex(i), 8, '0'), s.department_code, s.id, s.slot_start,
           s.slot_end, s.slot_start::date,
           CASE WHEN i % 10 = 0 THEN 'U' || i
                ELSE 'P' || lpad((1 + (i * 7919) % 60000)::text, 6, '0') END,
           'Visitor ' || i, 'completed', 'bench', now(), now()
    FROM generate_series(1, 199995) AS i
    JOIN slot AS s ON s.id = 1 + i % 19200
    """,
    # The index person's own five visits, days apart, in five departments.
    f"""
    INSERT INTO appointment (id, booking_code, department_code, slot_id, slot_start, slot_end,
        local_date, patient_external_id, patient_name, status, created_by, created_at,
        status_changed_at)
    SELECT md5('index' || k), 'IX' || k, s.department_code, s.id, s.slot_start, s.slot_end,
           s.slot_start::date, '{INDEX}', 'Index person', 'completed', 'bench', now(), now()
    FROM generate_series(1, 5) AS k
    JOIN slot AS s ON s.department_code = 'D0' || (2 * k - 1)
     AND s.slot_start = date_trunc('day', now()) - (2 * k - 1 || ' days')::interval
                        + interval '10 hours'
    """,
    """
    INSERT INTO check_in (appointment_id, department_code, patient_external_id, patient_name,
        at, outcome, reasons, temperature_c, mask, health_code, risk_area_travel_14d,
        recorded_by)
    SELECT a.id, a.department_code, a.patient_external_id, a.patient_name,
           a.slot_start + ((abs(hashtext(a.id)) % 15) || ' minutes')::interval,
           CASE WHEN abs(hashtext(a.id)) % 50 = 0 THEN 'redirected_fever_clinic'
                ELSE 'admitted' END,
           '[]', 36.6, true, 'green', false, 'bench'
    FROM appointment AS a
    """,
]


def _load(url: str, statements: list[str]) -> None:
    dsn = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(dsn, autocommit=True) as conn:
        for statement in statements:
            conn.execute(statement)
        conn.execute("ANALYZE")


def _count(url: str, table: str) -> int:
    dsn = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(dsn) as conn:
        row = conn.execute(f"SELECT count(*) FROM {table}").fetchone()
        return int(row[0]) if row else 0


def _latencies(url: str, headers: dict[str, str], n: int) -> tuple[list[float], int]:
    """Seconds per request (after a warm-up), and how many did not answer 200."""
    times, errors = [], 0
    with httpx.Client(headers=headers, timeout=30) as client:
        for _ in range(5):  # warm up connections, caches, plans
            client.get(url)
        for _ in range(n):
            started = time.perf_counter()
            response = client.get(url)
            times.append(time.perf_counter() - started)
            if response.status_code != 200:
                errors += 1
                print(f"  ! {response.status_code}: {response.text[:200]}")
    return times, errors


def _row(name: str, times: list[float], floor_median: float | None) -> dict[str, Any]:
    median = statistics.median(times)
    p95 = statistics.quantiles(times, n=20)[-1]
    row = {
        "name": name,
        "median_ms": round(median * 1000, 2),
        "p95_ms": round(p95 * 1000, 2),
        "x_floor_median": round(median / floor_median, 1) if floor_median else 1.0,
    }
    print(
        f"  {name:<34} median {row['median_ms']:>8} ms  p95 {row['p95_ms']:>8} ms  "
        f"x{row['x_floor_median']} of floor"
    )
    return row


def main(requests: int = REQUESTS) -> dict[str, Any]:
    """Load both databases, start both services, time sequential exposure-list requests."""
    env, token = bench_auth()
    screening_db, appointments_db = bench_database("screening"), bench_database("appointments")
    started = time.perf_counter()
    _load(screening_db, _SCREENING_SQL)
    _load(appointments_db, _APPOINTMENTS_SQL)
    persons, check_ins = _count(screening_db, "person"), _count(appointments_db, "check_in")
    print(
        f"exposure list ({persons} persons, {check_ins} check-ins, loaded in "
        f"{time.perf_counter() - started:.1f} s; sequential requests, PostgreSQL)"
    )
    floor = start_floor()
    try:
        floor_times, _ = _latencies(floor.url + "/floor", {}, requests)
    finally:
        floor.stop()
    rows = [_row("bare FastAPI (floor)", floor_times, None)]
    appointments = start_service("appointments", {**env, "DATABASE_URL": appointments_db})
    screening = start_service(
        "screening",
        {**env, "DATABASE_URL": screening_db, "APPOINTMENTS_URL": appointments.url},
    )
    try:
        url = f"{screening.url}/persons/{INDEX}/exposures"
        headers = {"Authorization": f"Bearer {token('infection_control')}"}
        doc = httpx.get(url, headers=headers, timeout=30).json()
        why = {r for item in doc["items"] for r in item["why"]}
        print(f"  index {INDEX}: {len(doc['items'])} exposed persons, reasons {sorted(why)}")
        times, errors = _latencies(url, headers, requests)
        rows.append(_row("GET /persons/{id}/exposures", times, rows[0]["median_ms"] / 1000))
        rows[-1]["errors"] = errors
    finally:
        screening.stop()
        appointments.stop()
    result = rows[-1]
    verdict = "meets" if result["p95_ms"] / 1000 < TARGET_S else "MISSES"
    print(
        f"  p95 {result['p95_ms']} ms {verdict} the target of {TARGET_S * 1000:.0f} ms "
        f"(errors {result['errors']}; load average {os.getloadavg()[0]:.1f} on "
        f"{os.cpu_count()} CPUs)"
    )
    return {
        "exposure_list": rows,
        "exposed_persons": len(doc["items"]),
        "persons": persons,
        "check_ins": check_ins,
    }


if __name__ == "__main__":
    main()
