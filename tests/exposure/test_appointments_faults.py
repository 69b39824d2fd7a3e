"""Whatever goes wrong with the appointments service, the list is a 503, never a short one.

The faults are injected with httpx.MockTransport (the only stand-in here: a real service
does not produce malformed pages on demand)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
import pytest

from services.screening.clients.appointments import AppointmentsClient
from services.screening.exposures.alert_exposures import service_credential
from services.screening.settings import ScreeningSettings
from shared.auth import TokenVerifier
from shared.auth.keys import dev_keys
from tests.support.transports import service_client

T0 = (datetime.now(UTC) - timedelta(days=1)).replace(microsecond=0)


def item(n, patient, minutes=0, **over):
    doc = {
        "id": n,
        "appointment_id": f"a{n}",
        "department": "RESP",
        "patient_external_id": patient,
        "patient_name": f"Visitor {patient}",
        "at": (T0 + timedelta(minutes=minutes)).isoformat(),
        "outcome": "admitted",
        "temperature_c": 36.5,
    }
    return {**doc, **over}


def page(items, cursor=None):
    return httpx.Response(200, json={"items": items, "next_cursor": cursor})


def traced(make_client, idp, handler, reader=None):
    client = make_client("screening")
    client.app.state.appointments = AppointmentsClient(service_client(handler))
    h = idp.headers("nurse")
    client.put(
        "/persons/A", json={"name": "A", "category": "outpatient", "department": "RESP"}, headers=h
    )
    reader = reader or idp.headers("infection_control")
    return client.get("/persons/A/exposures", headers=reader), client


def own_then(department_answer):
    """The person's own check-in, then `department_answer(request)` for the department."""

    def handler(request):
        if request.url.params.get("patient_external_id"):
            return page([item(1, "A")])
        return department_answer(request)

    return handler


def _raise(exc):
    def answer(request):
        raise exc

    return answer


@pytest.mark.parametrize(
    "department_answer",
    [
        lambda r: httpx.Response(500, json={"title": "boom"}),
        lambda r: httpx.Response(401, json={"title": "no"}),
        lambda r: httpx.Response(200, text="<html>proxy error</html>"),
        lambda r: httpx.Response(200, json={"items": [{"id": 1}], "next_cursor": None}),
        lambda r: page([item(2, "B", at="2030-01-01T10:00:00")]),  # naive time
        lambda r: page([item(2, "B")], cursor="same"),  # a cursor that never moves on
        _raise(httpx.ReadTimeout("slow")),
        _raise(httpx.ConnectError("refused")),
    ],
    ids=["500", "401", "not json", "wrong shape", "naive", "cursor loop", "timeout", "refused"],
)
def test_any_fault_is_a_503_and_audited(make_client, idp, department_answer):
    r, client = traced(make_client, idp, own_then(department_answer))
    assert r.status_code == 503, r.text
    assert r.json()["code"] == "appointments_unavailable"
    assert r.headers["content-type"].startswith("application/problem+json")
    trail = client.get(
        "/audit", params={"action": "exposures.read"}, headers=idp.headers("auditor")
    ).json()["items"]
    assert [row["outcome"] for row in trail] == ["appointments_unavailable"]


def test_a_fault_on_the_persons_own_check_ins_is_a_503_too(make_client, idp):
    r, _ = traced(make_client, idp, lambda request: httpx.Response(503))
    assert r.status_code == 503 and r.json()["code"] == "appointments_unavailable"


def test_every_page_is_followed(make_client, idp):
    asked = []

    def department(request):
        asked.append(dict(request.url.params))
        cursor = request.url.params.get("cursor")
        if cursor is None:
            return page([item(10, "B", 10)], cursor="p2")
        if cursor == "p2":
            return page([item(11, "C", 20)], cursor="p3")
        return page([item(12, "D", 30)])

    r, _ = traced(make_client, idp, own_then(department))
    assert r.status_code == 200, r.text
    assert [i["external_id"] for i in r.json()["items"]] == ["B", "C", "D"]
    assert [a.get("cursor") for a in asked] == [None, "p2", "p3"]
    assert {a["department"] for a in asked} == {"RESP"} and asked[0]["limit"] == "500"


def test_the_callers_token_is_relayed(make_client, idp):
    seen = []

    def handler(request):
        seen.append(request.headers["authorization"])
        return page([])

    reader = idp.headers("doctor")
    r, _ = traced(make_client, idp, handler, reader)
    assert r.status_code == 200
    assert seen == [reader["Authorization"]]


def test_worker_credential(tmp_path, idp):
    configured = ScreeningSettings(wardgate_service_token="svc-token", wardgate_data_dir=tmp_path)
    assert service_credential(configured) == "svc-token"
    external = ScreeningSettings(auth_jwks_file=idp.jwks_file, wardgate_data_dir=tmp_path)
    assert service_credential(external) is None  # "no service credential"
    local = ScreeningSettings(
        auth_jwks_file=None, auth_public_key_file=None, wardgate_data_dir=tmp_path
    )
    token = service_credential(local)
    assert token is not None
    principal = TokenVerifier(dev_keys(tmp_path), issuer="wardgate", audience="wardgate").verify(
        token
    )
    assert principal.roles == frozenset({"auditor"})
    assert principal.claims["exp"] - principal.claims["iat"] <= 300
