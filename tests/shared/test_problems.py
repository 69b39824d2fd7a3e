"""Every error is problem+json: validation, unknown fields, naive times, 404/405, 413, 500."""

from __future__ import annotations

from fastapi import APIRouter, Depends
from fastapi.testclient import TestClient
from pydantic import AwareDatetime, BaseModel, ConfigDict

from shared.audit import define_audit_table
from shared.auth import require
from shared.db import service_metadata
from shared.errors import Conflict
from shared.fields import FreeText, Identifier, Name
from shared.settings import WardGateSettings
from shared.web.app import create_service_app
from tests.support.keys import AUDIENCE, ISSUER


class Visit(BaseModel):
    model_config = ConfigDict(extra="forbid")
    external_id: Identifier
    name: Name
    note: FreeText | None = None
    at: AwareDatetime


router = APIRouter()


@router.post("/visits", dependencies=[Depends(require("nurse"))])
def create_visit(visit: Visit) -> dict[str, str]:
    if visit.external_id == "taken":
        raise Conflict("That visit exists.", code="visit_exists")
    if visit.external_id == "deadlock":
        import psycopg
        from sqlalchemy.exc import OperationalError

        raise OperationalError("UPDATE slot", {}, psycopg.errors.DeadlockDetected("deadlock"))
    if visit.external_id == "boom":
        raise RuntimeError("secret-internal-detail")
    return {"external_id": visit.external_id}


def _client(idp, tmp_path) -> TestClient:
    settings = WardGateSettings(
        service_name="probe",
        database_url=f"sqlite:///{tmp_path}/probe.db",
        auth_jwks_file=idp.jwks_file,
        auth_issuer=ISSUER,
        auth_audience=AUDIENCE,
    )
    app = create_service_app(
        settings=settings,
        title="probe",
        description="",
        routers=[router],
        audit_table=define_audit_table(service_metadata()),
    )
    return TestClient(app, raise_server_exceptions=False)


GOOD = {"external_id": "V1", "name": "Li Lei", "at": "2026-11-29T08:00:00+08:00"}


def _problem(r, status: int) -> dict:
    assert r.status_code == status, r.text
    assert r.headers["content-type"] == "application/problem+json"
    body = r.json()
    assert {"type", "title", "status", "detail"} <= set(body) and body["status"] == status
    return body


def test_validation_errors_name_each_field(idp, tmp_path):
    with _client(idp, tmp_path) as c:
        h = idp.headers("nurse")
        assert c.post("/visits", json=GOOD, headers=h).status_code == 200
        body = _problem(c.post("/visits", json={**GOOD, "id": 5}, headers=h), 422)
        assert body["errors"][0]["field"] == "body.id"
        body = _problem(
            c.post("/visits", json={**GOOD, "at": "2026-11-29T08:00:00"}, headers=h), 422
        )
        assert body["errors"][0]["field"] == "body.at"
        for bad in (
            {"name": "x" * 201},
            {"external_id": "y" * 65},
            {"note": "z" * 2001},
            {"name": "nul\x00byte"},
            {"external_id": "has space"},
        ):
            body = _problem(c.post("/visits", json={**GOOD, **bad}, headers=h), 422)
            assert body["errors"][0]["field"] == "body." + next(iter(bad))
        body = _problem(
            c.post(
                "/visits", content=b"{not json", headers={**h, "content-type": "application/json"}
            ),
            422,
        )
        body = _problem(
            c.post(
                "/visits", content=b"\xff\xfe", headers={**h, "content-type": "application/json"}
            ),
            422,
        )


def test_domain_errors_and_unknown_routes(idp, tmp_path):
    with _client(idp, tmp_path) as c:
        h = idp.headers("nurse")
        body = _problem(c.post("/visits", json={**GOOD, "external_id": "taken"}, headers=h), 409)
        assert body["code"] == "visit_exists" and body["reasons"][0]["code"] == "visit_exists"
        _problem(c.get("/nowhere", headers=h), 404)
        _problem(c.delete("/visits", headers=h), 405)
        r = c.post("/visits", json={**GOOD, "external_id": "deadlock"}, headers=h)
        body = _problem(r, 503)
        assert body["code"] == "database_busy" and r.headers["retry-after"] == "1"
        r = c.post("/visits", json={**GOOD, "external_id": "boom"}, headers=h)
        _problem(r, 500)
        assert "secret-internal-detail" not in r.text


def test_bodies_over_10_mib_are_413(idp, tmp_path):
    with _client(idp, tmp_path) as c:
        h = {**idp.headers("nurse"), "content-type": "application/json"}
        big = b'{"note": "' + b"x" * (10 * 1024 * 1024 + 10) + b'"}'
        _problem(c.post("/visits", content=big, headers=h), 413)

        def chunks():
            for _ in range(11):
                yield b"x" * (1024 * 1024)

        _problem(c.post("/visits", content=chunks(), headers=h), 413)
        assert c.get("/health").status_code == 200


def test_a_deadlock_is_a_retryable_503_not_a_500():
    import psycopg
    from sqlalchemy.exc import OperationalError

    from shared.web.problems import is_transient_database_error

    class Deadlock(psycopg.errors.DeadlockDetected):
        pass

    assert is_transient_database_error(OperationalError("UPDATE", {}, Deadlock("deadlock")))
    locked = OperationalError("INSERT", {}, Exception("database is locked"))
    assert is_transient_database_error(locked)
    assert not is_transient_database_error(OperationalError("x", {}, Exception("syntax")))
    assert not is_transient_database_error(ValueError("x"))
