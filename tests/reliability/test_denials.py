"""Every denied request (401/403) is in the audit trail, from one place in the middleware:
problem answers, pages and CSRF refusals alike, also while the database is down. A flood of
unauthenticated requests becomes counted rows per client address and minute, not one each.
"""

from __future__ import annotations

import json
import shutil
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import MetaData, create_engine, select, text
from sqlalchemy.engine import make_url

from shared.audit import define_audit_table, verify_chain
from shared.audit.denials import Denial, DenialLedger
from tests.conftest import PG_URL

FLOOD = 500


def _denials(client: Any, idp: Any) -> list[dict[str, Any]]:
    rows, cursor = [], None
    while True:
        params = {"action": "auth.denied", "limit": 500, **({"cursor": cursor} if cursor else {})}
        page = client.get("/audit", params=params, headers=idp.headers("auditor", sub="aud-1"))
        assert page.status_code == 200, page.text
        rows += page.json()["items"]
        cursor = page.json()["next_cursor"]
        if not cursor:
            return rows


def _count(row: dict[str, Any]) -> int:
    return int(json.loads(row["detail"])["count"])


def _flood(client: Any, n: int) -> Counter[int]:
    statuses: Counter[int] = Counter()
    for i in range(n):
        kind = i % 4
        if kind == 0:
            r = client.get("/persons")
        elif kind == 1:
            r = client.get("/persons", headers={"Authorization": "Bearer not-a-token"})
        elif kind == 2:
            r = client.post("/results", content=b"{not json", headers={"Content-Type": "x"})
        else:
            r = client.put(f"/persons/FLOOD-{i}", json={"name": "x"})
        assert r.headers["content-type"].startswith("application/problem+json")
        statuses[r.status_code] += 1
    return statuses


def test_a_flood_of_unauthenticated_requests_is_a_handful_of_counted_rows(make_client, idp):
    client = make_client("screening")
    assert _flood(client, FLOOD) == {401: FLOOD}
    rows = _denials(client, idp)
    assert 1 <= len(rows) <= 4, len(rows)  # the first of a minute, then one counted row
    assert sum(_count(r) for r in rows) == FLOOD
    assert {(r["actor"], r["outcome"], r["client"]) for r in rows} == {
        ("anonymous", "unauthorized", "testclient")
    }
    counted = max(rows, key=_count)
    detail = json.loads(counted["detail"])
    assert sum(detail["resources"].values()) == _count(counted)
    assert {"GET /persons", "POST /results"} <= set(detail["resources"])
    # nothing was lost or doubled on the way: a second reading adds no row
    assert len(_denials(client, idp)) == len(rows)


@pytest.mark.parametrize(
    ("service", "path"),
    [
        ("discharge", "/discharge-checks"),
        ("screening", "/results"),
        ("appointments", "/appointments"),
    ],
)
def test_a_malformed_body_without_a_token_is_401_and_audited(make_client, idp, service, path):
    client = make_client(service)
    r = client.post(
        path, content=b'{"patient_external_id": ', headers={"Content-Type": "application/json"}
    )
    assert r.status_code == 401, r.text
    assert r.headers["content-type"] == "application/problem+json"
    assert r.json()["type"] == "urn:wardgate:problem:unauthorized"
    assert "bearer token is required" in r.json()["detail"]
    assert r.headers["www-authenticate"] == 'Bearer realm="wardgate"'
    [row] = _denials(client, idp)
    assert (row["resource"], row["outcome"], _count(row)) == (f"POST {path}", "unauthorized", 1)


def test_a_role_denial_is_audited_with_the_caller(make_client, idp):
    client = make_client("appointments")
    r = client.post("/appointments", json={}, headers=idp.headers("auditor", sub="aud-7"))
    assert r.status_code == 403
    [row] = _denials(client, idp)
    assert (row["actor"], row["roles"], row["resource"], row["outcome"]) == (
        "aud-7",
        ["auditor"],
        "POST /appointments",
        "forbidden",
    )
    assert "needs one of the roles" in json.loads(row["detail"])["reason"]


def test_a_sign_in_with_a_bad_csrf_token_is_audited(make_client, idp):
    client = make_client("screening")
    client.get("/ui/")  # the CSRF cookie
    r = client.post(
        "/ui/login",
        data={"username": "nurse", "password": "x", "csrf_token": "forged"},
        headers={"Accept": "text/html"},
    )
    assert r.status_code == 403
    [row] = _denials(client, idp)
    assert (row["actor"], row["resource"], row["outcome"]) == (
        "anonymous",
        "POST /ui/login",
        "forbidden",
    )


class Outage:
    """Make a service's database unreachable, then bring it back."""

    def __init__(self, client: Any, url: str) -> None:
        self.engine = client.app.state.engine
        self.url = make_url(url)

    def __enter__(self) -> Outage:
        if self.url.get_backend_name() == "sqlite":
            path = Path(str(self.url.database))
            self.engine.dispose()
            self.moved = [p for p in path.parent.glob(path.name + "*")]
            for p in self.moved:
                p.rename(p.with_name(p.name + ".away"))
            path.mkdir()  # a directory where the file was: SQLite cannot open it
            self.path = path
        else:
            self._pg(False)
        self.engine.dispose()
        return self

    def __exit__(self, *exc: object) -> None:
        if self.url.get_backend_name() == "sqlite":
            self.path.rmdir()
            for p in self.moved:
                p.with_name(p.name + ".away").rename(p)
        else:
            self._pg(True)

    def _pg(self, allow: bool) -> None:
        admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
        name = self.url.database
        with admin.connect() as conn:
            conn.execute(
                text(f'ALTER DATABASE "{name}" WITH ALLOW_CONNECTIONS {str(allow).lower()}')
            )
            if not allow:
                conn.execute(
                    text(
                        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                        " WHERE datname = :name AND pid <> pg_backend_pid()"
                    ),
                    {"name": name},
                )
        admin.dispose()


def test_denials_during_a_database_outage_reach_the_trail_when_it_is_back(
    make_client, database_url, idp
):
    client = make_client("screening")
    assert client.get("/health").status_code == 200
    with Outage(client, database_url("screening")):
        assert client.get("/health").status_code == 503  # the outage is real
        for _ in range(30):
            r = client.get("/persons")
            assert r.status_code == 401 and r.headers["content-type"] == "application/problem+json"
        forbidden = client.put("/persons/OUT-1", json={}, headers=idp.headers("auditor", sub="a-9"))
        assert forbidden.status_code == 403, forbidden.text
    rows = _denials(client, idp)
    anonymous = [r for r in rows if r["actor"] == "anonymous"]
    assert sum(_count(r) for r in anonymous) == 30
    assert [(r["actor"], r["resource"], _count(r)) for r in rows if r["actor"] == "a-9"] == [
        ("a-9", "PUT /persons/OUT-1", 1)
    ]


@pytest.fixture(autouse=True)
def _no_leftover_directories(database_url):
    yield
    url = make_url(database_url("screening"))
    if url.get_backend_name() == "sqlite":
        path = Path(str(url.database))
        if path.is_dir():
            shutil.rmtree(path)


def test_counted_rows_keep_the_audit_chain_verifiable(make_client, idp):
    client = make_client("discharge")
    for _ in range(60):
        assert client.post("/discharges", content=b"x").status_code == 401
    assert sum(_count(r) for r in _denials(client, idp)) == 60
    app = client.app
    app.state.audit_sealer.seal_now()
    with app.state.engine.connect() as conn:
        report = verify_chain(conn, app.state.audit_table)
    assert report.problem is None and report.pending == 0 and report.sealed >= 2


def test_counted_denials_are_written_at_shutdown(make_client, database_url):
    client = make_client("screening")
    assert _flood(client, 100) == {401: 100}
    client.__exit__(None, None, None)  # no one read the trail: the shutdown writes the tallies
    engine = create_engine(database_url("screening"))
    table = define_audit_table(MetaData())
    with engine.connect() as conn:
        details = conn.execute(select(table.c.detail).where(table.c.action == "auth.denied"))
        counts = [json.loads(detail)["count"] for (detail,) in details]
    engine.dispose()
    assert sum(counts) == 100 and len(counts) <= 4


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 12, 7, 8, 0, 10, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


def _anonymous(client: str, at: datetime, path: str = "/persons") -> Denial:
    return Denial(status=401, resource=f"GET {path}", client=client, reason="no token", at=at)


def test_a_minute_gone_by_is_flushed_and_the_tallies_are_bounded(database_url):
    engine = create_engine(database_url("screening"))
    table = define_audit_table(MetaData())
    clock = Clock()
    ledger = DenialLedger(table, max_tallies=3, clock=clock, flush_interval_s=3600)
    ledger.start(engine)
    try:
        for n in range(10):  # ten addresses, three tallies at most: the rest under "*"
            for i in range(5):
                denial = _anonymous(f"198.51.100.{n}", clock.now, f"/p/{i}")
                if not ledger.count_only(denial):
                    ledger.record(denial)
        assert ledger.flush() == 0  # the minute is not over
        clock.now += timedelta(minutes=1)
        assert ledger.flush() >= 1
        assert ledger.pending() == 0
    finally:
        ledger.stop()
    with engine.connect() as conn:
        rows = conn.execute(
            select(table.c.client, table.c.detail).where(table.c.action == "auth.denied")
        ).all()
    engine.dispose()
    assert sum(json.loads(detail)["count"] for _, detail in rows) == 50
    assert len(rows) <= 3 + 3 + 1  # three first rows, three tallies, the "*" tally
    assert "*" in {client for client, _ in rows}
