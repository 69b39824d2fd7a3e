"""Query strings a client forges: cursors it did not get from us, and control characters.

Every list of the three services, on both databases: a forged cursor (huge or negative ids,
times out of range, wrong shapes, not base64, too long) and a NUL or other control character
in any query parameter are the client's mistake: 422 problem+json naming the parameter,
never a 500 (PostgreSQL refuses NUL in text and integers past BIGINT; Python refuses times
before year 1 in UTC).
"""

from __future__ import annotations

import base64
import json
import re
from typing import Any

import pytest

PROBLEM_JSON = "application/problem+json"

# Every paginated list: (service, path, the id its cursors carry, whether they carry a time).
LISTS = [
    ("appointments", "/appointments", str, True),
    ("appointments", "/check-ins", int, True),
    ("appointments", "/virtual-visits", str, True),
    ("appointments", "/audit", int, False),
    ("screening", "/persons", str, False),
    ("screening", "/persons/P-1/results", int, False),
    ("screening", "/compliance", str, False),
    ("screening", "/inbox", int, False),
    ("screening", "/audit", int, False),
    ("discharge", "/discharges", int, False),
    ("discharge", "/audit", int, False),
]


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _forge(value: Any) -> str:
    return _b64(json.dumps(value).encode())


_BAD_IDS: list[Any] = [10**30, 2**63, -1, 0, True, 1.5, None, "1" * 70, "a\x00b", "-x", ["x"], {}]
_BAD_TIMES: list[Any] = [
    "0001-01-01T00:00:00+14:00",  # before year 1 in UTC
    "9999-12-31T23:59:59-14:00",  # after year 9999 in UTC
    "2026-12-01T08:00:00",  # no offset
    "2026-13-45T99:00:00+08:00",
    10**30,
    "2" * 300,
    None,
]
_GOOD_TIME = "2026-12-01T08:00:00+08:00"
_SHAPES: list[str] = [
    _forge([]),
    _forge([1, 2]),
    _forge("id"),
    _forge(5),
    _forge(None),
    _forge({}),
    _forge({"id": 1, "extra": 1}),
    _forge({"id": "P-1", "extra": 1}),
    _forge({"after": "a\x00b"}),  # an older persons cursor, carrying NUL
    _forge({"slot_start": "0001-01-01T00:00:00+14:00", "id": "a"}),  # an older appointments one
    _forge({"start": "0001-01-01T00:00:00+14:00", "id": "a"}),
    _forge({"at": "0001-01-01T00:00:00+14:00", "id": 5}),
    _b64(b"\xff\xfe\xfd"),  # not UTF-8
    _b64(b"[" * 360),  # deep nesting
    _b64(b"{" * 360),
    "%%%",
    "!!!",
    "eyJpZCI6MX0=",  # padding is not ours
    "\u20ac",
    "A" * 513,  # longer than any cursor of ours
    _forge({"id": 1, "pad": "x" * 600}),
]


def _forgeries(id_type: type, timed: bool) -> list[str]:
    good_id: Any = 1 if id_type is int else "a1"
    forged = list(_SHAPES)
    for bad in _BAD_IDS:
        forged.append(_forge({"id": bad, "at": _GOOD_TIME} if timed else {"id": bad}))
    if timed:
        forged += [_forge({"id": good_id, "at": bad}) for bad in _BAD_TIMES]
        forged.append(_forge({"id": good_id}))
    else:
        forged.append(_forge({"id": good_id, "at": _GOOD_TIME}))
    # The other kind of id: a code where a row id is expected, and the other way round.
    forged.append(_forge({"id": "a1"} if id_type is int else {"id": 1}))
    return forged


def _names(problem: dict[str, Any]) -> list[str]:
    return [str(e.get("field", "")) for e in problem.get("errors") or []]


def _assert_422_naming(r: Any, parameter: str, context: str) -> None:
    assert r.status_code == 422, f"{context}: {r.status_code} {r.text[:300]}"
    assert r.headers["content-type"].startswith(PROBLEM_JSON), context
    problem = r.json()
    assert problem["type"].startswith("urn:wardgate:problem:"), context
    assert problem["title"] and problem["detail"], context
    named = _names(problem)
    assert any(n == parameter or n.endswith("." + parameter) for n in named), (context, named)


@pytest.fixture
def services(wired, every_role) -> dict[str, Any]:
    headers = {"Authorization": f"Bearer {every_role}"}
    clients = {name: wired(name) for name in ("appointments", "screening", "discharge")}
    person = {"name": "Zhang San", "category": "inpatient", "department": "resp", "ward": "W3"}
    person["admitted_at"] = "2026-11-01T08:00:00+08:00"
    r = clients["screening"].put("/persons/P-1", json=person, headers=headers)
    assert r.status_code < 300, r.text
    return {"clients": clients, "headers": headers}


def test_forged_cursors_are_422_on_every_list(services, backend):
    failures = []
    for service, path, id_type, timed in LISTS:
        client = services["clients"][service]
        for forged in _forgeries(id_type, timed):
            r = client.get(path, params={"cursor": forged}, headers=services["headers"])
            try:
                _assert_422_naming(r, "cursor", f"{service} {path} cursor={forged[:60]!r}")
            except AssertionError as exc:
                failures.append(str(exc)[:300])
    assert not failures, "\n".join(failures)


def test_a_forged_fhir_page_token_is_a_400_outcome(services, backend):
    client = services["clients"]["screening"]
    for forged in [_forge({"id": 10**30}), _forge({"id": -1}), _forge({"id": True}), "%%%"]:
        params = {"subject:identifier": "P-1", "_page_token": forged}
        r = client.get("/fhir/Observation", params=params, headers=services["headers"])
        assert r.status_code == 400, (forged, r.status_code, r.text[:300])
        assert r.json()["resourceType"] == "OperationOutcome"
        assert "_page_token" in r.text


def test_every_list_still_pages_with_its_own_cursors(services, backend):
    """The one validator accepts every cursor a list itself answers (a short walk each)."""
    clients, headers = services["clients"], services["headers"]
    for n in range(3):
        person = {"name": f"P {n}", "category": "staff", "department": "resp", "ward": "W3"}
        clients["screening"].put(f"/persons/S-{n}", json=person, headers=headers)
    for service, path, _id_type, _timed in LISTS:
        cursor, pages = None, 0
        while pages < 3:
            params: dict[str, Any] = {"limit": 1, **({"cursor": cursor} if cursor else {})}
            r = clients[service].get(path, params=params, headers=headers)
            assert r.status_code == 200, (service, path, r.text[:300])
            cursor, pages = r.json()["next_cursor"], pages + 1
            if cursor is None:
                break


# A NUL, an escape, a DEL and a line break: characters no code, name or timestamp holds.
_CONTROLS = ["a\x00b", "\x1b[31m", "x\x7f", "two\nlines"]
_PATH_VALUES = {"{external_id}": "P-1", "{code}": "resp", "{discharge_id}": "1"}


def _query_parameters(client: Any) -> list[tuple[str, str]]:
    """(path, name) of every query parameter of every GET the service documents."""
    found = []
    for path, item in client.get("/openapi.json").json()["paths"].items():
        operation = item.get("get")
        if operation is None:
            continue
        concrete = path
        for placeholder, value in _PATH_VALUES.items():
            concrete = concrete.replace(placeholder, value)
        concrete = re.sub(r"\{[^}]+\}", "1", concrete)
        for parameter in operation.get("parameters", []):
            if parameter.get("in") == "query":
                found.append((concrete, parameter["name"]))
    return found


def test_control_characters_in_any_query_parameter_are_422(services, backend):
    failures, tried = [], 0
    for service, client in services["clients"].items():
        parameters = _query_parameters(client)
        assert len(parameters) > 10, service
        for path, name in parameters:
            for value in _CONTROLS:
                tried += 1
                r = client.get(path, params={name: value}, headers=services["headers"])
                try:
                    _assert_422_naming(r, name, f"{service} {path}?{name}={value!r}")
                except AssertionError as exc:
                    failures.append(str(exc)[:300])
    assert tried > 100
    assert not failures, "\n".join(failures)


@pytest.mark.parametrize(
    ("service", "path"),
    [("discharge", "/discharges"), ("discharge", "/ui/discharges"), ("screening", "/persons")],
)
def test_a_control_character_in_a_parameter_name_is_422(services, backend, service, path):
    client = services["clients"][service]
    r = client.get(path + "?depart%00ment=x", headers=services["headers"])
    _assert_422_naming(r, "depart\\x00ment", f"{service} {path}")


def test_nul_in_a_csv_export_filter_is_422_not_a_truncated_stream(services, backend):
    client = services["clients"]["discharge"]
    headers = {**services["headers"], "Accept": "text/csv"}
    r = client.get("/discharges", params={"department": "a\x00b"}, headers=headers)
    _assert_422_naming(r, "department", "CSV export")


@pytest.mark.parametrize(
    ("service", "path", "name"),
    [
        ("discharge", "/ui/discharges", "department"),
        ("discharge", "/ui/discharges.csv", "department"),
        ("discharge", "/ui/discharges", "cursor"),
        ("screening", "/ui/compliance", "department"),
        ("appointments", "/ui/audit", "actor"),
    ],
)
def test_control_characters_in_page_queries_are_422(services, backend, service, path, name):
    """The web pages read the same query strings: refused before any page runs."""
    client = services["clients"][service]
    r = client.get(path, params={name: "a\x00b"})
    _assert_422_naming(r, name, f"{service} {path}")
