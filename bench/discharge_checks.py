"""Discharge checks per second next to a bare FastAPI endpoint, in the same run.

Real screening and discharge services on PostgreSQL; every check asks screening for the person
and their full result history (token relayed), applies the rule, and stores the check and an
audit row. 16 concurrent clients (wrk), p50/p99 latency reported.
With `WARDGATE_BENCH_PROFILE=1` (`make bench-profile`) both services are profiled during the load
run (bench/profile.py).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import create_engine, text

from bench.load import (
    LoadResult,
    bench_auth,
    bench_database,
    ratio_row,
    run_load,
    start_floor,
    start_service,
)
from bench.profile import figures, profiled

PATIENTS = 200
TESTS = ("nucleic_acid", "antibody_igm", "antibody_igg")


def _seed(screening_url: str, token: str) -> list[str]:
    """Clean inpatients with a short history each (an older positive, then negatives)."""
    headers = {"Authorization": f"Bearer {token}"}
    now = datetime.now(UTC)
    pids = [f"BENCH-{i:04d}" for i in range(PATIENTS)]
    with httpx.Client(base_url=screening_url, headers=headers, timeout=30) as http:
        for pid in pids:
            person = {
                "name": "Bench Patient",
                "category": "inpatient",
                "department": "resp",
                "ward": "W1",
                "admitted_at": (now - timedelta(days=20)).isoformat(),
            }
            http.put(f"/persons/{pid}", json=person).raise_for_status()
            results = [
                (f"{pid}-na-0", "nucleic_acid", "positive", now - timedelta(days=12)),
                (f"{pid}-na-1", "nucleic_acid", "negative", now - timedelta(days=2)),
                (f"{pid}-na-2", "nucleic_acid", "negative", now - timedelta(hours=2)),
                (f"{pid}-igm", "antibody_igm", "negative", now - timedelta(hours=2)),
                (f"{pid}-igg", "antibody_igg", "negative", now - timedelta(hours=2)),
            ]
            batch = [
                {
                    "external_id": ext,
                    "person_external_id": pid,
                    "test_type": test_type,
                    "result": result,
                    "status": "final",
                    "specimen_collected_at": at.isoformat(),
                }
                for ext, test_type, result, at in results
            ]
            http.post("/results/batch", json={"results": batch}).raise_for_status()
    return pids


def _check_statuses(discharge_url: str) -> dict[str, int]:
    """Answers to POST /discharge-checks by status, from the service's own /metrics."""
    counts: dict[str, int] = {}
    for line in httpx.get(discharge_url + "/metrics", timeout=10).text.splitlines():
        if line.startswith("wardgate_requests_total{") and 'route="/discharge-checks"' in line:
            status = line.split('status="', 1)[1].split('"', 1)[0]
            counts[status] = counts.get(status, 0) + int(float(line.rsplit(" ", 1)[1]))
    return counts


def _check_outcomes(database_url: str) -> dict[str, int]:
    """Stored checks by decision (a slow screening answer would show up as not eligible)."""
    engine = create_engine(database_url)
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT eligible, count(*) FROM discharge_check GROUP BY 1"))
        outcomes = {("eligible" if e else "not_eligible"): int(n) for e, n in rows}
    engine.dispose()
    return outcomes


def _checks(
    url: str, headers: dict[str, str], pids: list[str], floor_r: LoadResult, duration_s: int
) -> dict[str, Any]:
    """One eligible probe check, then POST /discharge-checks under load over every patient."""
    probe = httpx.post(
        url + "/discharge-checks",
        json={"patient_external_id": pids[0]},
        headers=headers,
        timeout=10,
    )
    assert probe.status_code == 200 and probe.json()["eligible"], probe.text
    result = run_load(
        url + "/discharge-checks",
        method="POST",
        headers=headers,
        bodies=[{"patient_external_id": pid} for pid in pids],
        concurrency=16,
        duration_s=duration_s,
    )
    return ratio_row("POST /discharge-checks", result, floor_r)


def main(duration_s: int = 10) -> dict[str, Any]:
    """Measure the floor, then discharge checks against real services on PostgreSQL."""
    env, token = bench_auth()
    print(f"discharge checks (16 connections, {PATIENTS} patients, PostgreSQL)")
    floor = start_floor()
    try:
        floor_r = run_load(floor.url + "/floor", duration_s=duration_s)
    finally:
        floor.stop()
    rows = [ratio_row("bare FastAPI (floor)", floor_r, floor_r)]
    screening = start_service(
        "screening",
        {**env, "DATABASE_URL": bench_database("screening", "wardgate_bench_checks_screening")},
    )
    discharge = None
    try:
        pids = _seed(screening.url, token("integration"))
        discharge_db = bench_database("discharge", "wardgate_bench_checks_discharge")
        discharge = start_service(
            "discharge",
            {**env, "DATABASE_URL": discharge_db, "SCREENING_URL": screening.url},
        )
        headers = {"Authorization": f"Bearer {token('nurse')}"}
        with (
            profiled(discharge, "discharge_checks-discharge") as in_discharge,
            profiled(screening, "discharge_checks-screening") as in_screening,
        ):
            rows.append(_checks(discharge.url, headers, pids, floor_r, duration_s))
        statuses = _check_statuses(discharge.url)
        outcomes = _check_outcomes(discharge_db)
        print(f"  answers by status (service metrics): {statuses}; stored checks: {outcomes}")
    finally:
        if discharge is not None:
            discharge.stop()
        screening.stop()
    check = rows[-1]
    return {
        "floor_rps": rows[0]["rps"],
        "checks_rps": check["rps"],
        "checks_p50_ms": check["p50_ms"],
        "checks_p99_ms": check["p99_ms"],
        "ratio_to_floor": check["ratio_to_floor"],
        "statuses": statuses,
        "check_outcomes": outcomes,
        "route": check,  # the measured row, which bench/lean.py sets beside the lean calibration
        **figures(in_discharge, in_screening),
    }


if __name__ == "__main__":
    main()
