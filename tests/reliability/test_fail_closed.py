"""Fail closed against a real, broken screening service on a local port.

A tiny HTTP server stands in for the screening service and misbehaves in one way at a time;
the live discharge service is pointed at it. In every case the check answers not eligible
with `screening_unavailable`, the discharge answers 503, the attempt is stored as blocked,
and nothing is ever discharged, although the data behind each fault would allow it.
(tests/discharge/test_screening_faults.py injects the same faults in-process with
httpx.MockTransport; here they come over a real socket.)
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlparse

import httpx
import pytest

from tests.reliability import figures
from tests.reliability.races import count

pytestmark = pytest.mark.e2e
TIMEOUT_S = 1.0  # the discharge service's SCREENING_TIMEOUT_S in these tests


def _person(pid: str) -> dict:
    return {
        "external_id": pid,
        "category": "inpatient",
        "department": "resp",
        "ward": "W1",
        "admitted_at": "2026-11-01T08:00:00+08:00",
    }


def _clean_results(pid: str) -> dict:
    """Negative nucleic acid, IgM and IgG an hour old: eligible, if the answer were trusted."""
    at = (datetime.now(UTC) - timedelta(hours=1)).isoformat()
    items = [
        {
            "external_id": f"{pid}-{t}",
            "version": 1,
            "person_external_id": pid,
            "test_type": t,
            "result": "negative",
            "status": "final",
            "specimen_collected_at": at,
        }
        for t in ("nucleic_acid", "antibody_igm", "antibody_igg")
    ]
    return {"items": items, "next_cursor": None}


class BrokenScreening:
    """An HTTP server answering GET /persons/{id}[?include=results] and .../results the way
    `mode` says."""

    def __init__(self) -> None:
        self.mode = "healthy"
        self.released = threading.Event()  # ends the sleeps of slow answers at teardown
        broken = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:
                url = urlparse(self.path)
                parts = url.path.strip("/").split("/")
                pid = parts[1] if len(parts) > 1 else ""
                if parts[-1] == "results":
                    body = _clean_results(pid)
                elif "include=results" in url.query:  # the person with their results
                    body = {**_person(pid), "results": _clean_results(pid)}
                else:
                    body = _person(pid)
                broken.answer(self, pid, "items" in body or "results" in body, body)

            def log_message(self, *_args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def answer(self, h: BaseHTTPRequestHandler, pid: str, results: bool, body: dict) -> None:
        """Send one answer, broken as the current mode says."""
        mode, status, content_type = self.mode, 200, "application/json"
        if mode == "wrong_person" and "external_id" in body:
            body = {**body, "external_id": "SOMEONE-ELSE"}
        if mode == "someone_elses_results" and results:
            if "results" in body:
                body = {**body, "results": _clean_results("SOMEONE-ELSE")}
            else:
                body = _clean_results("SOMEONE-ELSE")
        raw = json.dumps(body).encode()
        if mode == "server_error":
            status, raw = 500, b'{"detail": "boom"}'
        if mode == "malformed_json":
            raw = raw[: len(raw) // 2]
        if mode == "slow":
            self.released.wait(TIMEOUT_S * 4)
        h.send_response(status)
        h.send_header("Content-Type", content_type)
        h.send_header("Content-Length", str(len(raw)))
        h.send_header("Connection", "close")  # no pooled connection outlives `refuse()`
        h.close_connection = True
        h.end_headers()
        if mode == "drip" and results:
            # Headers at once, then the body a few bytes at a time: every read is quick, the
            # whole answer takes several times SCREENING_TIMEOUT_S.
            step = max(len(raw) // 40, 1)
            for i in range(0, len(raw), step):
                if self.released.wait(TIMEOUT_S / 10):
                    return
                h.wfile.write(raw[i : i + step])
                h.wfile.flush()
            return
        h.wfile.write(raw)

    def refuse(self) -> None:
        """Stop listening: connections are refused from now on."""
        self.released.set()
        self.server.shutdown()
        self.server.server_close()


FAULTS = ["slow", "drip", "server_error", "malformed_json", "wrong_person", "someone_elses_results"]


@pytest.fixture
def broken(live) -> Iterator[tuple[BrokenScreening, object]]:
    fake = BrokenScreening()
    discharge = live("discharge", SCREENING_URL=fake.url, SCREENING_TIMEOUT_S=str(TIMEOUT_S))
    yield fake, discharge
    fake.released.set()
    fake.refuse()


def _attempt(base: str, headers: dict, pid: str) -> tuple[httpx.Response, httpx.Response]:
    check = httpx.post(
        f"{base}/discharge-checks", json={"patient_external_id": pid}, headers=headers, timeout=30
    )
    body = {"patient_external_id": pid, "disposition": "home"}
    return check, httpx.post(f"{base}/discharges", json=body, headers=headers, timeout=30)


def test_every_screening_fault_blocks_the_discharge_and_is_kept(broken, idp, database_url):
    fake, discharge = broken
    nurse = idp.headers("nurse", sub="nurse-f")
    fake.mode = "healthy"  # the stand-in works: the same data would make the patient eligible
    check = httpx.post(
        f"{discharge.url}/discharge-checks", json={"patient_external_id": "H-1"}, headers=nurse
    )
    assert check.json()["eligible"] is True, check.text

    for fault in [*FAULTS, "refused"]:
        if fault == "refused":
            fake.refuse()
        fake.mode = fault
        started = time.monotonic()
        check, attempt = _attempt(discharge.url, nurse, f"F-{fault}")
        figures.record("fail-closed faults")
        assert check.status_code == 200, (fault, check.text)
        assert check.json()["eligible"] is False, (fault, check.text)
        assert [r["code"] for r in check.json()["reasons"]] == ["screening_unavailable"], fault
        assert attempt.status_code == 503, (fault, attempt.text)
        assert attempt.json()["code"] == "screening_unavailable", fault
        assert time.monotonic() - started < 60  # a bound against hanging, not a timing claim

    url = database_url("discharge")
    assert count(url, "SELECT count(*) FROM discharge WHERE outcome <> 'blocked'") == 0
    blocked = (
        "SELECT count(*) FROM discharge WHERE outcome = 'blocked' AND patient_external_id = :p"
    )
    for fault in [*FAULTS, "refused"]:
        assert count(url, blocked, p=f"F-{fault}") == 1, fault
        listed = httpx.get(
            f"{discharge.url}/discharges",
            params={"patient_external_id": f"F-{fault}"},
            headers=idp.headers("auditor"),
        ).json()["items"]
        assert [(d["outcome"], d["evidence"]) for d in listed] == [("blocked", [])], fault
        assert [r["code"] for r in listed[0]["reasons"]] == ["screening_unavailable"]
