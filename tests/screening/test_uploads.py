"""Spreadsheet upload of results and pool results: check every row, then store all or none."""

from __future__ import annotations

import csv
import io
import zipfile
from typing import Any

import pytest
from openpyxl import Workbook, load_workbook

from tests.screening.conftest import Screening, ago

HEADER = ["external_id", "person_external_id", "test_type", "result", "status"]
HEADER += ["specimen_collected_at"]


def csv_bytes(rows: list[list[str]], encoding: str = "utf-8", header: list[str] = HEADER) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue().encode(encoding)


def xlsx_bytes(rows: list[list[Any]], header: list[str] = HEADER) -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def row(ext: str, person: str = "P1", value: str = "negative", status: str = "final") -> list[str]:
    return [ext, person, "nucleic_acid", value, status, ago(hours=2)]


def send(
    s: Screening,
    data: bytes,
    path: str = "/uploads",
    kind: str = "results",
    name: str = "sheet.csv",
    role: str = "nurse",
) -> Any:
    return s.client.post(
        path, files={"file": (name, data)}, data={"kind": kind}, headers=s.idp.headers(role)
    )


def history(s: Screening, person: str) -> list[dict[str, Any]]:
    r = s.client.get(f"/persons/{person}/results?include_history=true", headers=s.nurse)
    assert r.status_code == 200, r.text
    return list(r.json()["items"])


def test_csv_is_checked_then_stored_with_versions(screening: Screening) -> None:
    screening.person("P1")
    screening.person("P2")
    sheet = csv_bytes([row("R1"), row("R2", "P2", "positive"), row("R1", status="corrected")])
    checked = send(screening, sheet, "/uploads/check")
    assert checked.status_code == 200, checked.text
    assert checked.json() == {
        "kind": "results",
        "rows": 3,
        "ready": True,
        "error_count": 0,
        "errors": [],
    }
    assert history(screening, "P1") == []  # a check stores nothing
    stored = send(screening, sheet)
    assert stored.status_code == 200, stored.text
    assert stored.json() == {"kind": "results", "rows": 3, "accepted": 3, "duplicates": 0}
    versions = sorted(
        (r["external_id"], r["version"], r["status"]) for r in history(screening, "P1")
    )
    assert versions == [("R1", 1, "final"), ("R1", 2, "corrected")]
    again = send(screening, sheet)  # the same sheet again: the batch API's safe retries
    assert again.json() == {"kind": "results", "rows": 3, "accepted": 0, "duplicates": 3}


def test_errors_by_row_and_column_and_nothing_stored(screening: Screening) -> None:
    screening.person("P1")
    sheet = csv_bytes(
        [
            row("R1"),
            row("R2", "NOBODY"),
            ["R3", "P1", "nucleic_acid", "normal", "final", ago(hours=1)],
            ["R4", "P1", "nucleic_acid", "negative", "final", "yesterday"],
            ["", "P1", "x-ray", "negative", "final", ago(hours=1)],
        ]
    )
    checked = send(screening, sheet, "/uploads/check").json()
    assert checked["ready"] is False
    found = {(e["row"], e["cell"], e["column"], e["type"]) for e in checked["errors"]}
    assert (3, "B3", "person_external_id", "unknown_person") in found
    assert any(r == 4 and c == "D4" for r, c, *_ in found)  # "normal" is no nucleic-acid result
    assert any(r == 5 and c == "F5" for r, c, *_ in found)  # not a time
    assert any(r == 6 and c == "A6" for r, c, *_ in found)  # no external id
    assert any(r == 6 and c == "C6" for r, c, *_ in found)  # unknown test type
    assert not any(e["row"] == 2 for e in checked["errors"])
    refused = send(screening, sheet)
    assert refused.status_code == 422
    assert refused.headers["content-type"].startswith("application/problem+json")
    body = refused.json()
    assert body["code"] == "upload_invalid" and body["error_count"] == checked["error_count"]
    assert history(screening, "P1") == []  # row 2 was good, yet nothing is stored


def test_header_errors_are_row_one(screening: Screening) -> None:
    sheet = csv_bytes(
        [row("R1")], header=["external_id", "person", "test_type", "result", "status"]
    )
    body = send(screening, sheet, "/uploads/check").json()
    found = {(e["row"], e["cell"], e["type"]) for e in body["errors"]}
    assert (1, "B1", "unknown_column") in found
    assert (1, None, "missing_column") in found  # person_external_id, specimen_collected_at


def test_bom_gb18030_and_local_times(screening: Screening) -> None:
    screening.person("P1")
    header = [*HEADER, "performer"]
    bom = b"\xef\xbb\xbf" + csv_bytes([[*row("R1"), "检验科 王敏"]], header=header)
    assert send(screening, bom).json()["accepted"] == 1
    local = ["R2", "P1", "nucleic_acid", "negative", "final", "2026/1/5 9:30", "检验科 李强"]
    gb = csv_bytes([local], encoding="gb18030", header=header)
    with pytest.raises(UnicodeDecodeError):
        gb.decode("utf-8")
    stored = send(screening, gb)
    assert stored.status_code == 200, stored.text
    items = {r["external_id"]: r for r in history(screening, "P1")}
    assert items["R1"]["performer"] == "检验科 王敏"
    assert items["R2"]["performer"] == "检验科 李强"
    # 09:30 hospital time (Asia/Shanghai) is 01:30 UTC
    assert items["R2"]["specimen_collected_at"].startswith("2026-01-05T01:30:00")


def test_xlsx_with_date_cells(screening: Screening) -> None:
    from datetime import datetime

    screening.person("P1")
    sheet = xlsx_bytes(
        [["R1", "P1", "nucleic_acid", "negative", "final", datetime(2026, 1, 5, 9, 30)]]
    )
    stored = send(screening, sheet, name="sheet.xlsx")
    assert stored.status_code == 200, stored.text
    assert history(screening, "P1")[0]["specimen_collected_at"].startswith("2026-01-05T01:30:00")


def test_xlsx_formula_cells_are_refused(screening: Screening) -> None:
    screening.person("P1")
    sheet = xlsx_bytes([["R1", "P1", "nucleic_acid", '=IF(1,"negative")', "final", ago(hours=1)]])
    body = send(screening, sheet, "/uploads/check", name="sheet.xlsx").json()
    assert ("D2", "formula") in {(e["cell"], e["type"]) for e in body["errors"]}
    assert send(screening, sheet, name="sheet.xlsx").status_code == 422


@pytest.mark.parametrize(
    ("data", "status", "code"),
    [
        (b"", 422, None),
        (b"\xd0\xcf\x11\xe0" + b"\x00" * 100, 422, "unreadable_file"),
        (b"PK\x03\x04 not really a zip", 422, "unreadable_file"),
        (b"external_id\x00,x\r\n", 422, "unreadable_file"),
        (b"\xff\xfe\xfd\x80\x81", 422, None),
    ],
)
def test_hostile_files_are_4xx(
    screening: Screening, data: bytes, status: int, code: str | None
) -> None:
    r = send(screening, data, "/uploads/check")
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    if code:
        assert r.json()["code"] == code


def test_zip_bomb_is_refused_before_unpacking(screening: Screening) -> None:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/worksheets/sheet1.xml", b"\x00" * (210 * 1024 * 1024))
    data = out.getvalue()
    assert len(data) < 1024 * 1024
    r = send(screening, data, "/uploads/check", name="bomb.xlsx")
    assert r.status_code == 413, r.text
    assert r.json()["code"] == "sheet_too_large"


def test_limits(screening: Screening) -> None:
    big = b"external_id\r\n" + b"x" * (10 * 1024 * 1024)
    assert send(screening, big, "/uploads/check").status_code == 413
    many = "\r\n".join(["external_id", *(f"R{i}" for i in range(50_001))]).encode()
    r = send(screening, many, "/uploads/check")
    assert r.status_code == 413 and r.json()["code"] == "too_many_rows"
    wide = ",".join(f"c{i}" for i in range(41)).encode() + b"\r\n1\r\n"
    assert send(screening, wide, "/uploads/check").json()["code"] == "too_many_columns"


def test_kind_file_and_roles(screening: Screening) -> None:
    sheet = csv_bytes([row("R1")])
    assert send(screening, sheet, kind="other").status_code == 422
    r = screening.client.post("/uploads", data={"kind": "results"}, headers=screening.nurse)
    assert r.status_code == 422
    assert send(screening, sheet, role="auditor").status_code == 403
    r = screening.client.post(
        "/uploads", files={"file": ("s.csv", sheet)}, data={"kind": "results"}
    )
    assert r.status_code == 401


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
@pytest.mark.parametrize("kind", ["results", "pool_results"])
def test_templates(screening: Screening, kind: str, fmt: str) -> None:
    r = screening.client.get(f"/uploads/template?kind={kind}&format={fmt}", headers=screening.nurse)
    assert r.status_code == 200
    assert f"wardgate-{kind.replace('_', '-')}-template.{fmt}" in r.headers["content-disposition"]
    if fmt == "csv":
        assert r.content.startswith(b"\xef\xbb\xbf")
        rows = list(csv.reader(io.StringIO(r.content.decode("utf-8-sig"))))
    else:
        book = load_workbook(io.BytesIO(r.content), read_only=True)
        rows = [
            [c or "" for c in values] for values in book.worksheets[0].iter_rows(values_only=True)
        ]
    assert rows[0][:2] == (
        ["external_id", "person_external_id"] if kind == "results" else ["pool_id", "external_id"]
    )
    assert len(rows) == 2 and rows[1][0]
    bad = screening.client.get(f"/uploads/template?kind={kind}&format=pdf", headers=screening.nurse)
    assert bad.status_code == 422


def test_template_round_trip_is_checked(screening: Screening) -> None:
    """The results template, as downloaded, only fails on its made-up person."""
    tpl = screening.client.get(
        "/uploads/template?kind=results&format=xlsx", headers=screening.nurse
    )
    body = send(screening, tpl.content, "/uploads/check", name="t.xlsx").json()
    assert body["rows"] == 1
    assert [(e["cell"], e["type"]) for e in body["errors"]] == [("B2", "unknown_person")]


def _pool(s: Screening, pool: str, members: list[str]) -> None:
    for i, person in enumerate(members):
        s.person(person, category="staff")
        body = {
            "specimen_id": f"{pool}-S{i}",
            "person_external_id": person,
            "test_type": "nucleic_acid",
            "collected_at": ago(hours=3),
            "pool_id": pool,
        }
        r = s.client.post("/specimens", json=body, headers=s.nurse)
        assert r.status_code == 201, r.text


POOL_HEADER = ["pool_id", "external_id", "result", "status", "resulted_at", "performer"]


def test_pool_results(screening: Screening) -> None:
    _pool(screening, "POOL1", ["S1", "S2"])
    _pool(screening, "POOL2", ["S3"])
    rows = [
        ["POOL1", "PR1", "negative", "final", ago(hours=1), "检验科"],
        ["POOL2", "PR2", "positive", "final", ago(hours=1), ""],
    ]
    sheet = csv_bytes(rows, header=POOL_HEADER)
    checked = send(screening, sheet, "/uploads/check", kind="pool_results").json()
    assert checked["ready"] is True, checked
    stored = send(screening, sheet, kind="pool_results")
    assert stored.status_code == 200, stored.text
    assert stored.json()["accepted"] == 2
    member = history(screening, "S1")
    assert [(r["external_id"], r["result"]) for r in member] == [("PR1:POOL1-S0", "negative")]
    pool2 = screening.client.get("/pools/POOL2", headers=screening.nurse).json()
    assert pool2["state"] == "positive"
    again = send(screening, sheet, kind="pool_results").json()
    assert (again["accepted"], again["duplicates"]) == (0, 2)
    fix = [["POOL1", "PR1", "positive", "corrected", ago(hours=1), ""]]
    fixed = send(screening, csv_bytes(fix, header=POOL_HEADER), kind="pool_results")
    assert fixed.status_code == 200, fixed.text
    versions = sorted((r["version"], r["result"]) for r in history(screening, "S1"))
    assert [v for v, _ in versions] == [1, 2]  # the correction reached the member as a version
    assert versions[0][1] == "negative" and versions[1][1] != "negative"


def test_pool_results_unknown_pool_stores_nothing(screening: Screening) -> None:
    _pool(screening, "POOL1", ["S1"])
    rows = [
        ["POOL1", "PR1", "negative", "final", ago(hours=1), ""],
        ["NOPOOL", "PR2", "negative", "final", ago(hours=1), ""],
        ["POOL1", "PR3", "normal", "final", ago(hours=1), ""],
    ]
    sheet = csv_bytes(rows, header=POOL_HEADER)
    refused = send(screening, sheet, kind="pool_results")
    assert refused.status_code == 422
    found = {(e["cell"], e["type"]) for e in refused.json()["errors"]}
    assert ("A3", "unknown_pool") in found
    assert any(cell == "C4" for cell, _ in found)
    assert history(screening, "S1") == []
