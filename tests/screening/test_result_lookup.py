"""The resident's result lookup: every state, the same 404, the rate limit and the audit."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from itertools import count
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest

from services.appointments.clients.screening import ScreeningClient
from services.screening.clients.appointments import AppointmentsClient
from tests.support.transports import service_client

TZ = ZoneInfo("Asia/Shanghai")
ID_NUMBER = "11010519491231002X"
_numbers = count(100)


class PublicTesting:
    """Appointments and screening wired to each other, a testing site T1 configured."""

    def __init__(self, appointments: Any, screening: Any, idp: Any) -> None:
        self.appointments = appointments
        self.screening = screening
        self.idp = idp
        self.nurse = idp.headers("nurse")

    def book(self, id_number: str = ID_NUMBER) -> str:
        today = datetime.now(TZ).date()
        start = datetime.combine(today + timedelta(days=1), time(9), tzinfo=TZ)
        body = {
            "site": "T1",
            "slot_start": start.isoformat(),
            "name": "张伟",
            "id_number": id_number,
            "phone": "13912345678",
        }
        r = self.appointments.post("/test-requests", json=body)
        assert r.status_code == 201, r.text
        return str(r.json()["booking_code"])

    def person_of(self, code: str) -> str:
        r = self.appointments.get(f"/test-requests/{code}", headers=self.nurse)
        assert r.status_code == 200, r.text
        return str(r.json()["person_external_id"])

    def collect(self, code: str, *, hours_ago: float = 2, pool: str | None = None) -> str:
        specimen = f"S{next(_numbers)}"
        body: dict[str, Any] = {
            "specimen_id": specimen,
            "person_external_id": self.person_of(code),
            "collected_at": (datetime.now(UTC) - timedelta(hours=hours_ago)).isoformat(),
            "booking_code": code,
        }
        if pool:
            body["pool_id"] = pool
        r = self.screening.post("/specimens", json=body, headers=self.nurse)
        assert r.status_code == 201, r.text
        return specimen

    def result(self, code: str, value: str, *, hours_ago: float = 1, **over: Any) -> None:
        body = {
            "external_id": f"R{next(_numbers)}",
            "person_external_id": self.person_of(code),
            "test_type": "nucleic_acid",
            "result": value,
            "status": "final",
            "specimen_collected_at": (datetime.now(UTC) - timedelta(hours=hours_ago)).isoformat(),
            "resulted_at": datetime.now(UTC).isoformat(),
            **over,
        }
        r = self.screening.post("/results", json=body, headers=self.nurse)
        assert r.status_code == 201, r.text

    def look_up(self, code: str, last4: str = "002X", **headers: str) -> Any:
        body = {"booking_code": code, "id_number_last4": last4}
        return self.screening.post("/test-results/lookup", json=body, headers=headers)


@pytest.fixture
def public(make_client: Any, idp: Any) -> PublicTesting:
    token = idp.token("integration", sub="svc")
    appointments = make_client("appointments", wardgate_service_token=token)
    screening = make_client("screening", wardgate_service_token=token)
    appointments.app.state.screening = ScreeningClient(service_client(screening))
    screening.app.state.appointments = AppointmentsClient(service_client(appointments))
    site = {"name": "Testing site", "kind": "testing", "capacity_per_slot": 50}
    r = appointments.put("/departments/T1", json=site, headers=idp.headers("admin"))
    assert r.status_code == 201, r.text
    return PublicTesting(appointments, screening, idp)


def test_not_collected_until_a_specimen_carries_the_code(public):
    code = public.book()
    r = public.look_up(code)
    assert r.status_code == 200, r.text
    assert r.json() == {
        "state": "not_collected",
        "collected_at": None,
        "resulted_at": None,
        "name_masked": "张*",
    }


def test_pending_once_collected_then_the_result(public):
    code = public.book()
    public.collect(code, hours_ago=2)
    pending = public.look_up(code).json()
    assert pending["state"] == "pending" and pending["collected_at"] is not None
    assert pending["resulted_at"] is None
    public.result(code, "negative", hours_ago=2)
    done = public.look_up(code).json()
    assert done["state"] == "negative" and done["resulted_at"] is not None
    assert set(done) == {"state", "collected_at", "resulted_at", "name_masked"}


@pytest.mark.parametrize("value", ["positive", "indeterminate"])
def test_a_positive_or_indeterminate_result_is_told(public, value):
    code = public.book()
    public.collect(code, hours_ago=2)
    public.result(code, value, hours_ago=1)
    assert public.look_up(code).json()["state"] == value


def test_a_result_collected_before_the_specimen_does_not_answer(public):
    code = public.book()
    public.result(code, "negative", hours_ago=30)  # an older test of the same person
    public.collect(code, hours_ago=2)
    assert public.look_up(code).json()["state"] == "pending"


def test_a_preliminary_result_leaves_it_pending(public):
    code = public.book()
    public.collect(code, hours_ago=2)
    public.result(code, None, status="preliminary")
    assert public.look_up(code).json()["state"] == "pending"


def test_a_pooled_negative_answers_and_a_positive_pool_is_pending(public):
    negative, positive = public.book(), public.book("110105194912310038")
    public.collect(negative, pool="POOL-N")
    public.collect(positive, pool="POOL-P")
    for pool, value in (("POOL-N", "negative"), ("POOL-P", "positive")):
        body = {"external_id": f"PR-{pool}", "result": value, "status": "final"}
        r = public.screening.post(f"/pools/{pool}/result", json=body, headers=public.nurse)
        assert r.status_code == 200, r.text
    assert public.look_up(negative).json()["state"] == "negative"
    assert public.look_up(positive, "0038").json()["state"] == "pending"


def test_a_pool_corrected_to_positive_is_pending_until_the_retest(public):
    code = public.book()
    public.collect(code, pool="POOL-C")
    for status, value in (("final", "negative"), ("corrected", "positive")):
        body = {"external_id": "PR-POOL-C", "result": value, "status": status}
        r = public.screening.post("/pools/POOL-C/result", json=body, headers=public.nurse)
        assert r.status_code == 200, r.text
    # The member's pooled version now reads `corrected` positive: a retest is open, no answer.
    assert public.look_up(code).json()["state"] == "pending"


def test_unknown_code_and_wrong_digits_answer_the_same_404(public):
    code = public.book()
    public.collect(code)
    wrong = public.look_up(code, "1234")
    unknown = public.look_up("ZZZZZZZZ")
    uncollected_wrong = public.look_up(public.book("110105194912310038"), "9999")
    for r in (wrong, unknown, uncollected_wrong):
        assert r.status_code == 404
        assert r.json() == unknown.json()
    assert public.look_up(code, "002x").status_code == 200  # an X in either case
    assert public.look_up("short", "002X").status_code == 422


def test_appointments_down_for_an_uncollected_code_is_503(public):
    code = public.book()

    def down(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    public.screening.app.state.appointments = AppointmentsClient(service_client(down))
    r = public.look_up(code)
    assert r.status_code == 503 and r.json()["code"] == "appointments_unavailable"


def test_every_lookup_is_audited_without_the_digits(public):
    code = public.book()
    public.look_up(code)
    public.look_up(code, "7777")
    rows = public.screening.get(
        "/audit", params={"action": "test_result.lookup"}, headers=public.idp.headers("auditor")
    ).json()["items"]
    lookups = [r for r in rows if r["action"] == "test_result.lookup"]
    assert sorted(r["outcome"] for r in lookups) == ["not_found", "ok"]
    assert all(r["resource"] == f"booking/{code}" for r in lookups)
    assert "7777" not in str(rows) and ID_NUMBER not in str(rows)


def test_the_rate_limit_answers_429_with_retry_after(make_client, idp):
    screening = make_client(
        "screening", wardgate_public_rate_per_min=2, wardgate_service_token=idp.token("integration")
    )
    body = {"booking_code": "ZZZZZZZZ", "id_number_last4": "1234"}
    screening.app.state.appointments = AppointmentsClient(
        service_client(lambda request: httpx.Response(404, json={}))
    )
    codes = [screening.post("/test-results/lookup", json=body).status_code for _ in range(3)]
    assert codes == [404, 404, 429]
    r = screening.post("/test-results/lookup", json=body)
    assert r.status_code == 429 and r.json()["code"] == "rate_limited"
    assert 1 <= int(r.headers["Retry-After"]) <= 60


def test_the_lookup_needs_no_token_but_ignores_one(public):
    code = public.book()
    r = public.look_up(code, Authorization="Bearer nonsense")
    assert r.status_code == 200
