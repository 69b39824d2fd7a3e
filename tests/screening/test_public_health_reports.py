"""Early reporting to public health: every positive nucleic acid is reported, by its deadline.

A real HTTP receiver (and a real MLLP receiver) on a free port takes the reports; it fails
first, then accepts: the report is retried with backoff and then delivered, its attempts
counted. Corrections and voids of a reported result are reported again; the ledger shows
what is overdue; the compliance figures count on time, late and overdue.
"""

from __future__ import annotations

import json
import socketserver
import threading
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fhir.resources.R4B.bundle import Bundle
from sqlalchemy import create_engine, text

from tests.screening.conftest import result
from tests.screening.test_alerts import Receiver, wait_until

TOKEN = "s3cret-report-token"
FAST = {
    "wardgate_report_poll_s": 0.05,
    "wardgate_report_backoff_s": 0.05,
    "wardgate_report_backoff_max_s": 0.2,
    "wardgate_report_timeout_s": 2.0,
}


@pytest.fixture
def receivers():
    started: list[Any] = []

    def start(statuses=()):
        r = Receiver(statuses)
        started.append(r)
        return r

    yield start
    for r in started:
        r.stop()


def reporting_client(make_client, idp, **settings):
    client = make_client("screening", **{**FAST, **settings})
    h = idp.headers("integration")
    r = client.put(
        "/persons/P1",
        json={
            "name": "张三",
            "category": "inpatient",
            "department": "resp",
            "phone": "13812345678",
            "id_number": "110101199003071234",
        },
        headers=h,
    )
    assert r.status_code == 201, r.text
    return client, h


def reports(client, idp, **params):
    r = client.get("/reports", params=params, headers=idp.headers("auditor"))
    assert r.status_code == 200, r.text
    return r.json()["items"]


def bundles(receiver) -> list[dict[str, Any]]:
    with receiver.lock:
        return [json.loads(body) for _headers, body in receiver.received]


def observation(bundle: dict[str, Any]) -> dict[str, Any]:
    found = [
        e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == "Observation"
    ]
    assert len(found) == 1
    return found[0]


def test_fails_first_then_delivered_with_bearer_token(make_client, idp, receivers):
    hook = receivers(statuses=[503, 500])
    client, h = reporting_client(
        make_client, idp, wardgate_report_url=hook.url, wardgate_report_token=TOKEN
    )
    assert (
        client.post("/results", json=result("R1", value="positive"), headers=h).status_code == 201
    )
    done = wait_until(lambda: [r for r in reports(client, idp) if r["state"] == "delivered"])
    report = done[0]
    assert (report["kind"], report["attempts"], report["last_error"]) == ("initial", 3, None)
    assert report["result_external_id"] == "R1" and report["person_external_id"] == "P1"
    with hook.lock:
        assert len(hook.received) == 3  # two refused, one taken
        headers = [hd for hd, _ in hook.received]
    assert all(hd["Authorization"] == f"Bearer {TOKEN}" for hd in headers)
    assert all(hd["Content-Type"] == "application/fhir+json" for hd in headers)
    bodies = bundles(hook)
    assert bodies[0] == bodies[2]  # the same document on every attempt (receivers dedupe)
    Bundle.model_validate(bodies[2])
    assert observation(bodies[2])["status"] == "final"
    assert datetime.fromisoformat(report["delivered_at"]) <= datetime.fromisoformat(
        report["due_at"]
    )


def test_a_failed_attempt_shows_as_failed_with_its_error(make_client, idp, receivers):
    hook = receivers(statuses=[503] * 100)
    client, h = reporting_client(
        make_client, idp, wardgate_report_url=hook.url, wardgate_report_backoff_s=30.0
    )
    client.post("/results", json=result("R1", value="positive"), headers=h)
    failed = wait_until(lambda: reports(client, idp, state="failed"))
    assert failed[0]["attempts"] == 1 and failed[0]["last_error"] == "HTTP 503"
    assert failed[0]["delivered_at"] is None
    assert reports(client, idp, state="pending") == []
    assert reports(client, idp, state="delivered") == []


def test_only_individual_final_positive_nucleic_acids_are_reported(make_client, idp, receivers):
    hook = receivers()
    client, h = reporting_client(make_client, idp, wardgate_report_url=hook.url)
    for body in (
        result("N1", value="negative"),
        result("A1", test_type="antibody_igm", value="positive"),
        result("P0", value="positive", status="preliminary"),
        result("I1", value="indeterminate"),
    ):
        assert client.post("/results", json=body, headers=h).status_code == 201
    assert (
        client.post("/results", json=result("R1", value="positive"), headers=h).status_code == 201
    )
    wait_until(lambda: reports(client, idp, state="delivered"))
    time.sleep(0.3)  # give any wrong report the time to be queued and sent too
    assert [r["result_external_id"] for r in reports(client, idp)] == ["R1"]
    assert len(bundles(hook)) == 1


def test_correction_and_cancel_are_reported(make_client, idp, receivers):
    hook = receivers()
    client, h = reporting_client(make_client, idp, wardgate_report_url=hook.url)
    client.post("/results", json=result("R1", value="positive"), headers=h)
    wait_until(lambda: len(bundles(hook)) == 1)
    corrected = result("R1", value="negative", status="corrected")
    assert client.post("/results", json=corrected, headers=h).status_code == 201
    wait_until(lambda: len(bundles(hook)) == 2)
    voided = result("R1", value="negative", status="entered_in_error")
    assert client.post("/results", json=voided, headers=h).status_code == 201
    wait_until(lambda: len(bundles(hook)) == 3)
    ledger = wait_until(
        lambda: (
            (items := reports(client, idp))
            and all(i["state"] == "delivered" for i in items)
            and items
        )
    )
    assert [(r["kind"], r["result_version"]) for r in ledger] == [
        ("cancel", 3),
        ("correction", 2),
        ("initial", 1),
    ]
    sent = bundles(hook)
    statuses = [observation(b)["status"] for b in sent]
    assert statuses == ["final", "corrected", "entered-in-error"]
    values = [
        observation(b).get("valueCodeableConcept", {}).get("coding", [{}])[0].get("code")
        for b in sent
    ]
    assert values == ["260373001", "260415000", None]
    kinds = [b["meta"]["tag"][0]["code"] for b in sent]
    assert kinds == ["initial", "correction", "cancel"]
    # After a cancel, nothing more is reported for a negative correction of the void.
    assert len({b["identifier"]["value"] for b in sent}) == 3


def test_a_negative_corrected_to_positive_is_an_initial_report(make_client, idp, receivers):
    hook = receivers()
    client, h = reporting_client(make_client, idp, wardgate_report_url=hook.url)
    client.post("/results", json=result("R1", value="negative"), headers=h)
    client.post("/results", json=result("R1", value="positive", status="corrected"), headers=h)
    done = wait_until(lambda: reports(client, idp, state="delivered"))
    assert [(r["kind"], r["result_version"]) for r in done] == [("initial", 2)]
    assert observation(bundles(hook)[0])["status"] == "corrected"


def test_without_a_destination_reports_stay_pending_then_overdue(make_client, idp):
    client, h = reporting_client(make_client, idp, wardgate_report_deadline_h=0.0003)  # ~1 s
    assert client.get("/health").status_code == 200
    client.post("/results", json=result("R1", value="positive"), headers=h)
    pending = reports(client, idp, state="pending")
    assert [(r["kind"], r["attempts"], r["delivered_at"]) for r in pending] == [
        ("initial", 0, None)
    ]
    due = datetime.fromisoformat(pending[0]["due_at"]) - datetime.fromisoformat(
        pending[0]["received_at"]
    )
    assert due == timedelta(seconds=0.0003 * 3600)
    overdue = wait_until(lambda: reports(client, idp, state="overdue"), timeout_s=5)
    assert overdue[0]["result_external_id"] == "R1"
    assert reports(client, idp, state="pending") == []
    figures = client.get("/compliance/reports", headers=idp.headers("infection_control")).json()
    assert figures == {"total": 1, "on_time": 0, "late": 0, "overdue": 1, "median_minutes": None}


def _backdate(url: str, seconds: float) -> None:
    """Move every report's arrival and deadline `seconds` into the past (a late delivery)."""
    engine = create_engine(url)
    with engine.begin() as conn:
        for row in conn.execute(text("SELECT id, received_at, due_at FROM public_health_report")):
            received = (
                row.received_at
                if isinstance(row.received_at, datetime)
                else datetime.fromisoformat(row.received_at)
            )
            due = (
                row.due_at
                if isinstance(row.due_at, datetime)
                else datetime.fromisoformat(row.due_at)
            )
            conn.execute(
                text("UPDATE public_health_report SET received_at = :r, due_at = :d WHERE id = :i"),
                {
                    "r": received - timedelta(seconds=seconds),
                    "d": due - timedelta(seconds=seconds),
                    "i": row.id,
                },
            )
    engine.dispose()


def test_compliance_counts_on_time_late_and_overdue(make_client, idp, receivers, database_url):
    hook = receivers()
    client, h = reporting_client(make_client, idp, wardgate_report_url=hook.url)
    client.post("/results", json=result("R1", value="positive"), headers=h)
    wait_until(lambda: reports(client, idp, state="delivered"))
    hook.statuses.extend([503] * 1000)  # from now on the receiver refuses
    client.put(
        "/persons/P2", json={"name": "李四", "category": "staff", "department": "resp"}, headers=h
    )
    client.post("/results", json=result("R2", person="P2", value="positive"), headers=h)
    wait_until(lambda: reports(client, idp, state="failed"))
    # R1 arrived three hours ago (delivered late); R2 is now past its deadline too.
    _backdate(database_url("screening"), 3 * 3600)
    ic = idp.headers("infection_control")
    figures = client.get("/compliance/reports", headers=ic).json()
    assert figures["total"] == 2 and figures["on_time"] == 0
    assert figures["late"] == 1 and figures["overdue"] == 1
    assert 179 < figures["median_minutes"] < 182
    assert [r["result_external_id"] for r in reports(client, idp, state="overdue")] == ["R2"]
    # A window that holds no arrival counts nothing.
    now = datetime.now(UTC)
    empty = client.get(
        "/compliance/reports",
        params={"from": (now - timedelta(hours=1)).isoformat(), "to": now.isoformat()},
        headers=ic,
    ).json()
    assert empty == {"total": 0, "on_time": 0, "late": 0, "overdue": 0, "median_minutes": None}
    reversed_window = client.get(
        "/compliance/reports",
        params={"from": now.isoformat(), "to": (now - timedelta(hours=1)).isoformat()},
        headers=ic,
    )
    assert reversed_window.status_code == 422
    assert reversed_window.headers["content-type"].startswith("application/problem+json")


def test_on_time_delivery_counts_on_time(make_client, idp, receivers):
    hook = receivers()
    client, h = reporting_client(make_client, idp, wardgate_report_url=hook.url)
    client.post("/results", json=result("R1", value="positive"), headers=h)
    wait_until(lambda: reports(client, idp, state="delivered"))
    figures = client.get("/compliance/reports", headers=idp.headers("admin")).json()
    assert (figures["total"], figures["on_time"], figures["late"], figures["overdue"]) == (
        1,
        1,
        0,
        0,
    )
    assert 0 <= figures["median_minutes"] < 1


def test_ledger_pages_and_roles(make_client, idp):
    client, h = reporting_client(make_client, idp)
    for n in range(5):
        client.post("/results", json=result(f"R{n}", value="positive"), headers=h)
    first = client.get("/reports", params={"limit": 2}, headers=idp.headers("admin")).json()
    assert [i["result_external_id"] for i in first["items"]] == ["R4", "R3"]
    second = client.get(
        "/reports",
        params={"limit": 2, "cursor": first["next_cursor"]},
        headers=idp.headers("admin"),
    ).json()
    assert [i["result_external_id"] for i in second["items"]] == ["R2", "R1"]
    for role in ("nurse", "doctor", "integration"):
        assert client.get("/reports", headers=idp.headers(role)).status_code == 403
        assert client.get("/compliance/reports", headers=idp.headers(role)).status_code == 403
    assert client.get("/reports").status_code == 401
    assert (
        client.get("/reports", params={"state": "lost"}, headers=idp.headers("auditor")).status_code
        == 422
    )


class MllpReceiver:
    """A real MLLP listener that answers each message with the next scripted ACK code."""

    def __init__(self, codes):
        self.codes = list(codes)
        self.received: list[str] = []
        self.lock = threading.Lock()
        receiver = self

        class Handler(socketserver.BaseRequestHandler):
            def handle(self):
                data = b""
                while not data.endswith(b"\x1c\r"):
                    chunk = self.request.recv(65536)
                    if not chunk:
                        return
                    data += chunk
                message = data.strip(b"\x0b\x1c\r").decode()
                with receiver.lock:
                    receiver.received.append(message)
                    code = receiver.codes.pop(0) if receiver.codes else "AA"
                control = message.split("\r")[0].split("|")[9]
                msh = f"MSH|^~\\&|PH||WARDGATE||20261207120000||ACK|A{control}|P|2.5.1"
                ack = f"{msh}\rMSA|{code}|{control}\r"
                self.request.sendall(b"\x0b" + ack.encode() + b"\x1c\r")

        self.server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Handler)
        self.address = f"127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


def test_mllp_delivery_on_aa_after_ae(make_client, idp):
    mllp = MllpReceiver(["AE"])
    try:
        client, h = reporting_client(make_client, idp, wardgate_report_mllp=mllp.address)
        client.post("/results", json=result("R1", value="positive", performer="检验科"), headers=h)
        done = wait_until(lambda: reports(client, idp, state="delivered"))
        assert done[0]["attempts"] == 2
        with mllp.lock:
            messages = list(mllp.received)
    finally:
        mllp.stop()
    assert len(messages) == 2 and messages[0] == messages[1]  # the same message, retried
    segments = {s.split("|")[0]: s.split("|") for s in messages[1].split("\r") if s}
    assert segments["MSH"][8] == "ORU^R01^ORU_R01" and segments["MSH"][11] == "2.5.1"
    assert segments["PID"][3].startswith("P1^^^WARDGATE^PI") and segments["PID"][5] == "张三"
    assert (
        segments["OBX"][3].startswith("94500-6^") and segments["OBX"][5] == "260373001^Detected^SCT"
    )
    assert segments["OBX"][11] == "F" and segments["OBX"][23] == "检验科"
    assert segments["SPM"][2] == "R1"


def test_reports_survive_a_restart_without_destination(make_client, idp, receivers):
    client, h = reporting_client(make_client, idp)
    client.post("/results", json=result("R1", value="positive"), headers=h)
    assert reports(client, idp, state="pending")
    hook = receivers()
    later = make_client("screening", **FAST, wardgate_report_url=hook.url)
    wait_until(lambda: bundles(hook))
    done = wait_until(lambda: reports(later, idp, state="delivered"))
    assert done[0]["result_external_id"] == "R1"


def test_a_wrong_destination_stops_the_service(make_client, idp):
    with pytest.raises(Exception, match="WARDGATE_REPORT_MLLP"):
        make_client("screening", wardgate_report_mllp="no-port-here")


def test_two_services_on_one_database_deliver_each_report_once(make_client, idp, receivers):
    hook = receivers()
    first, h = reporting_client(make_client, idp, wardgate_report_url=hook.url)
    second = make_client("screening", **FAST, wardgate_report_url=hook.url)
    for n in range(30):
        client = first if n % 2 else second
        body = result(f"R{n}", value="positive")
        assert client.post("/results", json=body, headers=h).status_code == 201
    wait_until(lambda: len(reports(first, idp, state="delivered", limit=100)) == 30)
    time.sleep(0.3)  # a second delivery of any of them would arrive by now
    sent = [b["identifier"]["value"] for b in bundles(hook)]
    assert len(sent) == 30 and len(set(sent)) == 30
