"""Screening-status requests/s next to a bare FastAPI endpoint, in the same run.

A real screening service on PostgreSQL; each request verifies the token, loads the person and
every version of their results, applies the policy (pure function) and writes an audit row.
16 concurrent clients (wrk), p50/p99 latency reported.
With `WARDGATE_BENCH_PROFILE=1` (`make bench-profile`) the load run is profiled (bench/profile.py).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from bench.load import (
    bench_auth,
    ratio_row,
    run_load,
    start_floor,
    start_service,
)
from bench.profile import figures, profiled
from bench.screening_ingest import own_database

PERSONS = 50
TESTS = (
    ("nucleic_acid", "negative"),
    ("antibody_igm", "negative"),
    ("antibody_igg", "negative"),
    ("chest_ct", "normal"),
    ("blood_routine", "normal"),
)


def _seed(url: str, token: str) -> str:
    """Inpatients with two results per required test (one corrected); returns one id."""
    now = datetime.now(UTC)
    with httpx.Client(base_url=url, headers={"Authorization": f"Bearer {token}"}) as http:
        items = []
        for i in range(PERSONS):
            pid = f"BS-{i:04d}"
            person = {"name": "Bench", "category": "inpatient", "department": "resp"}
            http.put(f"/persons/{pid}", json=person).raise_for_status()
            for n, (test_type, value) in enumerate(TESTS):
                for k in range(2):
                    items.append(
                        {
                            "external_id": f"{pid}-{n}-{k}",
                            "person_external_id": pid,
                            "test_type": test_type,
                            "result": value,
                            "status": "final",
                            "specimen_collected_at": (now - timedelta(days=k + 1)).isoformat(),
                        }
                    )
            items.append({**items[-1], "status": "corrected", "note": "recount"})
        answer = http.post("/results/batch", json={"results": items}, timeout=60)
        answer.raise_for_status()
    return "BS-0007"


def main(duration_s: int = 10) -> dict[str, Any]:
    """Measure the floor, then GET /persons/{id}/screening-status on PostgreSQL."""
    env, token = bench_auth()
    print("screening status (16 connections, one uvicorn worker, PostgreSQL)")
    floor = start_floor()
    try:
        floor_r = run_load(floor.url + "/floor", duration_s=duration_s)
    finally:
        floor.stop()
    rows = [ratio_row("bare FastAPI (floor)", floor_r, floor_r)]
    server = start_service(
        "screening", {**env, "DATABASE_URL": own_database("wardgate_bench_screening_status")}
    )
    try:
        pid = _seed(server.url, token("integration"))
        headers = {"Authorization": f"Bearer {token('nurse')}"}
        check = httpx.get(f"{server.url}/persons/{pid}/screening-status", headers=headers)
        assert check.status_code == 200 and check.json()["compliant"], check.text
        with profiled(server, "screening_status") as profile:
            status_r = run_load(
                f"{server.url}/persons/{pid}/screening-status",
                headers=headers,
                duration_s=duration_s,
            )
            rows.append(ratio_row("GET screening-status", status_r, floor_r))
    finally:
        server.stop()
    ratio = rows[-1]["ratio_to_floor"]
    print(f"  ratio status / floor = {ratio}   (target >= 0.40)")
    # "route": the measured row, which bench/lean.py sets beside the lean calibration
    return {
        "screening_status": rows,
        "ratio_to_floor": ratio,
        "route": rows[-1],
        **figures(profile),
    }


if __name__ == "__main__":
    main()
