"""The authorization matrix, checked against each service's OpenAPI and exercised.

Every documented route is called by every role and without a token: 401 without a token,
403 for a role the matrix does not allow, anything but 401/403 for one it allows (the
request may still be refused for what it says: 404, 409, 422). Every denial is in the
audit trail. An auditor never writes. Exception discharges are infection control's alone.
"""

from __future__ import annotations

import json
import re
import time
from collections import Counter
from typing import Any

import pytest
from sqlalchemy import create_engine, func, select

from tests.discharge.conftest import ago, gate  # noqa: F401  (the fixture)
from tests.reliability import figures
from tests.reliability.authorization_matrix import EXCEPTION_DISCHARGERS, MATRIX
from tests.reliability.matrix_roles import AUDITOR, ROLES

SERVICES = list(MATRIX)
WRITES = ("POST", "PUT", "PATCH", "DELETE")


def documented_routes(client: Any) -> set[tuple[str, str]]:
    """(METHOD, path template) of every operation in the service's OpenAPI document."""
    spec = client.get("/openapi.json").json()
    return {(m.upper(), path) for path, item in spec["paths"].items() for m in item}


def concrete(path: str) -> str:
    """A callable path for a template: every path parameter is `1`."""
    return re.sub(r"\{[^}]+\}", "1", path)


_HEADERS: dict[tuple[int, str], tuple[float, dict[str, str]]] = {}
_REMINT_AFTER_S = 300  # the test IdP's tokens live 600 s; a run of this module can take longer


def as_role(idp: Any, role: str | None) -> dict[str, str]:
    """Authorization header for `role` (minted again every 5 minutes: signing is slow)."""
    if role is None:
        return {}
    key = (id(idp), role)
    minted = _HEADERS.get(key)
    if minted is None or time.monotonic() - minted[0] > _REMINT_AFTER_S:
        minted = (time.monotonic(), idp.headers(role, sub=f"matrix-{role}"))
        _HEADERS[key] = minted
    return minted[1]


def call(client: Any, idp: Any, method: str, path: str, role: str | None) -> int:
    """The status a caller with `role` (None: no token) gets for this route."""
    headers = as_role(idp, role)
    body = {} if method in WRITES else None
    return client.request(method, concrete(path), json=body, headers=headers).status_code


def expected(allowed: frozenset[str] | None, role: str | None) -> str:
    """What the matrix says this caller gets: "open", "401", "403" or "allowed"."""
    if allowed is None:
        return "open"
    if role is None:
        return "401"
    return "allowed" if role in allowed else "403"


def agrees(expectation: str, status: int) -> bool:
    """Whether an answer's status is what the matrix expects."""
    if expectation in ("401", "403"):
        return status == int(expectation)
    return status not in (401, 403) and status < 500


@pytest.mark.parametrize("service", SERVICES)
def test_every_documented_route_has_an_entry_and_every_entry_a_route(make_client, service):
    routes = documented_routes(make_client(service))
    declared = set(MATRIX[service])
    assert routes - declared == set(), f"routes without an entry in the matrix: {routes - declared}"
    assert declared - routes == set(), f"entries for routes that do not exist: {declared - routes}"


@pytest.mark.parametrize("service", SERVICES)
def test_every_route_answers_every_caller_as_the_matrix_says(make_client, idp, service, backend):
    client = make_client(service)
    wrong, denials = [], Counter()
    for (method, path), allowed in sorted(MATRIX[service].items()):
        for role in (None, *ROLES):
            status = call(client, idp, method, path, role)
            expectation = expected(allowed, role)
            if not agrees(expectation, status):
                wrong.append(f"{method} {path} as {role or 'no token'}: {status}, {expectation}")
            if status in (401, 403):
                denials["unauthorized" if status == 401 else "forbidden"] += 1
    figures.record(f"authorization calls/{service}/{backend}", len(MATRIX[service]) * 7)
    assert wrong == []
    trail = _audit_outcomes(client, idp)
    assert trail["unauthorized"] == denials["unauthorized"]
    assert trail["forbidden"] == denials["forbidden"]


def _audit_outcomes(client: Any, idp: Any) -> Counter[str]:
    outcomes: Counter[str] = Counter()
    cursor = None
    while True:
        params = {"limit": 500, "action": "auth.denied", **({"cursor": cursor} if cursor else {})}
        page = client.get("/audit", params=params, headers=as_role(idp, AUDITOR)).json()
        for row in page["items"]:  # unauthenticated denials are counted rows (detail.count)
            outcomes[row["outcome"]] += json.loads(row["detail"]).get("count", 1)
        cursor = page["next_cursor"]
        if not cursor:
            return outcomes


def _rows_outside_the_audit_trail(url: str, service: str) -> dict[str, int]:
    import importlib

    metadata = importlib.import_module(f"services.{service}.models").metadata
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return {
                t.name: conn.execute(select(func.count()).select_from(t)).scalar_one()
                for t in metadata.sorted_tables
                if t.name not in ("audit_log", "audit_seal")
            }
    finally:
        engine.dispose()


@pytest.mark.parametrize("service", SERVICES)
def test_an_auditor_never_writes(make_client, idp, database_url, service):
    client = make_client(service)
    # Public writes (a resident's test request) take no token, so no role at all.
    writes = sorted(
        r for r in documented_routes(client) if r[0] in WRITES and MATRIX[service][r] is not None
    )
    assert writes, "every service has writes"
    assert all(AUDITOR not in (MATRIX[service][r] or {AUDITOR}) for r in writes)
    before = _rows_outside_the_audit_trail(database_url(service), service)
    for method, path in writes:
        assert call(client, idp, method, path, AUDITOR) == 403, (method, path)
    assert _rows_outside_the_audit_trail(database_url(service), service) == before


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("disposition", ["designated_hospital", "death"])
def test_exception_discharges_are_for_infection_control_only(gate, role, disposition):  # noqa: F811
    gate.ward.person("EX-1")
    gate.ward.result("EX-1", "nucleic_acid", "positive", ago(hours=3))
    body = {"patient_external_id": "EX-1", "disposition": disposition, "reason": "transferred"}
    r = gate.discharge.post("/discharges", json=body, headers=as_role(gate.idp, role))
    if role in EXCEPTION_DISCHARGERS:
        assert r.status_code == 201, r.text
        assert r.json()["outcome"] == "exception"
    else:
        assert r.status_code == 403, r.text
