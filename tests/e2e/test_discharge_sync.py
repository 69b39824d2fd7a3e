"""End to end: a discharge reaches screening across the three live services, within
WARDGATE_SYNC_LAG_S, also when screening or discharge goes down in between, exactly once.

The discharge service reaches screening through a small proxy in the test that can make
screening look down to the sync (POST /admission-ends) while the gate's reads still pass:
the gate fails closed, so a discharge needs screening at the moment it is decided.
"""

from __future__ import annotations

import threading
import time
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from zoneinfo import ZoneInfo

import httpx
import pytest

from tests.discharge.conftest import Ward

pytestmark = pytest.mark.e2e
LAG_S = 10.0
SYNC_PATH = "/admission-ends"


class SyncProxy:
    """Forwards to screening; `mode` for the sync's path: pass, down, or lose_answer (the end
    is applied, the answer lost, as if the connection broke after screening committed)."""

    def __init__(self) -> None:
        self.upstream = ""
        self.mode = "pass"
        self.sync_calls = 0
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            def _forward(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                body = self.rfile.read(length) if length else None
                if self.path.startswith(SYNC_PATH):
                    proxy.sync_calls += 1
                    if proxy.mode == "down":
                        self.close_connection = True
                        self.connection.shutdown(2)
                        return
                headers = {k: v for k, v in self.headers.items() if k.lower() != "host"}
                try:
                    r = httpx.request(
                        self.command, proxy.upstream + self.path, headers=headers, content=body
                    )
                except httpx.HTTPError:
                    self.close_connection = True
                    self.connection.shutdown(2)
                    return
                if self.path.startswith(SYNC_PATH) and proxy.mode == "lose_answer":
                    self.close_connection = True
                    self.connection.shutdown(2)
                    return
                self.send_response(r.status_code)
                for name in ("content-type", "x-request-id"):
                    if name in r.headers:
                        self.send_header(name, r.headers[name])
                self.send_header("content-length", str(len(r.content)))
                self.end_headers()
                self.wfile.write(r.content)

            do_GET = do_POST = do_PUT = _forward

            def log_message(self, *_args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


class Hospital:
    """The three services live, discharge reaching screening through the proxy."""

    def __init__(self, live, idp) -> None:
        self.idp, self.live = idp, live
        self.screening = live("screening")
        self.proxy = SyncProxy()
        self.proxy.upstream = self.screening.url
        self.appointments = live("appointments", SCREENING_URL=self.screening.url)
        token = idp.token("integration", sub="service:discharge-sync", ttl_s=3600)
        self.discharge_env = {
            "SCREENING_URL": self.proxy.url,
            "WARDGATE_SERVICE_TOKEN": token,
            "WARDGATE_SYNC_POLL_S": "1",
        }
        self.discharge = live("discharge", **self.discharge_env)
        self.ward = Ward(httpx.Client(base_url=self.screening.url, timeout=10), idp)

    def discharge_(self, pid: str, disposition: str = "home") -> dict:
        r = httpx.post(
            f"{self.discharge.url}/discharges",
            json={"patient_external_id": pid, "disposition": disposition},
            headers=self.idp.headers("nurse"),
            timeout=10,
        )
        assert r.status_code == 201, r.text
        return r.json()

    def admission(self, pid: str) -> dict:
        return self.ward.screening.get(f"/persons/{pid}", headers=self.ward.headers).json()[
            "admission"
        ]

    def wait_for_end(self, pid: str, within_s: float = LAG_S) -> dict:
        deadline = time.monotonic() + within_s
        while time.monotonic() < deadline:
            admission = self.admission(pid)
            if admission["discharged_at"] is not None:
                return admission
            time.sleep(0.05)
        raise AssertionError(f"the discharge of {pid} did not reach screening in {within_s} s")

    def ends_audited(self, pid: str) -> list[dict]:
        r = self.ward.screening.get(
            "/audit",
            params={"action": "admission.end", "resource": f"person/{pid}"},
            headers=self.idp.headers("auditor"),
        )
        assert r.status_code == 200, r.text
        return [row for row in r.json()["items"] if row["resource"] == f"person/{pid}"]


@pytest.fixture
def hospital(live, idp):
    h = Hospital(live, idp)
    yield h
    h.proxy.stop()
    h.ward.screening.close()


def _tomorrow_at_three() -> str:
    zone = ZoneInfo("Asia/Shanghai")
    day = datetime.now(zone).date() + timedelta(days=1)
    return datetime(day.year, day.month, day.day, 15, 0, tzinfo=zone).isoformat()


def test_a_discharge_reaches_every_service_within_the_lag(hospital):
    hospital.ward.clean_patient("S-1")
    hospital.ward.clean_patient("S-2")
    started = time.monotonic()
    stored = hospital.discharge_("S-1")
    admission = hospital.wait_for_end("S-1")
    assert time.monotonic() - started < LAG_S
    assert admission["disposition"] == "home"
    assert datetime.fromisoformat(admission["discharged_at"]) == datetime.fromisoformat(
        stored["created_at"]
    )
    nurse = hospital.idp.headers("nurse")
    compliance = httpx.get(
        f"{hospital.screening.url}/compliance", params={"category": "inpatient"}, headers=nurse
    ).json()
    assert [i["external_id"] for i in compliance["items"]] == ["S-2"]
    visit = httpx.post(
        f"{hospital.appointments.url}/virtual-visits",
        json={
            "patient_external_id": "S-1",
            "visitor_name": "Wang Min",
            "visitor_phone": "+86 139 1234 5678",
            "start": _tomorrow_at_three(),
        },
        headers=nurse,
    )
    assert visit.status_code == 422, visit.text
    assert visit.json()["code"] == "not_inpatient"
    check = httpx.post(
        f"{hospital.discharge.url}/discharge-checks",
        json={"patient_external_id": "S-1"},
        headers=nurse,
    ).json()
    assert check["eligible"] is False
    assert [r["code"] for r in check["reasons"]] == ["already_discharged"]
    assert len(hospital.ends_audited("S-1")) == 1


def test_screening_down_then_restarted_gets_the_discharge_once(hospital):
    hospital.ward.clean_patient("S-3")
    hospital.proxy.mode = "down"  # screening cannot take the end...
    hospital.discharge_("S-3")
    hospital.screening.stop(kill=True)  # ...and then really goes down
    time.sleep(2)
    assert hospital.proxy.sync_calls >= 1  # the worker tried and backs off
    hospital.screening.start()
    hospital.proxy.mode = "pass"
    assert hospital.wait_for_end("S-3")["disposition"] == "home"
    assert len(hospital.ends_audited("S-3")) == 1


def test_discharge_killed_before_delivery_delivers_after_restart_once(hospital):
    hospital.ward.clean_patient("S-4")
    hospital.proxy.mode = "down"
    hospital.discharge_("S-4", disposition="transfer")  # committed, not delivered
    hospital.discharge.stop(kill=True)  # kill -9
    assert hospital.admission("S-4")["discharged_at"] is None
    hospital.proxy.mode = "pass"
    hospital.discharge.start()
    assert hospital.wait_for_end("S-4")["disposition"] == "transfer"
    assert len(hospital.ends_audited("S-4")) == 1


def test_an_answer_lost_after_screening_applied_it_is_applied_once(hospital):
    hospital.ward.clean_patient("S-5")
    hospital.proxy.mode = "lose_answer"
    hospital.discharge_("S-5")
    admission = hospital.wait_for_end("S-5")
    calls = hospital.proxy.sync_calls
    hospital.proxy.mode = "pass"
    deadline = time.monotonic() + LAG_S
    while hospital.proxy.sync_calls <= calls and time.monotonic() < deadline:
        time.sleep(0.1)  # the worker sends it again (it never heard it was applied)
    assert hospital.proxy.sync_calls > calls
    time.sleep(0.5)
    assert hospital.admission("S-5") == admission
    assert len(hospital.ends_audited("S-5")) == 1
