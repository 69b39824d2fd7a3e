"""kill -9 of a live screening process between a positive result and its report's delivery:
after the restart the report is delivered, nothing lost.

The receiver holds the first delivery attempt open, so the process dies with the report
leased and in flight; the restarted process takes it again once the lease has run out.
"""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest

from tests.screening.conftest import result
from tests.screening.test_alerts import wait_until

pytestmark = pytest.mark.e2e


class HoldingReceiver:
    """Holds the first `hold` requests open (never answering them); takes the rest (204)."""

    def __init__(self, hold: int) -> None:
        self.hold = hold
        self.received: list[dict[str, Any]] = []
        self.lock = threading.Lock()
        self.released = threading.Event()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                with receiver.lock:
                    receiver.received.append(json.loads(body))
                    held = len(receiver.received) <= receiver.hold
                if held:
                    receiver.released.wait(30)
                    return
                self.send_response(204)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *_args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/reports"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def count(self) -> int:
        with self.lock:
            return len(self.received)

    def stop(self) -> None:
        self.released.set()
        self.server.shutdown()
        self.server.server_close()


def test_report_delivered_after_kill_between_result_and_delivery(live, idp):
    receiver = HoldingReceiver(hold=1)
    env = {
        "WARDGATE_REPORT_URL": receiver.url,
        "WARDGATE_REPORT_POLL_S": "0.1",
        "WARDGATE_REPORT_BACKOFF_S": "0.1",
        "WARDGATE_REPORT_TIMEOUT_S": "2",  # the lease: 2 x 2 + 5 = 9 s
    }
    try:
        svc = live("screening", **env)
        h = idp.headers("integration", sub="lis")
        person = {"name": "王五", "category": "staff", "department": "resp"}
        assert httpx.put(f"{svc.url}/persons/K-1", json=person, headers=h).is_success
        r = httpx.post(
            f"{svc.url}/results", json=result("K-R1", person="K-1", value="positive"), headers=h
        )
        assert r.status_code == 201, r.text
        wait_until(lambda: receiver.count() >= 1, timeout_s=10)  # the attempt is in flight
        svc.stop(kill=True)
        killed_at = time.monotonic()
        svc.start()
        wait_until(lambda: receiver.count() >= 2, timeout_s=30)
        auditor = idp.headers("auditor")

        def delivered() -> list[dict[str, Any]]:
            items = httpx.get(f"{svc.url}/reports", headers=auditor).json()["items"]
            return [i for i in items if i["state"] == "delivered"]

        done = wait_until(delivered, timeout_s=10)
        recovered_s = time.monotonic() - killed_at
    finally:
        receiver.stop()
    items = httpx.get(f"{svc.url}/reports", headers=idp.headers("auditor")).json()["items"]
    assert len(items) == 1  # one report, not a second one queued by the restart
    assert done[0]["result_external_id"] == "K-R1" and done[0]["kind"] == "initial"
    # The same document both times: the receiver dedupes on the Bundle's identifier.
    with receiver.lock:
        identifiers = {b["identifier"]["value"] for b in receiver.received}
    assert len(identifiers) == 1
    print(f"report delivered {recovered_s:.1f} s after the kill (lease 9 s)")
