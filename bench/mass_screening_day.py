"""A city's mass screening day on this machine, every figure next to its same-run baseline.

1. Screening on PostgreSQL: 100,000 persons (COPY), 1,000,000 results through
   `POST /results/batch` (5,000 a request, one client), timed; the last 40,000 rows again
   with raw psycopg `executemany` into the same table: ingest as a ratio to raw.
2. Status latency with one client at 10,000 and at 1,000,000 stored results (same persons,
   same histories): it must stay flat.
3. Floor (bare `async def` FastAPI, same uvicorn settings and worker count), then
   `GET /persons/{id}/screening-status` at 16 clients over 2,000 persons.
4. Floor again, then `POST /discharge-checks` at 16 clients (a real discharge service asking
   the loaded screening service, token relayed) over 2,000 eligible inpatients.
5. Booking under contention (bench/appointments_booking.py), its own floor.
6. Peak RSS of each service. One table, then the figures as JSON (returned to __main__).

With `WARDGATE_BENCH_PROFILE=1` the load runs of 3 and 4 are profiled (bench/profile.py).

`WARDGATE_BENCH_PERSONS` / `WARDGATE_BENCH_RESULTS` reduce the volume for quick runs;
`WARDGATE_BENCH_WORKERS` sets the uvicorn worker count of every server (floor included);
`WARDGATE_BENCH_SECONDS` the length of each load run (default 10).
"""

from __future__ import annotations

import os
from typing import Any

import httpx

from bench import appointments_booking
from bench import mass_day_data as data
from bench.load import (
    WORKERS_ENV,
    BenchServer,
    LoadResult,
    bench_auth,
    bench_database,
    run_load,
    start_floor,
    start_service,
)
from bench.mass_day_report import Report
from bench.profile import Profile, figures, profiled

PROBES = 200  # persons read for the latency-at-volume comparison (all within the first 10k)
RAW_SAMPLE = 40_000


def _seconds() -> int:
    return int(os.environ.get("WARDGATE_BENCH_SECONDS", "10"))


def _floor(concurrency: int = 16) -> LoadResult:
    floor = start_floor()
    try:
        return run_load(floor.url + "/floor", concurrency=concurrency, duration_s=_seconds())
    finally:
        floor.stop()


def _status_paths(persons: list[int]) -> list[str]:
    return [f"/persons/{data.person_id(i)}/screening-status" for i in persons]


def _with_results(persons: int, results: int) -> list[int]:
    """Persons (not outpatients) whose whole history is loaded."""
    return [
        i
        for i in range(min(persons, results // data.PER_PERSON))
        if data.category(i) != "outpatient"
    ]


def _latency(url: str, headers: dict[str, str], paths: list[str]) -> LoadResult:
    run_load(url, headers=headers, paths=paths, concurrency=1, duration_s=2)  # warm
    return run_load(url, headers=headers, paths=paths, concurrency=1, duration_s=_seconds() // 2)


def _load_screening(report: Report, screening: BenchServer, dsn: str, token: Any) -> None:
    persons, results = data.volumes()
    now = data.now_utc()
    report.note(f"persons seeded by COPY in {data.seed_persons(dsn, persons, now):.1f} s")
    writer = token("integration")
    first = min(10_000, results)
    data.post_batches(screening.url, writer, data.result_batches(0, first, now))
    reader = {"Authorization": f"Bearer {token('nurse')}"}
    probes = _status_paths(_with_results(persons, first)[:PROBES])
    report.latency_small = _latency(screening.url + probes[0], reader, probes)
    timings = data.post_batches(screening.url, writer, data.result_batches(first, results, now))
    rows, seconds = sum(r for r, _ in timings), sum(s for _, s in timings)
    tail = timings[-(RAW_SAMPLE // data.BATCH) :]
    tail_rows, tail_s = sum(r for r, _ in tail), sum(s for _, s in tail)
    first_tail = data.person_id((results - tail_rows) // data.PER_PERSON) + "-0"
    report.ingest = {
        "rows": rows + first,
        "api_rows_per_s": round(rows / seconds) if seconds else 0,
        "api_tail_rows_per_s": round(tail_rows / tail_s) if tail_s else 0,
        "raw_rows_per_s": round(data.raw_executemany(dsn, first_tail, tail_rows)),
    }
    report.latency_large = _latency(screening.url + probes[0], reader, probes)
    report.stored_results = results


def _status_under_load(
    report: Report, screening: BenchServer, token: Any, profiles: list[Profile]
) -> None:
    persons, results = data.volumes()
    spread = _with_results(persons, results)[
        :: max(1, len(_with_results(persons, results)) // 2000)
    ]
    report.status_floor = _floor()
    with profiled(screening, "mass_day-status") as profile:
        report.status = run_load(
            screening.url + "/",
            headers={"Authorization": f"Bearer {token('nurse')}"},
            paths=_status_paths(spread),
            duration_s=_seconds(),
        )
    profiles.append(profile)


def _eligible_inpatients(persons: int, results: int) -> list[str]:
    loaded = _with_results(persons, results)
    eligible = [i for i in loaded if data.category(i) == "inpatient" and not data.had_positive(i)]
    return [data.person_id(i) for i in eligible[:: max(1, len(eligible) // 2000)]]


def _discharge_checks(
    report: Report,
    screening: BenchServer,
    env: dict[str, str],
    token: Any,
    profiles: list[Profile],
) -> BenchServer:
    persons, results = data.volumes()
    patients = _eligible_inpatients(persons, results)
    discharge = start_service(
        "discharge",
        {
            **env,
            "DATABASE_URL": bench_database("discharge", "wardgate_massday_discharge"),
            "SCREENING_URL": screening.url,
        },
    )
    headers = {"Authorization": f"Bearer {token('nurse')}"}
    probe = httpx.post(
        discharge.url + "/discharge-checks",
        json={"patient_external_id": patients[0]},
        headers=headers,
        timeout=10,
    )
    if probe.status_code != 200 or not probe.json()["eligible"]:
        raise RuntimeError(f"the probe check was not eligible: {probe.text[:300]}")
    report.discharge_floor = _floor()
    with (
        profiled(discharge, "mass_day-checks-discharge") as in_discharge,
        profiled(screening, "mass_day-checks-screening") as in_screening,
    ):
        report.discharge = run_load(
            discharge.url + "/discharge-checks",
            method="POST",
            headers=headers,
            bodies=[{"patient_external_id": p} for p in patients],
            duration_s=_seconds(),
        )
    profiles += [in_discharge, in_screening]
    return discharge


def main() -> dict[str, Any]:
    """Run the day; print one table; return every figure."""
    env, token = bench_auth()
    report = Report(workers=int(os.environ.get(WORKERS_ENV, "1")))
    url = bench_database("screening", "wardgate_massday_screening")
    dsn = url.replace("postgresql+psycopg://", "postgresql://")
    screening = start_service("screening", {**env, "DATABASE_URL": url})
    discharge = None
    profiles: list[Profile] = []
    try:
        _load_screening(report, screening, dsn, token)
        _status_under_load(report, screening, token, profiles)
        discharge = _discharge_checks(report, screening, env, token, profiles)
        report.peak_rss_mb["discharge"] = discharge.peak_rss_mb()
    finally:
        if discharge is not None:
            discharge.stop()
        report.peak_rss_mb["screening"] = screening.peak_rss_mb()
        screening.stop()
    report.booking = appointments_booking.main(duration_s=_seconds())
    report.peak_rss_mb["appointments"] = report.booking["peak_rss_mb"]
    return {**report.print_table(), **figures(*profiles)}


if __name__ == "__main__":
    main()
