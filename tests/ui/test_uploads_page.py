"""The spreadsheet upload page: check, errors by row and column, ready, store; zh-CN first."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tests.ui.conftest import HTML, Desk, csrf_of, text_of

HEADER = ["external_id", "person_external_id", "test_type", "result", "status"]
HEADER += ["specimen_collected_at"]
WHEN = (datetime.now(UTC) - timedelta(hours=2)).isoformat()


def sheet(rows: list[list[str]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(HEADER)
    writer.writerows(rows)
    return out.getvalue().encode()


@pytest.fixture
def screening(desk: Any) -> Desk:
    d: Desk = desk("screening")
    d.as_("nurse")
    for person in ("P1", "P2"):
        body = {"name": f"Patient {person}", "category": "inpatient", "department": "resp"}
        assert d.api("PUT", f"/persons/{person}", role="nurse", json=body).status_code == 201
    return d


def upload(
    d: Desk, data: bytes | None, action: str = "check", lang: str = "en", token: bool = True
) -> Any:
    form = {"kind": "results", "action": action}
    if token:
        form["csrf_token"] = csrf_of(d.get("/ui/uploads").text)
    files = {"file": ("lab.csv", data or b"", "text/csv")} if data is not None else {"x": ("", b"")}
    headers = {**HTML, "Accept-Language": lang}
    return d.client.post("/ui/uploads", data=form, files=files, headers=headers)


def stored(d: Desk, person: str) -> list[Any]:
    r = d.api("GET", f"/persons/{person}/results?include_history=true", role="nurse")
    return list(r.json()["items"])


def test_empty_page_in_chinese_first(screening: Desk) -> None:
    page = screening.client.get("/ui/uploads", headers={"Accept": "text/html"})
    assert page.status_code == 200
    text = text_of(page.text)
    assert "上传" in text and "模板" in text
    assert 'enctype="multipart/form-data"' in page.text
    assert "uploads.js" in page.text
    landing = screening.client.get("/ui/", headers={"Accept": "text/html"})
    assert "/ui/uploads" in landing.text


def test_check_shows_errors_by_row_and_column_then_nothing_stored(screening: Desk) -> None:
    data = sheet(
        [
            ["R1", "P1", "nucleic_acid", "negative", "final", WHEN],
            ["R2", "NOBODY", "nucleic_acid", "negative", "final", WHEN],
            ["R3", "P1", "nucleic_acid", "normal", "final", WHEN],
        ]
    )
    page = upload(screening, data)
    assert page.status_code == 200
    text = text_of(page.text)
    assert "errors: nothing was stored" in text
    assert "B3" in text and "No person has this id." in text
    assert "D4" in text and "This result does not belong to this test type." in text
    zh = text_of(upload(screening, data, lang="zh-CN").text)
    assert "B3" in zh and "没有" in zh
    refused = upload(screening, data, action="store")
    assert refused.status_code == 422 and "B3" in refused.text
    assert stored(screening, "P1") == []


def test_ready_then_store(screening: Desk) -> None:
    data = sheet(
        [
            ["R1", "P1", "nucleic_acid", "negative", "final", WHEN],
            ["R2", "P2", "nucleic_acid", "positive", "final", WHEN],
        ]
    )
    page = upload(screening, data)
    text = text_of(page.text)
    assert "2 rows ready" in text and "Store 2 rows" in text
    assert stored(screening, "P1") == []
    done = upload(screening, data, action="store")
    assert done.status_code == 200
    assert "2 rows stored in one go." in text_of(done.text)
    assert [r["external_id"] for r in stored(screening, "P1")] == ["R1"]
    again = text_of(upload(screening, data, action="store").text)
    assert "New: 0. Already stored (sent before, nothing changed): 2." in again


def test_no_file_no_token_and_bad_file(screening: Desk) -> None:
    page = upload(screening, None)
    assert page.status_code == 422 and "Choose the file" in text_of(page.text)
    assert upload(screening, sheet([]), token=False).status_code == 403
    bad = upload(screening, b"\xd0\xcf\x11\xe0" + b"\x00" * 64)
    assert bad.status_code == 422 and "cannot be read" in text_of(bad.text)


def test_roles_and_templates(screening: Desk) -> None:
    r = screening.get("/ui/uploads/template/results.xlsx")
    assert r.status_code == 200 and r.content.startswith(b"PK")
    r = screening.get("/ui/uploads/template/pool_results.csv")
    assert r.status_code == 200 and r.content.decode("utf-8-sig").startswith("pool_id,")
    assert screening.get("/ui/uploads/template/other.csv").status_code == 404
    screening.as_("auditor")
    assert screening.get("/ui/uploads").status_code == 403
