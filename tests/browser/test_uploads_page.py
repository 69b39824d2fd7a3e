"""The spreadsheet upload page in Chromium, zh-CN: errors by row and column, then a sheet of
3,000 rows checked and stored with the upload progress bar (the file stays chosen for Store).
Screenshots at 1280 and 390 px of each state."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import expect

from tests.browser.conftest import PASSWORDS, SCREENSHOTS
from tests.browser.test_sign_in import sign_in

pytestmark = pytest.mark.e2e
FOLDER = SCREENSHOTS / "H"
HEADER = ["external_id", "person_external_id", "test_type", "result", "status"]
HEADER += ["specimen_collected_at", "performer"]
WIDTHS = {"1280": (1280, 900), "390": (390, 844)}


def _sheet(path: Path, rows: list[list[str]]) -> Path:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(HEADER)
    writer.writerows(rows)
    path.write_bytes(b"\xef\xbb\xbf" + out.getvalue().encode())
    return path


def _shots(page: Any, step: str) -> None:
    FOLDER.mkdir(parents=True, exist_ok=True)
    for name, (width, height) in WIDTHS.items():
        page.set_viewport_size({"width": width, "height": height})
        scroll = page.evaluate("document.documentElement.scrollWidth")
        assert scroll <= width, f"{step} at {width}px scrolls sideways ({scroll}px)"
        page.screenshot(path=str(FOLDER / f"uploads-{step}-{name}.png"), full_page=True)
    page.set_viewport_size({"width": 1280, "height": 900})


def test_a_nurse_uploads_a_sheet_in_chinese(
    hospital_services: Callable[..., Any], new_page: Callable[..., Any], idp: Any, tmp_path: Path
) -> None:
    urls, _ = hospital_services("screening")
    base = urls["screening"]
    when = (datetime.now(UTC) - timedelta(hours=3)).isoformat()
    people = [f"P{i:04d}" for i in range(30)]
    for person in people:
        body = {"name": f"患者{person}", "category": "inpatient", "department": "resp"}
        r = httpx.put(f"{base}/persons/{person}", json=body, headers=idp.headers("nurse"))
        assert r.status_code == 201, r.text
    page = new_page("zh-CN")
    page.goto(f"{base}/ui/")
    sign_in(
        page,
        "nurse",
        PASSWORDS["nurse"],
        username_label="用户名",
        password_label="密码",
        button="登录",
    )
    page.get_by_role("link", name="从表格上传检测结果").click()
    expect(page.get_by_role("heading", name="从表格上传检测结果")).to_be_visible()
    _shots(page, "1-empty")

    bad = _sheet(
        tmp_path / "bad.csv",
        [
            ["R-1", "P0001", "nucleic_acid", "negative", "final", when, "检验科"],
            ["R-2", "NOBODY", "nucleic_acid", "negative", "final", when, ""],
            ["R-3", "P0002", "nucleic_acid", "normal", "final", when, ""],
        ],
    )
    page.get_by_label("表格文件").set_input_files(str(bad))
    page.get_by_role("button", name="核对表格").click()
    table = page.locator("#upload-errors")
    expect(table).to_contain_text("B3")
    expect(table).to_contain_text("没有此编号的人员。")
    expect(table).to_contain_text("D4")
    expect(page.get_by_role("heading", name="2 处错误：未保存任何数据")).to_be_visible()  # noqa: RUF001
    _shots(page, "2-errors")

    rows = [
        [f"R{i:05d}", people[i % len(people)], "nucleic_acid", "negative", "final", when, "检验科"]
        for i in range(3000)
    ]
    good = _sheet(tmp_path / "good.csv", rows)
    page.get_by_label("表格文件").set_input_files(str(good))
    page.get_by_role("button", name="核对表格").click()
    expect(page.get_by_role("heading", name="3,000 行可以保存")).to_be_visible()
    _shots(page, "3-ready")
    # A slow line (about 64 KB/s up) so the upload's progress shows; then the server's turn.
    cdp = page.context.new_cdp_session(page)
    cdp.send("Network.enable")
    slow = {"offline": False, "latency": 20, "downloadThroughput": -1}
    cdp.send("Network.emulateNetworkConditions", {**slow, "uploadThroughput": 64 * 1024})
    page.get_by_role("button", name="保存 3,000 行").click()  # the file is still chosen
    status = page.locator("#upload-status")
    expect(status).to_contain_text("正在上传文件")
    expect(status).to_contain_text("%")
    page.screenshot(path=str(FOLDER / "uploads-3b-progress-1280.png"))
    cdp.send("Network.emulateNetworkConditions", {**slow, "uploadThroughput": -1})
    expect(page.get_by_role("heading", name="已保存")).to_be_visible(timeout=120_000)
    expect(page.locator("#upload-outcome")).to_contain_text("新增：3,000 条")  # noqa: RUF001
    _shots(page, "4-done")
    r = httpx.get(f"{base}/persons/P0001/results", headers=idp.headers("nurse"))
    assert len(r.json()["items"]) == 50  # 100 rows each; the first page of them
