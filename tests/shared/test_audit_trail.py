"""The audit trail: rows for denials, append-only, and `wardgate audit verify` catches tampering."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import DBAPIError


def _verify(url: str, service: str = "screening") -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DATABASE_URL": url}
    return subprocess.run(
        [sys.executable, "-m", "shared.cli", "audit", "verify", service],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )


def _fill(client, idp, n: int = 5) -> None:
    for i in range(n):
        client.get("/audit", headers=idp.headers("nurse", sub=f"nurse-{i}"))  # 403, audited


def _unguarded(url: str, backend: str, statement: str) -> None:
    engine = create_engine(url)
    with engine.begin() as conn:
        if backend == "postgresql":
            conn.execute(text("ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only"))
            for part in statement.split(";"):
                conn.execute(text(part))
            conn.execute(text("ALTER TABLE audit_log ENABLE TRIGGER audit_log_append_only"))
        else:
            conn.execute(text("DROP TRIGGER audit_log_no_update"))
            conn.execute(text("DROP TRIGGER audit_log_no_delete"))
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
    for statement in ("UPDATE audit_log SET actor = 'x'", "DELETE FROM audit_log"):
        with pytest.raises(DBAPIError), engine.begin() as conn:
            conn.execute(text(statement))
    engine.dispose()


@pytest.mark.parametrize(
    ("tamper", "named"),
    [
        ("UPDATE audit_log SET actor = 'someone-else' WHERE id = 3", "row 3 was changed"),
        ("DELETE FROM audit_log WHERE id = 2", "row 2 is missing"),
        (
            "UPDATE audit_log SET id = -1 WHERE id = 2; UPDATE audit_log SET id = 2 WHERE id = 4; "
            "UPDATE audit_log SET id = 4 WHERE id = -1",
            "row 2 was changed",
        ),
    ],
    ids=["edited", "deleted", "reordered"],
)
def test_verify_names_the_tampered_row(make_client, idp, database_url, backend, tamper, named):
    client = make_client("screening")
    _fill(client, idp, 5)
    url = database_url("screening")
    ok = _verify(url)
    assert ok.returncode == 0 and "intact (5 rows)" in ok.stdout, ok.stdout + ok.stderr
    _unguarded(url, backend, tamper)
    broken = _verify(url)
    assert broken.returncode == 1
    assert named in broken.stdout
