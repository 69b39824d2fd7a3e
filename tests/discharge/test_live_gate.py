"""End to end: the real screening and discharge services as processes on real ports (on
PostgreSQL when TEST_DATABASE_URL is set), talking HTTP with the caller's token relayed."""

from __future__ import annotations

import threading
from collections import Counter

import httpx
import pytest

from tests.discharge.conftest import Ward, ago
from tests.discharge.test_gate import BLOCKING

pytestmark = pytest.mark.e2e


class LiveGate:
    """Both services started, a seeding client for screening and one for discharge."""

    def __init__(self, live, idp, **discharge_env: str) -> None:
        self.screening_service = live("screening")
        self.discharge_service = live(
            "discharge", SCREENING_URL=self.screening_service.url, **discharge_env
        )
        self.idp = idp
        self.ward = Ward(httpx.Client(base_url=self.screening_service.url, timeout=10), idp)
        self.discharge = httpx.Client(base_url=self.discharge_service.url, timeout=10)

    def check(self, pid: str, role: str = "nurse") -> dict:
        r = self.discharge.post(
            "/discharge-checks", json={"patient_external_id": pid}, headers=self.idp.headers(role)
        )
        assert r.status_code == 200, r.text
        return r.json()

    def discharge_(self, pid: str, disposition: str = "home", role: str = "nurse", **extra):
        body = {"patient_external_id": pid, "disposition": disposition, **extra}
        return self.discharge.post("/discharges", json=body, headers=self.idp.headers(role))


@pytest.fixture
def live_gate(live, idp):
    gate = LiveGate(live, idp)
    yield gate
    gate.ward.screening.close()
    gate.discharge.close()


def test_discharged_once_corrections_and_exceptions(live_gate):
    """Clean patient discharged once; a correction flips eligibility; exceptions are IC's."""
    _clean_patient_is_discharged_once(live_gate)
    _a_correction_flips_eligibility(live_gate)
    _an_exception_is_for_infection_control_only(live_gate)


def _clean_patient_is_discharged_once(live_gate):
    ids = live_gate.ward.clean_patient("E-1")
    assert live_gate.check("E-1")["eligible"] is True
    r = live_gate.discharge_("E-1")
    assert r.status_code == 201, r.text
    assert r.json()["outcome"] == "discharged"
    assert {e["result_external_id"] for e in r.json()["evidence"]} == set(ids.values())
    again = live_gate.discharge_("E-1", disposition="transfer")
    assert again.status_code == 409
    assert again.json()["code"] == "already_discharged"


def test_each_blocking_reason(live_gate):
    for name, seed, expected in BLOCKING:
        pid = f"E-{name.replace(' ', '-')}"
        seed(live_gate.ward, pid)
        check = live_gate.check(pid, role="doctor")
        assert {(x["code"], x.get("test_type")) for x in check["reasons"]} == expected, name
        r = live_gate.discharge_(pid, role="doctor")
        assert r.status_code == 409, name
        assert {(x["code"], x.get("test_type")) for x in r.json()["reasons"]} == expected, name


def _a_correction_flips_eligibility(live_gate):
    ids = live_gate.ward.clean_patient("E-2")
    collected = ago(hours=2)
    na = live_gate.ward.result("E-2", "nucleic_acid", "negative", collected)
    assert live_gate.check("E-2")["eligible"] is True
    live_gate.ward.result("E-2", "nucleic_acid", "positive", collected, "corrected", na)
    assert live_gate.discharge_("E-2").status_code == 409
    live_gate.ward.result("E-2", "nucleic_acid", "negative", collected, "corrected", na)
    live_gate.ward.result(
        "E-2", "nucleic_acid", "negative", ago(hours=1), "entered_in_error", ids["nucleic_acid"]
    )
    r = live_gate.discharge_("E-2")
    assert r.status_code == 201, r.text
    counting = [e for e in r.json()["evidence"] if e["test_type"] == "nucleic_acid"]
    assert [(e["result_external_id"], e["version"]) for e in counting] == [(na, 3)]


def _an_exception_is_for_infection_control_only(live_gate):
    live_gate.ward.person("E-3")
    live_gate.ward.result("E-3", "nucleic_acid", "positive", ago(hours=3))
    body = {"reason": "transferred to the designated hospital"}
    assert live_gate.discharge_("E-3", "designated_hospital", "nurse", **body).status_code == 403
    r = live_gate.discharge_("E-3", "designated_hospital", "infection_control", **body)
    assert r.status_code == 201, r.text
    assert r.json()["outcome"] == "exception"


def test_screening_stopped_then_back(live_gate):
    live_gate.ward.clean_patient("E-4")
    live_gate.screening_service.stop()
    check = live_gate.check("E-4")
    assert check["eligible"] is False
    assert [x["code"] for x in check["reasons"]] == ["screening_unavailable"]
    r = live_gate.discharge_("E-4")
    assert r.status_code == 503
    assert r.json()["code"] == "screening_unavailable"
    live_gate.screening_service.start()
    r = live_gate.discharge_("E-4")
    assert r.status_code == 201, r.text
    report = live_gate.discharge.get(
        "/compliance/discharges", headers=live_gate.idp.headers("auditor")
    ).json()
    assert (report["discharged"], report["blocked_attempts"]) == (1, 1)


def test_simultaneous_discharges_of_one_admission(live_gate):
    live_gate.ward.clean_patient("E-5")
    clients = 8
    barrier = threading.Barrier(clients)
    statuses: list[int] = []
    codes: list[str | None] = []
    lock = threading.Lock()

    def attempt(i: int) -> None:
        with httpx.Client(base_url=live_gate.discharge_service.url, timeout=30) as http:
            body = {"patient_external_id": "E-5", "disposition": "home"}
            headers = live_gate.idp.headers("nurse", sub=f"nurse-{i}")
            barrier.wait()
            r = http.post("/discharges", json=body, headers=headers)
        with lock:
            statuses.append(r.status_code)
            codes.append(r.json().get("code"))

    threads = [threading.Thread(target=attempt, args=(i,)) for i in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert Counter(statuses) == {201: 1, 409: clients - 1}
    assert Counter(codes)["already_discharged"] == clients - 1
    items = live_gate.discharge.get(
        "/discharges",
        params={"patient_external_id": "E-5"},
        headers=live_gate.idp.headers("auditor"),
    ).json()["items"]
    assert Counter(i["outcome"] for i in items) == {"discharged": 1, "blocked": clients - 1}
