"""No client input makes the screening service answer 500."""

from __future__ import annotations

import base64
import json

import pytest

from tests.screening.conftest import result


def _cursor(value):
    return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")


HOSTILE_GETS = [
    "/persons/%00",
    "/persons/" + "x" * 5000,
    "/persons/%E2%80%AE",
    "/persons?department=%00",
    "/persons?ward=" + "w" * 100,
    "/persons?patient_external_id=a%00b",
    "/persons?cursor=" + _cursor({"after": "a\x00b"}),
    "/persons?cursor=" + _cursor({"after": ["x"]}),
    "/persons?cursor=" + _cursor({"after": "x" * 70}),
    "/persons/P1/results?cursor=" + _cursor({"id": 10**30}),
    "/persons/P1/results?cursor=" + _cursor({"id": -5}),
    "/persons/P1/results?cursor=" + _cursor({"id": True}),
    "/persons/P1/results?cursor=" + _cursor({"id": "1"}),
    "/persons/P1/results?include_history=%00",
    "/compliance?department=%00",
    "/compliance?cursor=" + _cursor({"after": "\x00"}),
    "/compliance?cursor=" + _cursor([1, 2]),
]


def test_hostile_queries_are_client_errors(screening):
    screening.person("P1")
    for url in HOSTILE_GETS:
        r = screening.client.get(url, headers=screening.nurse)
        assert 400 <= r.status_code < 500, (url, r.status_code, r.text)
        assert r.headers["content-type"] == "application/problem+json"


HOSTILE_RESULTS = [
    {
        "values": {"wbc": {"value": 1e400, "unit": "x"}},
        "test_type": "blood_routine",
        "result": "normal",
    },
    {
        "values": {f"v{n}": {"value": 1, "unit": "u"} for n in range(51)},
        "test_type": "blood_routine",
        "result": "normal",
    },
    {
        "values": {"wbc": {"value": 1, "unit": "a\x00"}},
        "test_type": "blood_routine",
        "result": "normal",
    },
    {"specimen_collected_at": "9999-12-31T23:59:59+14:00"},
    {"specimen_collected_at": "0001-01-01T00:00:00-12:00"},
    {"specimen_collected_at": 12},
    {"external_id": "\u0000"},
    {"person_external_id": ["P1"]},
    {"performer": "p" * 201},
    {"result": {"$ne": None}},
]


def _raw(doc):  # 1e400 is valid JSON that Python cannot hold as a finite float
    return json.dumps(doc).replace('"__HUGE__"', "1e400")


def test_hostile_results_are_422_alone_and_in_a_batch(screening):
    screening.person("P1")
    h = {**screening.nurse, "Content-Type": "application/json"}
    for n, patch in enumerate(HOSTILE_RESULTS):
        body = {**result("R1"), **patch}
        r = screening.client.post("/results", content=_raw(body), headers=h)
        assert r.status_code == 422, (patch, r.text)
        batch = screening.client.post(
            "/results/batch", content=_raw({"results": [body, result(f"OK{n}")]}), headers=h
        )
        assert batch.status_code == 200, batch.text
        outcome = (batch.json()["accepted"], [x["index"] for x in batch.json()["rejected"]])
        assert outcome == (1, [0]), patch


def test_a_huge_limit_is_capped_not_refused(screening):
    r = screening.client.get("/persons?limit=99999999999999999999999", headers=screening.nurse)
    assert r.status_code == 200


@pytest.mark.parametrize(
    "raw",
    [b"{", b"\x00\x01", b'{"results": [' + b"[" * 5000 + b"]" * 5000 + b"]}", b"[]", b"null"],
    ids=["truncated", "binary", "deep nesting", "array", "null"],
)
def test_malformed_bodies_are_client_errors(screening, raw):
    h = {**screening.nurse, "Content-Type": "application/json"}
    for path in ("/results", "/results/batch"):
        r = screening.client.post(path, content=raw, headers=h)
        assert 400 <= r.status_code < 500, (path, r.status_code, r.text[:200])


def test_a_body_over_10_mib_is_413(screening):
    h = {**screening.nurse, "Content-Type": "application/json"}
    r = screening.client.post("/results/batch", content=b" " * (10 * 1024 * 1024 + 1), headers=h)
    assert r.status_code == 413
