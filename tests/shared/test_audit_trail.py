"""The audit trail: rows for denials, append-only, and `wardgate audit verify` catches tampering."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import DBAPIError


def _audit_cli(command: str, url: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DATABASE_URL": url}
    return subprocess.run(
        [sys.executable, "-m", "shared.cli", "audit", command, "screening"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )


def _verify(url: str) -> subprocess.CompletedProcess[str]:
    return _audit_cli("verify", url)


def _fill(client, idp, n: int = 5) -> None:
    for i in range(n):
        client.get("/audit", headers=idp.headers("nurse", sub=f"nurse-{i}"))  # 403, audited


def _unguarded(url: str, backend: str, statement: str) -> None:
    engine = create_engine(url)
    with engine.begin() as conn:
        if backend == "postgresql":
            for table in ("audit_log", "audit_seal"):
                conn.execute(text(f"ALTER TABLE {table} DISABLE TRIGGER {table}_append_only"))
            for part in statement.split(";"):
                conn.execute(text(part))
            for table in ("audit_log", "audit_seal"):
                conn.execute(text(f"ALTER TABLE {table} ENABLE TRIGGER {table}_append_only"))
        else:
            for table in ("audit_log", "audit_seal"):
                conn.execute(text(f"DROP TRIGGER {table}_no_update"))
                conn.execute(text(f"DROP TRIGGER {table}_no_delete"))
            for part in statement.split(";"):
                conn.execute(text(part))
    engine.dispose()


def test_denials_are_recorded_and_listed(make_client, idp):
    client = make_client("screening")
    client.get("/audit")
    client.get("/audit", headers=idp.headers("nurse", sub="n-7"))
    rows = client.get("/audit", headers=idp.headers("auditor")).json()["items"]
    assert [(r["actor"], r["outcome"]) for r in rows] == [
        ("anonymous", "unauthorized"),
        ("n-7", "forbidden"),
    ]
    assert rows[1]["roles"] == ["nurse"] and rows[1]["resource"] == "GET /audit"
    assert rows[0]["at"].endswith(("Z", "+00:00"))
    only = client.get("/audit?actor=n-7", headers=idp.headers("admin")).json()["items"]
    assert [r["id"] for r in only] == [2]


def test_audit_list_paginates(make_client, idp):
    client = make_client("screening")
    _fill(client, idp, 7)
    seen, cursor = [], None
    while True:
        url = "/audit?limit=3" + (f"&cursor={cursor}" if cursor else "")
        page = client.get(url, headers=idp.headers("auditor")).json()
        seen += [r["id"] for r in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert seen == list(range(1, 8))
    bad = client.get("/audit?cursor=!!notours", headers=idp.headers("auditor"))
    assert bad.status_code == 422


def test_rows_cannot_be_updated_or_deleted(make_client, idp, database_url):
    client = make_client("screening")
    _fill(client, idp, 1)
    engine = create_engine(database_url("screening"))
    assert _audit_cli("seal", database_url("screening")).returncode == 0
    for statement in (
        "UPDATE audit_log SET actor = 'x'",
        "DELETE FROM audit_log",
        "UPDATE audit_seal SET hash = 'x'",
        "DELETE FROM audit_seal",
    ):
        with pytest.raises(DBAPIError), engine.begin() as conn:
            conn.execute(text(statement))
    engine.dispose()


@pytest.mark.parametrize(
    ("tamper", "named"),
    [
        ("UPDATE audit_log SET actor = 'someone-else' WHERE id = 3", "row 3 was changed"),
        ("DELETE FROM audit_log WHERE id = 2", "row at seal 2 was deleted"),
        (
            "DELETE FROM audit_log WHERE id = 2; DELETE FROM audit_seal WHERE audit_id = 2",
            "seal 2 is missing",
        ),
        (
            "UPDATE audit_log SET id = -1 WHERE id = 2; UPDATE audit_log SET id = 2 WHERE id = 4; "
            "UPDATE audit_log SET id = 4 WHERE id = -1",
            "row 2 was changed",
        ),
    ],
    ids=["edited", "deleted", "deleted-with-seal", "reordered"],
)
def test_verify_names_the_tampered_row(make_client, idp, database_url, backend, tamper, named):
    client = make_client("screening")
    _fill(client, idp, 5)
    url = database_url("screening")
    pending = _verify(url)
    assert pending.returncode == 0, pending.stdout + pending.stderr
    assert _audit_cli("seal", url).returncode == 0
    ok = _verify(url)
    assert ok.returncode == 0 and "intact (5 rows)" in ok.stdout, ok.stdout + ok.stderr
    _unguarded(url, backend, tamper)
    broken = _verify(url)
    assert broken.returncode == 1
    assert named in broken.stdout


def test_the_service_seals_new_rows_within_seconds(make_client, idp):
    import time

    client = make_client("screening", wardgate_audit_seal_interval_s=0.2)
    _fill(client, idp, 3)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        rows = client.get("/audit", headers=idp.headers("auditor")).json()["items"]
        if all(r["hash"] for r in rows[:3]):
            break
        time.sleep(0.2)
    assert [r["seq"] for r in rows[:3]] == [1, 2, 3]
    assert len({r["hash"] for r in rows[:3]}) == 3


def test_rows_left_unsealed_for_long_fail_verification(database_url):
    from datetime import UTC, datetime, timedelta

    from services.screening.models import audit_log
    from shared.audit import AuditEntry, append_entry

    url = database_url("screening")
    engine = create_engine(url)
    with engine.begin() as conn:
        old = datetime.now(UTC) - timedelta(hours=1)
        append_entry(conn, audit_log, AuditEntry("x", "", "probe", "/", "ok", at=old))
    engine.dispose()
    stale = _verify(url)
    assert stale.returncode == 1 and "UNSEALED" in stale.stdout
    assert _audit_cli("seal", url).returncode == 0
    assert _verify(url).returncode == 0
