"""GET /audit for an auditor: newest first, by resource prefix, and every row as CSV."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta

from shared.audit import AuditEntry, append_entry, export

AT = datetime(2026, 12, 7, 1, 30, tzinfo=UTC)  # 09:30 in the hospital (Asia/Shanghai)
RESOURCES = ["person/P1", "person/P10", "person/P1/results", "patient/P1", "person/Q_1", "x/1"]


def _seed(client, resources=RESOURCES) -> None:
    """One row per resource, a minute apart, oldest first (ids 1..n)."""
    engine = client.app.state.engine
    with engine.begin() as conn:
        for n, resource in enumerate(resources):
            entry = AuditEntry(
                actor="nurse-1",
                roles="nurse",
                action="person.read",
                resource=resource,
                outcome="ok",
                client="10.0.0.7",
                detail={"n": n, "note": "=SUM(A1)"},
                at=AT + timedelta(minutes=n),
            )
            append_entry(conn, client.app.state.audit_table, entry)


def _ids(answer) -> list[int]:
    assert answer.status_code == 200, answer.text
    return [row["id"] for row in answer.json()["items"]]


def test_order_desc_lists_newest_first_and_pages_on(make_client, idp):
    client = make_client("screening")
    _seed(client)
    auditor = idp.headers("auditor")
    assert _ids(client.get("/audit", headers=auditor)) == [1, 2, 3, 4, 5, 6]  # default unchanged
    first = client.get("/audit?order=desc&limit=4", headers=auditor)
    assert _ids(first) == [6, 5, 4, 3]
    cursor = first.json()["next_cursor"]
    assert _ids(client.get(f"/audit?order=desc&limit=4&cursor={cursor}", headers=auditor)) == [
        2,
        1,
    ]
    assert client.get("/audit?order=sideways", headers=auditor).status_code == 422


def test_resource_matches_a_prefix_literally(make_client, idp):
    client = make_client("screening")
    _seed(client)
    auditor = idp.headers("auditor")
    assert _ids(client.get("/audit?resource=person/P1", headers=auditor)) == [1, 2, 3]
    assert _ids(client.get("/audit?resource=person/P1/", headers=auditor)) == [3]
    # `_` and `%` are letters here, not wildcards
    assert _ids(client.get("/audit?resource=person/Q_", headers=auditor)) == [5]
    assert _ids(client.get("/audit?resource=person/%25", headers=auditor)) == []
    both = client.get("/audit?resource=person/P1&order=desc&actor=nurse-1", headers=auditor)
    assert _ids(both) == [3, 2, 1]


def test_csv_has_every_matching_row_in_local_time_for_excel(make_client, idp):
    client = make_client("screening")
    _seed(client, [f"person/P{n}" for n in range(60)])
    headers = {**idp.headers("auditor"), "Accept": "text/csv"}
    answer = client.get("/audit?resource=person/P&order=desc&limit=5", headers=headers)
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/csv")
    assert "attachment" in answer.headers["content-disposition"]
    assert answer.content.startswith("\ufeff".encode())
    rows = list(csv.DictReader(io.StringIO(answer.content.decode("utf-8-sig"))))
    assert len(rows) == 60  # `limit` does not cut an export
    assert [r["resource"] for r in rows[:2]] == ["person/P59", "person/P58"]
    oldest = rows[-1]
    assert oldest["at"] == "2026-12-07T09:30:00+08:00"
    assert oldest["roles"] == "nurse" and oldest["action"] == "person.read"
    assert '"note": "=SUM(A1)"' in oldest["detail"] and oldest["detail"].startswith("{")
    answer_asc = client.get("/audit?action=person.read", headers=headers)
    ids = [int(r["id"]) for r in csv.DictReader(io.StringIO(answer_asc.text.lstrip("\ufeff")))]
    assert ids == list(range(1, 61))


def test_csv_export_pages_through_more_rows_than_one_read(make_client):
    client = make_client("screening")
    _seed(client, [f"person/P{n}" for n in range(20)])
    pages = list(
        export.export_pages(
            client.app.state.engine,
            client.app.state.audit_table,
            export.AuditFilter(order="desc"),
            page_rows=7,
        )
    )
    assert [len(p) for p in pages] == [7, 7, 6]
    assert [r["id"] for p in pages for r in p] == list(range(20, 0, -1))


def test_csv_is_for_auditors_only(make_client, idp):
    client = make_client("screening")
    answer = client.get("/audit", headers={**idp.headers("nurse"), "Accept": "text/csv"})
    assert answer.status_code == 403
