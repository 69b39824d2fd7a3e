"""`wardgate import results FILE` against a live screening service: check, errors, store."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from openpyxl import Workbook

from tests.support.live import live_service

HEADER = "external_id,person_external_id,test_type,result,status,specimen_collected_at\r\n"
WHEN = (datetime.now(UTC) - timedelta(hours=2)).isoformat()


def _wardgate(*args: str, data_dir: Path) -> subprocess.CompletedProcess[str]:
    environment = {**os.environ, "WARDGATE_DATA_DIR": str(data_dir)}
    environment.pop("WARDGATE_TOKEN", None)
    return subprocess.run(
        [sys.executable, "-m", "shared.cli", "import", "results", *args],
        env=environment,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )


@pytest.fixture
def screening(database_url: Any, service_env: dict[str, str], idp: Any, tmp_path: Path) -> Any:
    # Started with a generous wait: eight suites share two cores on the machines this runs on.
    svc = live_service("screening", database_url("screening"), service_env, tmp_path).start(90)
    try:
        _persons(svc, idp)
        yield svc
    finally:
        svc.stop()


def _persons(svc: Any, idp: Any) -> None:
    for person in ("P1", "P2"):
        body = {"name": f"Patient {person}", "category": "inpatient", "department": "resp"}
        r = httpx.put(f"{svc.url}/persons/{person}", json=body, headers=idp.headers("nurse"))
        assert r.status_code == 201, r.text


def _results(svc: Any, idp: Any, person: str) -> list[str]:
    r = httpx.get(f"{svc.url}/persons/{person}/results", headers=idp.headers("nurse"))
    assert r.status_code == 200
    return sorted(i["external_id"] for i in r.json()["items"])


def test_errors_are_printed_by_row_and_column_and_nothing_is_stored(
    screening: Any, idp: Any, tmp_path: Path
) -> None:
    sheet = tmp_path / "lab.csv"
    rows = f"R1,P1,nucleic_acid,negative,final,{WHEN}\r\n"
    rows += f"R2,NOBODY,nucleic_acid,negative,final,{WHEN}\r\n"
    sheet.write_text(HEADER + rows, encoding="utf-8")
    token = idp.token("integration")
    run = _wardgate(str(sheet), "--url", screening.url, "--token", token, data_dir=tmp_path)
    assert run.returncode == 1, run.stderr
    assert "1 error(s); nothing was stored." in run.stderr
    assert "row 3, cell B3 (person_external_id): unknown person [unknown_person]" in run.stderr
    assert "check" in run.stderr and "100%" in run.stderr  # the progress bar ran to the end
    assert _results(screening, idp, "P1") == []


def test_a_correct_xlsx_is_checked_then_stored(screening: Any, idp: Any, tmp_path: Path) -> None:
    book = Workbook()
    ws = book.active
    assert ws is not None
    ws.append(HEADER.strip().split(","))
    ws.append(["R1", "P1", "nucleic_acid", "negative", "final", WHEN])
    ws.append(["R2", "P2", "nucleic_acid", "positive", "final", WHEN])
    sheet = tmp_path / "lab.xlsx"
    book.save(sheet)
    token = idp.token("nurse")
    args = (str(sheet), "--url", screening.url, "--token", token)
    only = _wardgate(*args, "--check-only", data_dir=tmp_path)
    assert only.returncode == 0, only.stderr
    assert "2 rows ready." in only.stderr and "Stored" not in only.stderr
    assert _results(screening, idp, "P1") == []
    run = _wardgate(*args, data_dir=tmp_path)
    assert run.returncode == 0, run.stderr
    assert "Stored 2 rows: 2 new, 0 already stored (unchanged)." in run.stderr
    assert _results(screening, idp, "P1") == ["R1"]
    assert _results(screening, idp, "P2") == ["R2"]
    again = _wardgate(*args, data_dir=tmp_path)
    assert "Stored 2 rows: 0 new, 2 already stored (unchanged)." in again.stderr


def test_refusals_and_usage(screening: Any, idp: Any, tmp_path: Path) -> None:
    missing = _wardgate(str(tmp_path / "none.csv"), "--url", screening.url, data_dir=tmp_path)
    assert missing.returncode == 2 and "no such file" in missing.stderr
    sheet = tmp_path / "lab.csv"
    sheet.write_text(HEADER + f"R1,P1,nucleic_acid,negative,final,{WHEN}\r\n", encoding="utf-8")
    auditor = _wardgate(
        str(sheet), "--url", screening.url, "--token", idp.token("auditor"), data_dir=tmp_path
    )
    assert auditor.returncode == 1 and "Refused (403" in auditor.stderr
    old = tmp_path / "old.xls"
    old.write_bytes(b"\xd0\xcf\x11\xe0" + b"\x00" * 100)
    token = idp.token("nurse")
    refused = _wardgate(str(old), "--url", screening.url, "--token", token, data_dir=tmp_path)
    assert refused.returncode == 1 and "unreadable_file" in refused.stderr
    down = _wardgate(str(sheet), "--url", "http://127.0.0.1:9", "--token", token, data_dir=tmp_path)
    assert down.returncode == 1 and "Cannot reach the screening service" in down.stderr


def test_the_default_token_is_an_integration_token_of_the_development_key(tmp_path: Path) -> None:
    from jose import jwt

    from shared.import_results import default_token
    from shared.settings import WardGateSettings

    token = default_token(WardGateSettings(wardgate_data_dir=tmp_path))
    claims = jwt.get_unverified_claims(token)
    assert claims["roles"] == ["integration"] and claims["sub"] == "import-cli"
    assert claims["iss"] == "wardgate" and claims["aud"] == "wardgate"
