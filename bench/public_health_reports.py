"""Early reporting latency: from a positive result's 201 to its report at public health.

A live screening service (PostgreSQL, uvicorn as the other benches start it) reports to a
local FHIR receiver (a threaded HTTP server in this process that answers 201). 1,000
positive nucleic-acid results are posted by four client threads; for each, the time from the
client reading the 201 to the receiver reading the Bundle that carries it (matched on the
Observation's identifier). p50 / p99 / max, and the reports' rate. A report can arrive before
its 201 is read (the worker wakes at the commit): such a latency is counted as 0.

`python -m bench public_health_reports`
"""

from __future__ import annotations

import json
import statistics
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from itertools import count
from typing import Any

import httpx

from bench.load import bench_auth, bench_database, start_service

POSITIVES = 1000
CLIENTS = 4
PERSONS = 50


class Receiver:
    """Records when each result's report arrived (monotonic clock of this process)."""

    def __init__(self) -> None:
        self.arrived: dict[str, float] = {}
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                at = time.monotonic()
                bundle = json.loads(body)
                for entry in bundle["entry"]:
                    resource = entry["resource"]
                    if resource["resourceType"] == "Observation":
                        result = resource["identifier"][0]["value"].split("/")[0]
                        with receiver.lock:
                            receiver.arrived.setdefault(result, at)
                self.send_response(201)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *_args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/fhir"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def _post_all(url: str, headers: dict[str, str], n: int) -> dict[str, float]:
    acked: dict[str, float] = {}
    numbers = count()
    lock = threading.Lock()
    specimen = time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime(time.time() - 3600))

    def run() -> None:
        with httpx.Client(headers=headers, timeout=30) as client:
            while True:
                with lock:
                    i = next(numbers)
                if i >= n:
                    return
                ext = f"BENCH-{i}"
                body = {
                    "external_id": ext,
                    "person_external_id": f"BP{i % PERSONS}",
                    "test_type": "nucleic_acid",
                    "result": "positive",
                    "status": "final",
                    "specimen_collected_at": specimen,
                }
                r = client.post(f"{url}/results", json=body)
                at = time.monotonic()
                if r.status_code == 201:
                    with lock:
                        acked[ext] = at
                else:
                    print(f"  ! {r.status_code}: {r.text[:200]}")

    threads = [threading.Thread(target=run) for _ in range(CLIENTS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return acked


def main(positives: int = POSITIVES) -> dict[str, Any]:
    env, token = bench_auth()
    database = bench_database("screening", "wardgate_bench_public_health")
    receiver = Receiver()
    screening = start_service(
        "screening",
        {
            **env,
            "DATABASE_URL": database,
            "WARDGATE_REPORT_URL": receiver.url,
            "WARDGATE_REPORT_POLL_S": "1",
        },
    )
    try:
        h = {"Authorization": f"Bearer {token('integration')}"}
        for p in range(PERSONS):
            person = {"name": f"Bench {p}", "category": "outpatient", "department": "fever"}
            httpx.put(f"{screening.url}/persons/BP{p}", json=person, headers=h).raise_for_status()
        started = time.monotonic()
        acked = _post_all(screening.url, h, positives)
        posted_s = time.monotonic() - started
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            with receiver.lock:
                if len(receiver.arrived) >= len(acked):
                    break
            time.sleep(0.05)
        drained_s = time.monotonic() - started
    finally:
        screening.stop()
        receiver.stop()
    with receiver.lock:
        arrived = dict(receiver.arrived)
    latencies = sorted(max(arrived[e] - at, 0.0) for e, at in acked.items() if e in arrived)
    missing = len(acked) - len(latencies)
    p50 = statistics.median(latencies) * 1000 if latencies else None
    p99 = statistics.quantiles(latencies, n=100)[-1] * 1000 if len(latencies) > 1 else None
    row = {
        "positives": positives,
        "acknowledged": len(acked),
        "reports_received": len(latencies),
        "missing": missing,
        "p50_ms": round(p50, 1) if p50 is not None else None,
        "p99_ms": round(p99, 1) if p99 is not None else None,
        "max_ms": round(latencies[-1] * 1000, 1) if latencies else None,
        "posting_s": round(posted_s, 2),
        "all_reported_s": round(drained_s, 2),
    }
    print(
        f"  result 201 -> report received: p50 {row['p50_ms']} ms  p99 {row['p99_ms']} ms  "
        f"max {row['max_ms']} ms over {len(latencies)} reports ({missing} missing); "
        f"posted in {row['posting_s']} s, all reported after {row['all_reported_s']} s"
    )
    return row


if __name__ == "__main__":
    main()
