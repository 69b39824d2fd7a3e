"""Specimens and pools: idempotent specimens, pools created on first use, their limits, the
tube label, and who may do what."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.screening.conftest import ago


def specimen(sid: str, person: str = "P1", **extra: Any) -> dict[str, Any]:
    body = {
        "specimen_id": sid,
        "person_external_id": person,
        "test_type": "nucleic_acid",
        "collected_at": ago(hours=2),
    }
    body.update(extra)
    return body


@pytest.fixture
def desk(screening: Any) -> Any:
    for ext in ("P1", "P2", "P3"):
        screening.person(ext, category="staff")
    return screening


def post(desk: Any, path: str, body: dict[str, Any], role: str = "nurse") -> Any:
    return desk.client.post(path, json=body, headers=desk.idp.headers(role))


def test_a_specimen_is_recorded_once_and_a_resend_is_a_retry(desk: Any) -> None:
    body = specimen("S-1", booking_code="BK123")
    first = post(desk, "/specimens", body)
    assert first.status_code == 201, first.text
    assert first.json() == {
        "specimen_id": "S-1",
        "person_external_id": "P1",
        "test_type": "nucleic_acid",
        "collected_at": first.json()["collected_at"],
        "pool_id": None,
        "booking_code": "BK123",
        "state": "collected",
    }
    again = post(desk, "/specimens", body)
    assert again.status_code == 200
    assert again.json() == first.json()


def test_the_same_specimen_id_with_another_body_is_a_conflict(desk: Any) -> None:
    assert post(desk, "/specimens", specimen("S-1")).status_code == 201
    other = post(desk, "/specimens", specimen("S-1", person="P2"))
    assert other.status_code == 409
    assert other.json()["code"] == "specimen_conflict"


def test_unknown_person_and_future_collection_are_refused(desk: Any) -> None:
    unknown = post(desk, "/specimens", specimen("S-1", person="NOBODY"))
    assert unknown.status_code == 404
    assert unknown.json()["code"] == "unknown_person"
    future = post(desk, "/specimens", specimen("S-2", collected_at=ago(hours=-3)))
    assert future.status_code == 422
    assert future.json()["errors"][0]["field"] == "collected_at"


def test_a_pool_id_creates_the_pool_on_first_use_and_fills_it(desk: Any) -> None:
    for n, person in enumerate(("P1", "P2", "P3"), start=1):
        r = post(desk, "/specimens", specimen(f"S-{n}", person=person, pool_id="POOL-1"))
        assert r.status_code == 201, r.text
    pool = desk.client.get("/pools/POOL-1", headers=desk.nurse)
    assert pool.status_code == 200
    body = pool.json()
    assert body["size"] == 3
    assert body["state"] == "open"
    assert body["result_external_id"] is None
    assert [m["specimen_id"] for m in body["members"]] == ["S-1", "S-2", "S-3"]
    assert [m["person_external_id"] for m in body["members"]] == ["P1", "P2", "P3"]


def test_a_pool_holds_at_most_pool_max(make_client: Any, idp: Any) -> None:
    client = make_client("screening", wardgate_pool_max=2)
    nurse = idp.headers("nurse")
    for ext in ("P1", "P2", "P3"):
        body = {"name": f"N {ext}", "category": "staff", "department": "resp"}
        assert client.put(f"/persons/{ext}", json=body, headers=nurse).status_code == 201
    for n in (1, 2):
        r = client.post("/specimens", json=specimen(f"S-{n}", f"P{n}", pool_id="X"), headers=nurse)
        assert r.status_code == 201
    third = client.post("/specimens", json=specimen("S-3", "P3", pool_id="X"), headers=nurse)
    assert third.status_code == 422
    assert third.json()["code"] == "pool_too_large"
    # Nothing of the refused specimen was kept.
    assert client.get("/pools/X", headers=nurse).json()["size"] == 2
    too_many = client.post(
        "/pools", json={"pool_id": "Y", "specimen_ids": ["A", "B", "C"]}, headers=nurse
    )
    assert too_many.status_code == 422
    assert too_many.json()["code"] == "pool_too_large"


def test_post_pools_groups_recorded_specimens(desk: Any) -> None:
    for n in (1, 2, 3):
        assert post(desk, "/specimens", specimen(f"S-{n}", f"P{n}")).status_code == 201
    made = post(desk, "/pools", {"pool_id": "POOL-A", "specimen_ids": ["S-1", "S-2"]})
    assert made.status_code == 201, made.text
    assert made.json()["size"] == 2
    same = post(desk, "/pools", {"pool_id": "POOL-A", "specimen_ids": ["S-1", "S-2"]})
    assert same.status_code == 200
    elsewhere = post(desk, "/pools", {"pool_id": "POOL-B", "specimen_ids": ["S-3", "S-1"]})
    assert elsewhere.status_code == 409
    assert elsewhere.json()["code"] == "specimen_pooled"
    # The refused pool took nothing: S-3 is still free.
    assert desk.client.get("/pools/POOL-B", headers=desk.nurse).status_code == 404
    unknown = post(desk, "/pools", {"pool_id": "POOL-C", "specimen_ids": ["S-404"]})
    assert unknown.status_code == 422
    assert unknown.json()["code"] == "unknown_specimen"


def test_a_pool_with_a_result_takes_no_new_specimens(desk: Any) -> None:
    assert post(desk, "/specimens", specimen("S-1", pool_id="POOL-1")).status_code == 201
    result = {"external_id": "PR-1", "result": "negative", "status": "final"}
    assert post(desk, "/pools/POOL-1/result", result).status_code == 200
    late = post(desk, "/specimens", specimen("S-2", "P2", pool_id="POOL-1"))
    assert late.status_code == 409
    assert late.json()["code"] == "pool_closed"
    assert post(desk, "/specimens", specimen("S-3", "P3")).status_code == 201
    closed = post(desk, "/pools", {"pool_id": "POOL-1", "specimen_ids": ["S-3"]})
    assert closed.status_code == 409
    assert closed.json()["code"] == "pool_closed"


def test_an_unknown_pool_is_404(desk: Any) -> None:
    assert desk.client.get("/pools/NOPE", headers=desk.nurse).json()["code"] == "unknown_pool"
    r = post(
        desk, "/pools/NOPE/result", {"external_id": "R", "result": "negative", "status": "final"}
    )
    assert r.status_code == 404


def _pdf_objects_parse(pdf: bytes) -> None:
    """The cross-reference table points at every object it lists (no PDF library here)."""
    assert pdf.startswith(b"%PDF-")
    start = int(re.findall(rb"startxref\s+(\d+)", pdf)[-1])
    assert pdf[start : start + 4] == b"xref"
    header = re.match(rb"xref\s+0 (\d+)\s+", pdf[start:])
    assert header is not None
    count = int(header.group(1))
    table = pdf[start + header.end() :].split(b"\n")
    for number, line in enumerate(table[1:count], start=1):
        offset = int(line[:10])
        assert pdf[offset:].startswith(f"{number} 0 obj".encode()), number


def test_the_tube_label_is_a_pdf_with_the_id_and_a_masked_name(desk: Any) -> None:
    desk.person("P9", category="public", name="张三丰")
    assert post(desk, "/specimens", specimen("TUBE-0042", "P9")).status_code == 201
    r = desk.client.get("/specimens/TUBE-0042/label.pdf", headers=desk.nurse)
    assert r.status_code == 200
    assert r.headers["content-type"] == "application/pdf"
    pdf = r.content
    _pdf_objects_parse(pdf)
    assert b"(TUBE-0042) Tj" in pdf  # the human-readable id under the bars
    assert b"MediaBox [ 0 0 141.7323 85.03937 ]" in pdf  # 50 x 30 mm
    assert "张三丰".encode("utf-16-be") not in pdf  # only the masked name is printed
    missing = desk.client.get("/specimens/NOPE/label.pdf", headers=desk.nurse)
    assert missing.status_code == 404


def test_roles(desk: Any) -> None:
    assert post(desk, "/specimens", specimen("S-1"), role="auditor").status_code == 403
    assert post(desk, "/specimens", specimen("S-1"), role="integration").status_code == 201
    assert desk.client.get("/retests", headers=desk.idp.headers("auditor")).status_code == 200
    assert desk.client.get("/pools/X", headers=desk.idp.headers("admin")).status_code == 404
