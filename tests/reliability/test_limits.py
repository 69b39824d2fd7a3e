"""Limits against live processes: hostile sizes and encodings get a clean 4xx, memory stays
bounded, and the service is healthy afterwards.

Bodies over 10 MiB (declared or streamed) -> 413; pages capped at 500; request headers over
64 KiB -> 431 and tokens over 8 KiB -> 401; 100,000-deep JSON, megabyte strings, NUL bytes,
invalid UTF-8, absurd numbers -> 4xx problem+json; HL7 with broken encoding characters -> an
error ACK or a 4xx. The process's resident memory is read from /proc before and after.
"""

from __future__ import annotations

import json
import re
import socket
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.reliability import figures
from tests.screening.conftest import result

pytestmark = pytest.mark.e2e
MiB = 1024 * 1024
# Growth allowed over the whole hostile corpus: a few request-sized buffers, not the corpus.
RSS_GROWTH_LIMIT = 150 * MiB

WRITES = {
    "screening": [("PUT", "/persons/L-1"), ("POST", "/results"), ("POST", "/results/batch")],
    "appointments": [("POST", "/appointments"), ("PUT", "/departments/LIM")],
    "discharge": [("POST", "/discharges"), ("POST", "/discharge-checks")],
}
LISTS = {
    "screening": ["/persons", "/compliance", "/inbox", "/audit"],
    "appointments": ["/appointments", "/check-ins", "/virtual-visits", "/audit"],
    "discharge": ["/discharges", "/audit"],
}


def hostile_bodies() -> dict[str, bytes]:
    """Bodies no endpoint should answer with a 5xx (or a 2xx)."""
    return {
        "deep arrays": b"[" * 100_000 + b"]" * 100_000,
        "deep objects": b'{"a":' * 50_000 + b"1" + b"}" * 50_000,
        "3 MB string": json.dumps({"name": "x" * 3 * MiB, "external_id": "x" * MiB}).encode(),
        "NUL escaped": b'{"name": "a\\u0000b", "external_id": "\\u0000", "department": "\\u0000"}',
        "NUL raw": b'{"name": "a\x00b"}',
        "invalid UTF-8": b'{"name": "\xff\xfe\xfd", "patient_external_id": "\xc3\x28"}',
        "100k-digit number": b'{"capacity_per_slot": ' + b"9" * 100_000 + b"}",
        "float overflow": b'{"temperature_c": 1e400, "capacity_per_slot": 1e400}',
        "not JSON": b"hello",
        "empty": b"",
        "array of 200k": b"[" + b"1," * 200_000 + b"1]",
    }


BROKEN_HL7 = {
    "MSH only": b"MSH|",
    "no encoding characters": b"MSH|||LIS|LAB|||20240110093000||ORU^R01|C1|P|2.5.1\r",
    "encoding characters cut": b"MSH|^~|LIS|LAB|||20240110093000||ORU^R01|C2|P|2.5.1\r",
    "field separator is a letter": b"MSHA^~\\&ALISALAB\rPIDA1\r",
    "separator repeated": b"MSH||^~\\&||||||||||\r" * 3,
    "invalid UTF-8": b"MSH|^~\\&|LIS|LAB|||20240110093000||ORU^R01|C3|P|2.5.1\rPID|1||\xff\xfe\r",
    "NUL bytes": b"MSH|^~\\&|LIS|\x00|||20240110093000||ORU^R01|C4|P|2.5.1\r\x00\x00",
    "one 5 MB segment": b"MSH|^~\\&|LIS|LAB|||x||ORU^R01|C5|P|2.5.1\rOBX|" + b"9" * 5 * MiB,
    "50k segments": b"MSH|^~\\&|LIS|LAB|||20240110093000||ORU^R01|C6|P|2.5.1\r"
    + b"OBX|1|ST|94500-6^x^LN||x\r" * 50_000,
    "batch without messages": b"FHS|^~\\&\rBHS|^~\\&\rBTS|0\rFTS|1\r",
}


def rss_bytes(pid: int) -> int:
    """The process's resident set size."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise AssertionError("no VmRSS")


def _refused_cleanly(r: httpx.Response, what: str) -> None:
    assert 400 <= r.status_code < 500, (what, r.status_code, r.text[:300])
    assert r.headers["content-type"].startswith("application/problem+json"), what


def _streamed(size: int) -> Iterator[bytes]:
    chunk = b" " * MiB
    for _ in range(size // MiB):
        yield chunk


@pytest.mark.parametrize("service", ["screening", "appointments", "discharge"])
def test_hostile_sizes_and_encodings_are_refused_and_memory_stays_bounded(
    live, idp, service, backend
):
    svc = live(service)
    assert svc.process is not None
    headers = idp.headers("integration", "nurse", "admin", sub="limits")
    with httpx.Client(base_url=svc.url, headers=headers, timeout=120) as http:
        for path in LISTS[service]:  # warm up what the corpus will touch
            http.get(path)
        before = rss_bytes(svc.process.pid)
        sent = _bodies(http, service) + _sizes(http, service) + _queries(http, service)
        if service == "screening":
            sent += _hl7(http, idp)
        assert http.get("/health").status_code == 200
        after = rss_bytes(svc.process.pid)
    figures.record(f"hostile requests/{service}/{backend}", sent)
    figures.record(f"RSS growth MiB/{service}/{backend}", max(0, (after - before) // MiB))
    assert after - before < RSS_GROWTH_LIMIT, f"RSS grew {(after - before) / MiB:.0f} MiB"


def _bodies(http: httpx.Client, service: str) -> int:
    sent = 0
    for method, path in WRITES[service]:
        for name, body in hostile_bodies().items():
            r = http.request(
                method, path, content=body, headers={"Content-Type": "application/json"}
            )
            _refused_cleanly(r, f"{method} {path}: {name}")
            sent += 1
    return sent


def _sizes(http: httpx.Client, service: str) -> int:
    method, path = WRITES[service][0]
    big = b'{"name": "' + b"x" * (11 * MiB) + b'"}'
    r = http.request(method, path, content=big, headers={"Content-Type": "application/json"})
    assert r.status_code == 413, r.text[:200]
    r = http.request(method, path, content=_streamed(11 * MiB))  # chunked, no Content-Length
    assert r.status_code == 413, r.text[:200]
    r = http.get(LISTS[service][0], headers={"X-Padding": "p" * 70_000})
    _refused_cleanly(r, "70 KB header")
    assert r.status_code == 431
    r = http.get(LISTS[service][0], headers={"Authorization": "Bearer " + "a" * 9000})
    assert r.status_code == 401
    return 4


def _queries(http: httpx.Client, service: str) -> int:
    sent = 0
    for path in LISTS[service]:
        r = http.get(path, params={"limit": 10**9})
        assert r.status_code == 200, (path, r.text[:200])
        assert len(r.json()["items"]) <= 500
        for params in ({"cursor": "\x00"}, {"cursor": "x" * 20_000}, {"limit": "1e999"}):
            _refused_cleanly(http.get(path, params=params), f"{path} {params!r:.40}")
        sent += 4
    return sent


def _hl7(http: httpx.Client, idp) -> int:
    feed = {**idp.headers("integration", sub="lis"), "Content-Type": "application/hl7-v2"}
    for name, message in BROKEN_HL7.items():
        r = http.post("/hl7/v2", content=message, headers=feed)
        assert r.status_code == 200 or 400 <= r.status_code < 500, (name, r.status_code)
        if r.status_code == 200:
            assert "MSA|AA" not in r.text, name  # nothing of a broken message is accepted
    # The page cap with more than 500 rows behind it.
    person = {"name": "Cap", "category": "outpatient", "department": "resp"}
    assert http.put("/persons/CAP-1", json=person).status_code in (200, 201)
    batch = {"results": [result(f"CAP-{n}", person="CAP-1", hours_ago=1) for n in range(600)]}
    assert http.post("/results/batch", json=batch).json()["accepted"] == 600
    page = http.get("/persons/CAP-1/results", params={"limit": 10**6}).json()
    assert len(page["items"]) == 500 and page["next_cursor"]
    return len(BROKEN_HL7) + 3


# Refused before the body: requests that need a token, sent without a valid one, carrying a
# declared 9 MiB body that is never sent. A server that waited for (or buffered) the body
# would not answer; one that asked for it would send "100 Continue" first.
NINE_MIB = 9 * MiB
NO_VALID_TOKEN = {
    "no token": {},
    "not a bearer": {"Authorization": "Basic dXNlcjpwYXNz"},
    "garbage token": {"Authorization": "Bearer not.a.token"},
    "forged session cookie": {"Cookie": "wardgate_session=eyJhbGciOiJSUzI1NiJ9.e30.x"},
}


def _headers_only(url: str, method: str, path: str, headers: dict[str, str]) -> bytes:
    """Send only the request head (Expect: 100-continue); the server's first answer."""
    host, port = url.removeprefix("http://").split(":")
    head = [f"{method} {path} HTTP/1.1", f"Host: {host}", "Content-Type: application/json"]
    head += [f"Content-Length: {NINE_MIB}", "Expect: 100-continue"]
    head += [f"{name}: {value}" for name, value in headers.items()]
    with socket.create_connection((host, int(port)), timeout=30) as conn:
        conn.sendall(("\r\n".join(head) + "\r\n\r\n").encode())
        answer = b""
        while b"\r\n\r\n" not in answer:
            chunk = conn.recv(65536)
            assert chunk, answer
            answer += chunk
        status_line, _, rest = answer.partition(b"\r\n")
        if not status_line.endswith(b"401 Unauthorized"):
            return answer
        length = int(re.search(rb"content-length: (\d+)", rest, re.I).group(1))  # type: ignore[union-attr]
        while len(answer.partition(b"\r\n\r\n")[2]) < length:
            answer += conn.recv(65536)
        return answer


@pytest.mark.parametrize("service", ["screening", "appointments", "discharge"])
def test_a_body_without_a_valid_token_is_refused_before_it_is_read(live, idp, service):
    svc = live(service)
    for method, path in WRITES[service]:
        for name, headers in NO_VALID_TOKEN.items():
            answer = _headers_only(svc.url, method, path, headers)
            status_line, _, rest = answer.partition(b"\r\n")
            assert status_line == b"HTTP/1.1 401 Unauthorized", (method, path, name, answer[:200])
            head, _, body = rest.partition(b"\r\n\r\n")
            assert b"content-type: application/problem+json" in head.lower()
            assert b'www-authenticate: bearer realm="wardgate"' in head.lower()
            assert json.loads(body)["type"] == "urn:wardgate:problem:unauthorized"
    # With a valid token the same request is asked for its body: the refusal above is the
    # token check, not something else that stops the body.
    method, path = WRITES[service][0]
    answer = _headers_only(svc.url, method, path, idp.headers("integration", "nurse", "admin"))
    assert answer.startswith(b"HTTP/1.1 100 Continue"), answer[:200]
    assert httpx.get(f"{svc.url}/health").status_code == 200
