"""DATABASE_READ_URL: auditors' `GET /audit` reads the replica; every write stays on the primary."""

from __future__ import annotations

import pytest
from sqlalchemy import MetaData, func, select, text

from shared.audit import define_audit_table
from shared.audit.chain import AuditEntry, append_entry
from shared.db import make_engine

PERSON = {"name": "Replica Test", "category": "staff", "department": "resp"}


def _mark(url: str) -> None:
    """A row only the replica holds (any migrated WardGate database has an audit trail)."""
    engine = make_engine(url)
    with engine.begin() as conn:
        marker = AuditEntry(
            actor="replica-marker", roles="", action="marker", resource="x", outcome="ok"
        )
        append_entry(conn, define_audit_table(MetaData()), marker)
    engine.dispose()


def _audited_actions(url: str) -> list[str]:
    engine = make_engine(url)
    table = define_audit_table(MetaData())
    with engine.connect() as conn:
        actions = [r.action for r in conn.execute(select(table.c.action).order_by(table.c.id))]
    engine.dispose()
    return actions


def test_audit_list_reads_the_replica_and_writes_stay_on_the_primary(
    make_client, database_url, idp
):
    replica = database_url("discharge")
    _mark(replica)
    client = make_client("screening", database_read_url=replica)
    assert client.put("/persons/R1", json=PERSON, headers=idp.headers("nurse")).status_code == 201

    listed = client.get("/audit", headers=idp.headers("auditor"))

    assert listed.status_code == 200
    assert [row["actor"] for row in listed.json()["items"]] == ["replica-marker"]
    assert _audited_actions(replica) == ["marker"]  # nothing was written to the replica
    assert "person.create" in _audited_actions(database_url("screening"))


def test_without_a_replica_the_audit_list_reads_the_primary(make_client, database_url, idp):
    client = make_client("screening")
    assert client.put("/persons/R1", json=PERSON, headers=idp.headers("nurse")).status_code == 201

    listed = client.get("/audit", headers=idp.headers("auditor"))

    assert listed.status_code == 200
    assert "person.create" in [row["action"] for row in listed.json()["items"]]


def test_a_replica_that_cannot_be_reached_fails_only_the_audit_list(make_client, database_url, idp):
    client = make_client(
        "screening", database_read_url="postgresql+psycopg://nobody@127.0.0.1:1/none"
    )
    assert client.put("/persons/R1", json=PERSON, headers=idp.headers("nurse")).status_code == 201

    listed = client.get("/audit", headers=idp.headers("auditor"))

    assert listed.status_code == 503
    assert listed.headers["content-type"].startswith("application/problem+json")
    assert listed.json()["reasons"][0]["code"] == "database_unavailable"
    engine = make_engine(database_url("screening"))
    table = define_audit_table(MetaData())
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(table)).scalar_one() >= 1
    engine.dispose()


def test_connections_lost_in_a_restart_cost_one_503_then_the_pool_reconnects(
    make_client, database_url, idp, backend
):
    if backend != "postgresql":
        pytest.skip("server-side connection termination: PostgreSQL only")
    client = make_client("screening")
    nurse = idp.headers("nurse")
    assert client.put("/persons/R1", json=PERSON, headers=nurse).status_code == 201
    engine = make_engine(database_url("screening"))
    with engine.connect() as conn:  # what a PostgreSQL restart does to pooled connections
        conn.execute(
            text(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
        )
    engine.dispose()

    first = client.get("/persons/R1", headers=nurse)
    after = [client.get("/persons/R1", headers=nurse).status_code for _ in range(3)]

    assert first.status_code == 503
    assert first.json()["reasons"][0]["code"] == "database_unavailable"
    assert first.headers["retry-after"] == "1"
    assert after == [200, 200, 200]
