"""Feed ingest: results/s through HL7 v2 (HTTP, batches, MLLP) and FHIR, next to POST /results.

Every path stores the same kind of result (a NAAT result for a registered inpatient), one
client after the other, on one PostgreSQL database; printed as ratios to `POST /results`.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import psycopg

from bench.load import bench_auth, free_port, record_peak_rss, start_service
from bench.screening_ingest import own_database

COUNT = 600
BATCH = 200
PERSONS = 100
_NAAT = "94500-6^SARS-CoV-2 RNA^LN"


def _hl7(n: int, prefix: str, at: datetime) -> str:
    stamp = at.strftime("%Y%m%d%H%M%S+0000")
    return "\r".join(
        [
            f"MSH|^~\\&|LIS|LAB|WARDGATE|HOSP|{stamp}||ORU^R01^ORU_R01|{prefix}{n}|P|2.5.1",
            f"PID|1||FP-{n % PERSONS:04d}^^^HOSP^MR||Bench^Person",
            f"OBR|1||{prefix}ACC{n}|{_NAAT}|||{stamp}",
            f"OBX|1|CWE|{_NAAT}||260415000^Not detected^SCT||||||F",
            "OBX|2|CWE|95419-8^Symptomatic^LN||N^No^HL70136||||||F",
        ]
    )


def _fhir(n: int, prefix: str, at: datetime) -> dict[str, Any]:
    return {
        "resourceType": "Observation",
        "identifier": [{"value": f"{prefix}{n}"}],
        "status": "final",
        "code": {"coding": [{"system": "http://loinc.org", "code": "94500-6"}]},
        "subject": {"identifier": {"value": f"FP-{n % PERSONS:04d}"}},
        "effectiveDateTime": at.isoformat(),
        "valueCodeableConcept": {
            "coding": [{"system": "http://snomed.info/sct", "code": "260415000"}]
        },
    }


def _json(n: int, prefix: str, at: datetime) -> dict[str, Any]:
    return {
        "external_id": f"{prefix}{n}",
        "person_external_id": f"FP-{n % PERSONS:04d}",
        "test_type": "nucleic_acid",
        "result": "negative",
        "status": "final",
        "specimen_collected_at": at.isoformat(),
    }


def _timed(run: Callable[[], int]) -> float:
    started = time.perf_counter()
    stored = run()
    return stored / (time.perf_counter() - started)


def _post_each(url: str, path: str, headers: dict[str, str], bodies: list[bytes]) -> int:
    with httpx.Client(base_url=url, headers=headers, timeout=120) as http:
        for body in bodies:
            answer = http.post(path, content=body)
            assert answer.status_code in (200, 201), answer.text[:300]
            assert b"MSA|AE" not in answer.content and b"MSA|AR" not in answer.content
    return len(bodies)


def _mllp(port: int, frames: list[bytes]) -> int:
    with socket.create_connection(("127.0.0.1", port), timeout=60) as sock:
        for frame in frames:
            sock.sendall(b"\x0b" + frame + b"\x1c\r")
            answer = b""
            while not answer.endswith(b"\x1c\r"):
                answer += sock.recv(65536)
            assert b"MSA|AA" in answer, answer[:300]
    return len(frames)


def _listener(env: dict[str, str]) -> tuple[subprocess.Popen[bytes], int]:
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "services.screening.hl7.mllp", "--port", str(port)],
        env={**os.environ, **env},
        stdout=subprocess.DEVNULL,
    )
    for _ in range(400):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return process, port
        except OSError:
            time.sleep(0.05)
    process.kill()
    raise RuntimeError("the MLLP listener did not start")


def _seed(dsn: str, now: datetime) -> None:
    rows = [(f"FP-{i:04d}", "Bench", "inpatient", "resp", now, now) for i in range(PERSONS)]
    with psycopg.connect(dsn) as conn, conn.cursor() as cur:
        cur.executemany(
            "INSERT INTO person (external_id, name, category, department, created_at,"
            " updated_at) VALUES (%s, %s, %s, %s, %s, %s)",
            rows,
        )


def main() -> dict[str, Any]:
    """Store COUNT results each way; print results/s and ratios to POST /results."""
    env, token = bench_auth()
    url = own_database("wardgate_bench_feeds_ingest")
    now = datetime.now(UTC)
    _seed(url.replace("postgresql+psycopg://", "postgresql://"), now)
    at = now - timedelta(hours=1)
    env = {**env, "DATABASE_URL": url}
    auth = {"Authorization": f"Bearer {token('integration')}"}
    server = start_service("screening", env)
    listener, port = _listener(env)
    hl7_type = {**auth, "Content-Type": "application/hl7-v2"}
    try:
        json_h = {**auth, "Content-Type": "application/json"}
        fhir_h = {**auth, "Content-Type": "application/fhir+json"}
        _post_each(server.url, "/results", json_h, [json.dumps(_json(0, "W", at)).encode()])
        rates = {
            "post_results": _timed(
                lambda: _post_each(
                    server.url,
                    "/results",
                    json_h,
                    [json.dumps(_json(n, "J", at)).encode() for n in range(COUNT)],
                )
            ),
            "hl7_http_single": _timed(
                lambda: _post_each(
                    server.url,
                    "/hl7/v2",
                    hl7_type,
                    [_hl7(n, "H", at).encode() for n in range(COUNT)],
                )
            ),
            "hl7_http_batch": _timed(
                lambda: (
                    BATCH
                    * _post_each(
                        server.url,
                        "/hl7/v2",
                        hl7_type,
                        [
                            "\r".join(
                                [
                                    "BHS|^~\\&|LIS|LAB",
                                    *(_hl7(b * BATCH + n, "B", at) for n in range(BATCH)),
                                    f"BTS|{BATCH}",
                                ]
                            ).encode()
                            for b in range(COUNT // BATCH)
                        ],
                    )
                )
            ),
            "hl7_mllp": _timed(
                lambda: _mllp(port, [_hl7(n, "M", at).encode() for n in range(COUNT)])
            ),
            "fhir_observation": _timed(
                lambda: _post_each(
                    server.url,
                    "/fhir/Observation",
                    fhir_h,
                    [json.dumps(_fhir(n, "F", at)).encode() for n in range(COUNT)],
                )
            ),
        }
    finally:
        record_peak_rss("screening-mllp", listener.pid)
        listener.terminate()
        listener.wait(timeout=10)
        server.stop()
    base = rates["post_results"]
    print(f"feed ingest ({COUNT} results each way, one client, PostgreSQL)")
    for name, rate in rates.items():
        print(f"  {name:<20} {rate:>8.0f} results/s   ratio to POST /results {rate / base:>6.2f}")
    return {
        name: {"results_per_s": round(rate), "ratio": round(rate / base, 2)}
        for name, rate in rates.items()
    }


if __name__ == "__main__":
    main()
