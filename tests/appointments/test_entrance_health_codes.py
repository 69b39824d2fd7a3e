"""Verified health codes at check-in: every verifier outcome, local and over HTTP."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from shared.auth.health_codes import dev_signing_key, issue_health_code
from tests.appointments.conftest import local
from tests.support.live import free_port

READINGS = {"temperature_c": 36.6, "mask": True, "risk_area_travel_14d": False}
HOLDER = "L* W**"  # how a health code names "Li Wei" (the desk books everyone as Li Wei)


def _booked(desk, patient=None):
    r = desk.book(local(desk.today, 9), patient=patient)
    assert r.status_code == 201, r.text
    desk.clock.now = local(desk.today, 8, 50)
    return r.json()


def _check_in(desk, appointment_id, **body):
    return desk.client.post(
        f"/appointments/{appointment_id}/check-in",
        json={**READINGS, **body},
        headers=desk.headers("nurse"),
    )


def _code(desk, colour="green", name=HOLDER, key_dir=None, **kw):
    data_dir = key_dir or Path(desk.client.app.state.settings.wardgate_data_dir)
    return issue_health_code(dev_signing_key(data_dir), colour=colour, name_masked=name, **kw)


def _attempts(desk, patient):
    r = desk.client.get(
        "/check-ins", params={"patient_external_id": patient}, headers=desk.headers("auditor")
    )
    return r.json()["items"]


def _audited(desk):
    r = desk.client.get(
        "/audit", params={"action": "appointment.check_in"}, headers=desk.headers("auditor")
    )
    row = r.json()["items"][-1]
    return {**row, "detail": json.loads(row["detail"] or "{}")}


@pytest.mark.parametrize(
    ("colour", "outcome", "reasons", "status"),
    [
        ("green", "admitted", [], "checked_in"),
        ("yellow", "redirected_fever_clinic", ["health_code_yellow"], "redirected_fever_clinic"),
        ("red", "redirected_fever_clinic", ["health_code_red"], "redirected_fever_clinic"),
    ],
)
def test_a_verified_code_gives_the_colour(desk, colour, outcome, reasons, status):
    appointment = _booked(desk, patient=f"V-{colour}")
    r = _check_in(desk, appointment["id"], health_code_payload=_code(desk, colour))
    assert r.status_code == 200, r.text
    body = r.json()
    assert (body["outcome"], [x["code"] for x in body["reasons"]]) == (outcome, reasons)
    assert body["health_code"] == colour and body["health_code_source"] == "verified"
    assert body["health_code_name_masked"] == HOLDER
    assert body["health_code_valid_until"].endswith("+08:00")
    assert body["appointment"]["status"] == status
    stored = _attempts(desk, f"V-{colour}")
    assert [(a["health_code"], a["health_code_source"]) for a in stored] == [(colour, "verified")]


def test_the_scanned_colour_wins_over_the_typed_one(desk):
    appointment = _booked(desk)
    r = _check_in(
        desk, appointment["id"], health_code="green", health_code_payload=_code(desk, "red")
    )
    assert r.json()["outcome"] == "redirected_fever_clinic"
    assert r.json()["health_code"] == "red"


def _tampered(payload: str) -> str:
    header, claims, signature = payload.split(".")
    doc = json.loads(_b64decode(claims))
    doc["colour"] = "green"
    forged = _b64encode(json.dumps(doc).encode())
    return f"{header}.{forged}.{signature}"


def _b64decode(text: str) -> bytes:
    import base64

    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _b64encode(raw: bytes) -> str:
    import base64

    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


@pytest.mark.parametrize(
    ("make_payload", "why", "words"),
    [
        (lambda d, o: _tampered(_code(d, "red")), "bad_signature", "signature does not verify"),
        (lambda d, o: _code(d, ttl_s=-1), "expired", "expired"),
        (lambda d, o: _code(d, key_dir=o), "unknown_key", "key the hospital does not trust"),
        (lambda d, o: "not a health code", "malformed", "not a health-code payload"),
        (lambda d, o: _code(d, name="Z***"), "name", "names another person"),
    ],
    ids=["bad_signature", "expired", "unknown_key", "malformed", "another_name"],
)
def test_an_invalid_code_is_refused_never_green(desk, tmp_path, make_payload, why, words):
    appointment = _booked(desk, patient=f"I-{why}")
    payload = make_payload(desk, tmp_path / "other-platform")
    r = _check_in(desk, appointment["id"], health_code="green", health_code_payload=payload)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["outcome"] == "refused"
    assert body["reasons"][0]["code"] == "health_code_invalid"
    assert words in body["reasons"][0]["detail"]
    assert body["health_code"] is None and body["health_code_source"] == "verified"
    assert body["appointment"]["status"] == "booked"  # may come back with a valid code
    stored = _attempts(desk, f"I-{why}")
    assert [(a["outcome"], a["health_code"]) for a in stored] == [("refused", None)]
    audited = _audited(desk)
    assert audited["outcome"] == "refused"
    assert audited["detail"]["health_code_invalid"] == why


def test_an_invalid_code_still_lists_fever_and_no_mask(desk):
    appointment = _booked(desk)
    r = _check_in(
        desk,
        appointment["id"],
        temperature_c=38.2,
        mask=False,
        health_code_payload=_code(desk, ttl_s=-60),
    )
    assert r.json()["outcome"] == "refused"
    assert [x["code"] for x in r.json()["reasons"]] == ["health_code_invalid", "fever", "no_mask"]


def test_a_code_with_another_identity_number_is_refused(desk):
    resident = "11010119900101123X"
    appointment = _booked(desk, patient=resident)
    wrong = _check_in(desk, appointment["id"], health_code_payload=_code(desk, id_last4="9999"))
    assert wrong.json()["outcome"] == "refused"
    assert "identity number" in wrong.json()["reasons"][0]["detail"]
    right = _check_in(desk, appointment["id"], health_code_payload=_code(desk, id_last4="123x"))
    assert right.json()["outcome"] == "admitted"


def test_neither_a_colour_nor_a_payload_is_422(desk):
    appointment = _booked(desk)
    r = _check_in(desk, appointment["id"])
    assert r.status_code == 422
    assert "health_code_payload" in r.text
    too_long = _check_in(desk, appointment["id"], health_code_payload="x" * 3000)
    assert too_long.status_code == 422


def test_typed_colours_are_stored_as_manual(desk):
    appointment = _booked(desk, patient="T-1")
    r = _check_in(desk, appointment["id"], health_code="green")
    assert r.json()["health_code_source"] == "manual"
    assert _attempts(desk, "T-1")[0]["health_code_source"] == "manual"


def test_keys_from_a_jwks_file(make_desk, tmp_path):
    platform = dev_signing_key(tmp_path / "platform")
    jwks = tmp_path / "health-code-keys.json"
    jwks.write_text(json.dumps({"keys": [platform.public_jwk]}))
    desk = make_desk(wardgate_health_code_keys=str(jwks))
    appointment = _booked(desk)
    own_dev_key = _check_in(desk, appointment["id"], health_code_payload=_code(desk))
    assert own_dev_key.json()["reasons"][0]["code"] == "health_code_invalid"
    good = _check_in(
        desk, appointment["id"], health_code_payload=_code(desk, key_dir=tmp_path / "platform")
    )
    assert good.json()["outcome"] == "admitted"


# The hospital's health-code platform, as a real HTTP server on a free port.


class Platform:
    """Answers per payload: `(status, body)` or a delay; records what it was sent."""

    def __init__(self) -> None:
        self.answers: dict[str, tuple[int, dict[str, Any]]] = {}
        self.delay_s = 0.0
        self.received: list[dict[str, Any]] = []


@pytest.fixture
def platform() -> Iterator[tuple[Platform, str]]:
    state = Platform()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            doc = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            state.received.append(doc)
            time.sleep(state.delay_s)
            known = self.path.endswith("/verify")
            status, body = state.answers.get(doc["payload"], (404, {}))
            status, body = (status, body) if known else (404, {"detail": "Not Found"})
            raw = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(raw)))
            self.end_headers()
            self.wfile.write(raw)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield state, f"http://127.0.0.1:{server.server_address[1]}/v1/health-codes/verify"
    server.shutdown()
    server.server_close()


def _valid(colour: str, days: int = 1) -> tuple[int, dict[str, Any]]:
    until = (datetime.now(UTC) + timedelta(days=days)).isoformat()
    return 200, {"colour": colour, "valid_until": until, "name_masked": HOLDER}


def _http_desk(make_desk: Callable[..., Any], url: str, timeout_s: float = 2.0) -> Any:
    return make_desk(wardgate_health_code_verifier=url, wardgate_health_code_timeout_s=timeout_s)


def test_the_http_verifiers_answer_is_used(make_desk, platform):
    state, url = platform
    state.answers["QR-YELLOW"] = _valid("yellow")
    desk = _http_desk(make_desk, url)
    appointment = _booked(desk)
    r = _check_in(desk, appointment["id"], health_code="green", health_code_payload="QR-YELLOW")
    body = r.json()
    assert body["outcome"] == "redirected_fever_clinic"
    assert body["health_code"] == "yellow" and body["health_code_source"] == "verified"
    assert state.received == [{"payload": "QR-YELLOW"}]


@pytest.mark.parametrize(
    ("answer", "words"),
    [
        ((410, {"reason": "expired"}), "expired"),
        ((422, {"message": "no such code"}), "platform rejected it"),
        ((404, {"reason": "unknown_key"}), "key the hospital does not trust"),
        (_valid("green", days=-1), "expired"),
    ],
    ids=["platform_says_expired", "platform_rejects", "platform_unknown_key", "valid_until_past"],
)
def test_the_http_verifier_refuses_a_code(make_desk, platform, answer, words):
    state, url = platform
    state.answers["QR-1"] = answer
    desk = _http_desk(make_desk, url)
    appointment = _booked(desk)
    r = _check_in(desk, appointment["id"], health_code="green", health_code_payload="QR-1")
    assert r.json()["outcome"] == "refused"
    assert words in r.json()["reasons"][0]["detail"]


def _down_desk(make_desk, platform, why):
    """A verifier on a closed port, one answering 503, or one slower than its timeout."""
    state, url = platform
    state.answers["QR-503"] = (503, {})
    state.answers["QR-SLOW"] = _valid("red")
    if why == "unreachable":
        return _http_desk(make_desk, f"http://127.0.0.1:{free_port()}/verify"), "QR-1"
    if why == "answered 503":
        return _http_desk(make_desk, url), "QR-503"
    if why == "answered 404":  # a wrong URL, not a verdict on the code
        return _http_desk(make_desk, url.replace("/verify", "/nowhere")), "QR-404"
    state.delay_s = 1.0
    return _http_desk(make_desk, url, timeout_s=0.3), "QR-SLOW"


@pytest.mark.parametrize("why", ["unreachable", "answered 503", "answered 404", "timed out"])
def test_verifier_down_with_a_typed_colour_uses_it_as_manual(make_desk, platform, why):
    desk, payload = _down_desk(make_desk, platform, why)
    appointment = _booked(desk, patient="D-1")
    r = _check_in(desk, appointment["id"], health_code="green", health_code_payload=payload)
    assert r.status_code == 200, r.text
    assert r.json()["outcome"] == "admitted"
    assert (r.json()["health_code"], r.json()["health_code_source"]) == ("green", "manual")
    assert _attempts(desk, "D-1")[0]["health_code_source"] == "manual"
    assert why in _audited(desk)["detail"]["health_code_fallback"]


@pytest.mark.parametrize("why", ["unreachable", "answered 503", "answered 404", "timed out"])
def test_verifier_down_without_a_typed_colour_is_503(make_desk, platform, why):
    desk, payload = _down_desk(make_desk, platform, why)
    appointment = _booked(desk, patient="D-2")
    r = _check_in(desk, appointment["id"], health_code_payload=payload)
    assert r.status_code == 503, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    assert r.json()["code"] == "health_code_unavailable"
    assert _attempts(desk, "D-2") == []
    read = desk.client.get(f"/appointments/{appointment['id']}", headers=desk.headers("nurse"))
    assert read.json()["status"] == "booked"
    assert _audited(desk)["outcome"] == "health_code_unavailable"
