"""Any bytes in X-Request-ID, against live services: a value that is not 1-64 ASCII letters,
digits, `-` or `_` is replaced by a fresh id, and calls to other services (which carry the
id on) still work.

One byte 0xE9 once passed the check (decoded as latin-1 it is the letter "é") and every
cross-service call then failed with a 500, nothing stored. The in-process test client cannot
send that byte (it re-encodes header values as UTF-8), so these requests go over real
sockets, byte for byte, with `http.client`.
"""

from __future__ import annotations

import http.client
import json
import re
from datetime import datetime, time, timedelta
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import httpx
import pytest

from tests.discharge.conftest import Ward, ago

pytestmark = pytest.mark.e2e

FRESH = re.compile(r"[A-Za-z0-9_-]{1,64}")
ODD_IDS = {
    "latin-1 e-acute": b"\xe9",
    "latin-1 superscript two": b"ab\xb2",
    "UTF-8 e-acute": "é".encode(),
    "CJK": "请求".encode(),
    "space": b"abc def",
    "65 characters": b"a" * 65,
    "dot and slash": b"../etc",
    "empty": b"",
}
# uvicorn's HTTP parser itself answers 400 to control characters in a header value: the app
# never sees them. Still an answer, never a 500 or a dropped connection.
PARSER_REFUSES = {"control character": b"ab\x01cd", "DEL": b"ab\x7f", "NUL": b"a\x00"}


def send(url: str, method: str, path: str, headers: dict[str, Any], body: Any) -> tuple[int, dict]:
    """One request with header values sent exactly as given (bytes stay bytes)."""
    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    try:
        data = json.dumps(body).encode()
        conn.putrequest(method, path, skip_accept_encoding=True)
        for name, value in {**headers, "Content-Type": "application/json"}.items():
            conn.putheader(name, value)
        conn.putheader("Content-Length", str(len(data)))
        conn.endheaders(data)
        response = conn.getresponse()
        answer = response.read()
        return response.status, {
            "x-request-id": response.getheader("x-request-id", ""),
            "body": json.loads(answer) if answer.startswith(b"{") else answer,
        }
    finally:
        conn.close()


def _fresh(answer_id: str, sent: bytes, what: str) -> None:
    assert FRESH.fullmatch(answer_id), (what, answer_id)
    assert answer_id.encode() != sent, what


def test_discharge_checks_with_odd_request_ids_are_answered_and_stored(live, idp):
    screening = live("screening")
    discharge = live("discharge", SCREENING_URL=screening.url, SCREENING_TIMEOUT_S="5")
    ward = Ward(httpx.Client(base_url=screening.url, timeout=10), idp)
    for n, (name, sent) in enumerate(ODD_IDS.items()):
        pid = f"RID-{n}"
        ward.clean_patient(pid)
        headers = {**idp.headers("nurse"), "X-Request-ID": sent}
        status, answer = send(
            discharge.url, "POST", "/discharge-checks", headers, {"patient_external_id": pid}
        )
        assert status == 200, (name, answer)
        assert answer["body"]["eligible"] is True, name
        _fresh(answer["x-request-id"], sent, name)
        # The check is stored with its audit row, in one transaction.
        trail = httpx.get(
            f"{discharge.url}/audit",
            params={"action": "discharge.check"},
            headers=idp.headers("auditor"),
        ).json()["items"]
        stored = [r for r in trail if r["resource"] == f"patient/{pid}"]
        assert [r["outcome"] for r in stored] == ["eligible"], (name, stored)
        assert json.loads(stored[0]["detail"])["check_id"] == answer["body"]["check_id"]
        assert stored[0]["request_id"] == answer["x-request-id"], name


def test_control_characters_are_refused_by_the_http_parser_not_with_a_500(live, idp):
    screening = live("screening")
    for name, sent in PARSER_REFUSES.items():
        headers = {**idp.headers("nurse"), "X-Request-ID": sent}
        status, answer = send(screening.url, "PUT", "/persons/RID-C", headers, {})
        assert status == 400, (name, status, answer)
    assert httpx.get(f"{screening.url}/health").status_code == 200


def test_a_valid_request_id_is_kept(live, idp):
    screening = live("screening")
    discharge = live("discharge", SCREENING_URL=screening.url, SCREENING_TIMEOUT_S="5")
    Ward(httpx.Client(base_url=screening.url, timeout=10), idp).clean_patient("RID-OK")
    headers = {**idp.headers("nurse"), "X-Request-ID": b"ward-3_check-0001"}
    status, answer = send(
        discharge.url, "POST", "/discharge-checks", headers, {"patient_external_id": "RID-OK"}
    )
    assert status == 200, answer
    assert answer["x-request-id"] == "ward-3_check-0001"


def test_virtual_visits_with_odd_request_ids_are_booked(live, idp):
    screening = live("screening")
    appointments = live("appointments", SCREENING_URL=screening.url, SCREENING_TIMEOUT_S="5")
    nurse = idp.headers("nurse")
    tz = ZoneInfo("Asia/Shanghai")
    day = datetime.now(tz).date() + timedelta(days=1)
    for n, (name, sent) in enumerate(ODD_IDS.items()):
        pid = f"RID-IN-{n}"
        person = {
            "name": "Wang Fang",
            "category": "inpatient",
            "department": "RESP",
            "ward": f"W{n}",
            "admitted_at": ago(days=2),
        }
        r = httpx.put(f"{screening.url}/persons/{pid}", json=person, headers=nurse)
        assert r.status_code == 201, r.text
        body = {
            "patient_external_id": pid,
            "visitor_name": "Wang Min",
            "visitor_phone": "+86 139 1234 5678",
            "start": datetime.combine(day, time(15), tzinfo=tz).isoformat(),
        }
        headers = {**nurse, "X-Request-ID": sent}
        status, answer = send(appointments.url, "POST", "/virtual-visits", headers, body)
        assert status == 201, (name, answer)
        assert answer["body"]["ward"] == f"W{n}", name
        _fresh(answer["x-request-id"], sent, name)
        stored = httpx.get(
            f"{appointments.url}/virtual-visits/{answer['body']['id']}",
            headers=idp.headers("auditor"),
        )
        assert stored.status_code == 200 and stored.json()["status"] == "booked", name
