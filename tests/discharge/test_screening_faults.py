"""Fail closed: every way the screening service can fail or lie makes a check not eligible
(`screening_unavailable`) and a discharge 503 with a stored blocked attempt.

The downstream is replaced by `httpx.MockTransport` here only to inject faults; the happy
paths run against the real screening service (test_gate.py, tests/e2e)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import orjson
import pytest

from tests.discharge.conftest import with_screening_transport
from tests.support.transports import service_client

PID = "P-1"
NOW = datetime.now(UTC)


def _person(**over: Any) -> dict[str, Any]:
    return {
        "external_id": PID,
        "name": "Li Si",
        "category": "inpatient",
        "department": "resp",
        "ward": "W3",
        "admitted_at": "2026-11-01T08:00:00+08:00",
        **over,
    }


def _result(test_type: str, **over: Any) -> dict[str, Any]:
    return {
        "external_id": f"R-{test_type}",
        "version": 1,
        "person_external_id": PID,
        "test_type": test_type,
        "result": "negative",
        "status": "final",
        "specimen_collected_at": (NOW - timedelta(hours=1)).isoformat(),
        "resulted_at": None,
        "loinc": None,
        "values": None,
        **over,
    }


CLEAN = [_result(t) for t in ("nucleic_acid", "antibody_igm", "antibody_igg")]


def screening(person: Any = None, results: Any = None, next_cursor: Any = None):
    """A handler answering like the screening service would, with parts overridable: the
    person with a first page of their results (`?include=results`), then further pages."""

    def handle(request: httpx.Request) -> httpx.Response:
        items = results if results is not None else CLEAN
        page = {"items": items, "next_cursor": next_cursor}
        if request.url.path == f"/persons/{PID}":
            answer = person if person is not None else _person()
            if request.url.params.get("include") == "results" and isinstance(answer, dict):
                answer = {"results": page, **answer}
            return httpx.Response(200, json=answer)
        if request.url.path == f"/persons/{PID}/results":
            return httpx.Response(200, json=page)
        return httpx.Response(404, json={"status": 404}, headers={"content-type": "x/y"})

    return handle


def raising(exc: type[Exception]):
    def handle(request: httpx.Request) -> httpx.Response:
        raise exc("injected", request=request)  # type: ignore[call-arg]

    return handle


def answering(status: int, content: bytes = b"", content_type: str = "application/json"):
    def handle(request: httpx.Request) -> httpx.Response:
        return httpx.Response(status, content=content, headers={"content-type": content_type})

    return handle


def results_failing(status: int):
    base = screening(next_cursor="page-2")  # the history goes on past the first page

    def handle(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/results"):
            return httpx.Response(status, json={"status": status})
        return base(request)

    return handle


FAULTS = {
    "read timeout": raising(httpx.ReadTimeout),
    "connect timeout": raising(httpx.ConnectTimeout),
    "connection refused": raising(httpx.ConnectError),
    "connection dropped mid-answer": raising(httpx.RemoteProtocolError),
    "500": answering(500, b'{"status": 500}'),
    "502 from a proxy, html": answering(502, b"<html>bad gateway</html>", "text/html"),
    "401: the relayed token was refused": answering(401, b'{"status": 401}'),
    "malformed JSON": answering(200, b'{"external_id": "P-1", "categ'),
    "empty body": answering(200, b""),
    "a JSON list instead of a person": answering(200, b"[]"),
    "person without category": screening(person={"external_id": PID}),
    "another person": screening(person=_person(external_id="P-2")),
    "a naive admitted_at": screening(person=_person(admitted_at="2026-11-01T08:00:00")),
    "results of someone else": screening(
        results=[*CLEAN, _result("antibody_igg", external_id="X", person_external_id="P-2")]
    ),
    "results without items": screening(person={**_person(), "results": {"next_cursor": None}}),
    "a naive specimen time": screening(
        results=[_result("nucleic_acid", specimen_collected_at="2026-11-01T08:00:00")]
    ),
    "an unknown result status": screening(results=[_result("nucleic_acid", status="amended")]),
    "a version that is not a number": screening(results=[_result("nucleic_acid", version="x")]),
    "paging that never ends": screening(next_cursor="same-again"),
    "404 for the results of a known person": results_failing(404),
    "503 for the results": results_failing(503),
    "404 that is not a WardGate problem": answering(404, b"not found", "text/plain"),
}


@pytest.mark.parametrize("fault", list(FAULTS), ids=list(FAULTS))
def test_a_check_fails_closed(make_client, idp, fault):
    client = with_screening_transport(make_client("discharge"), FAULTS[fault])
    r = client.post(
        "/discharge-checks", json={"patient_external_id": PID}, headers=idp.headers("nurse")
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["eligible"] is False
    assert [x["code"] for x in body["reasons"]] == ["screening_unavailable"]
    assert body["evidence"] == []


@pytest.mark.parametrize(
    "fault",
    [
        "read timeout",
        "500",
        "malformed JSON",
        "another person",
        "results of someone else",
        "paging that never ends",
    ],
)
def test_a_discharge_fails_closed_and_the_attempt_is_kept(make_client, idp, fault):
    client = with_screening_transport(make_client("discharge"), FAULTS[fault])
    r = client.post(
        "/discharges",
        json={"patient_external_id": PID, "disposition": "home"},
        headers=idp.headers("doctor", sub="dr-wang"),
    )
    assert r.status_code == 503, r.text
    assert r.headers["content-type"] == "application/problem+json"
    problem = r.json()
    assert problem["code"] == "screening_unavailable"
    assert [x["code"] for x in problem["reasons"]] == ["screening_unavailable"]
    stored = client.get(f"/discharges/{problem['attempt_id']}", headers=idp.headers("auditor"))
    assert stored.status_code == 200
    assert stored.json()["outcome"] == "blocked"
    assert stored.json()["actor"] == "dr-wang"
    listed = client.get(
        "/discharges", params={"outcome": "discharged"}, headers=idp.headers("auditor")
    )
    assert listed.json()["items"] == []


def test_even_an_exception_is_not_recorded_blind(make_client, idp):
    client = with_screening_transport(make_client("discharge"), FAULTS["500"])
    r = client.post(
        "/discharges",
        json={"patient_external_id": PID, "disposition": "death", "reason": "died on ward"},
        headers=idp.headers("infection_control"),
    )
    assert r.status_code == 503
    assert r.json()["code"] == "screening_unavailable"


def test_a_screening_service_that_is_not_listening(make_client, idp):
    from tests.support.live import free_port

    client = make_client("discharge", screening_url=f"http://127.0.0.1:{free_port()}")
    r = client.post(
        "/discharge-checks", json={"patient_external_id": PID}, headers=idp.headers("integration")
    )
    assert r.status_code == 200
    assert [x["code"] for x in r.json()["reasons"]] == ["screening_unavailable"]
    r = client.post(
        "/discharges",
        json={"patient_external_id": PID, "disposition": "transfer"},
        headers=idp.headers("integration"),
    )
    assert r.status_code == 503


def test_unknown_person_is_unknown_patient_not_unavailable(make_client, idp):
    def handle(request: httpx.Request) -> httpx.Response:
        return httpx.Response(
            404,
            content=orjson.dumps({"status": 404, "code": "unknown_person"}),
            headers={"content-type": "application/problem+json"},
        )

    client = with_screening_transport(make_client("discharge"), handle)
    r = client.post(
        "/discharge-checks", json={"patient_external_id": PID}, headers=idp.headers("nurse")
    )
    assert [x["code"] for x in r.json()["reasons"]] == ["unknown_patient"]
    r = client.post(
        "/discharges",
        json={"patient_external_id": PID, "disposition": "home"},
        headers=idp.headers("nurse"),
    )
    assert r.status_code == 409
    assert [x["code"] for x in r.json()["reasons"]] == ["unknown_patient"]


def test_the_callers_token_is_relayed_and_a_sent_request_is_not_repeated(make_client, idp):
    seen: list[httpx.Request] = []

    def handle(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(500)

    client = with_screening_transport(make_client("discharge"), handle)
    headers = {**idp.headers("nurse"), "X-Request-ID": "req-42"}
    client.post("/discharge-checks", json={"patient_external_id": PID}, headers=headers)
    assert len(seen) == 1
    assert seen[0].headers["authorization"] == headers["Authorization"]
    assert seen[0].headers["x-request-id"] == "req-42"


def test_a_configured_service_token_is_used_instead(make_client, idp):
    seen: list[httpx.Request] = []

    def handle(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return screening()(request)

    client = make_client("discharge", wardgate_service_token="svc-token")
    from services.discharge.clients.screening import ScreeningClient

    http = service_client(handle)
    client.app.state.screening = ScreeningClient(http, timeout_s=2, service_token="svc-token")
    r = client.post(
        "/discharge-checks", json={"patient_external_id": PID}, headers=idp.headers("nurse")
    )
    assert r.status_code == 200
    assert {s.headers["authorization"] for s in seen} == {"Bearer svc-token"}
    assert [s.url.params["include"] for s in seen] == ["results"]  # one call, not two


def test_every_page_of_the_history_is_read(make_client, idp):
    pages = {
        None: ([_result("nucleic_acid")], "c1"),
        "c1": ([_result("antibody_igm")], "c2"),
        "c2": ([_result("antibody_igg")], None),
    }

    def handle(request: httpx.Request) -> httpx.Response:
        items, nxt = pages[request.url.params.get("cursor")]
        page = {"items": items, "next_cursor": nxt}
        if request.url.path.endswith("/results"):
            return httpx.Response(200, json=page)
        return httpx.Response(200, json={**_person(), "results": page})  # the first page

    client = with_screening_transport(make_client("discharge"), handle)
    r = client.post(
        "/discharge-checks", json={"patient_external_id": PID}, headers=idp.headers("nurse")
    )
    assert r.json()["eligible"] is True, r.text
    assert len(r.json()["evidence"]) == 3
