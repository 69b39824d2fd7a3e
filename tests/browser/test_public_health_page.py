"""The public-health reports page, in Chromium against a real screening service (issue 19).

Two positives arrive: the receiver takes the first report and refuses the second, whose
deadline then passes. An auditor signs in (zh-CN), follows the landing page's link, and sees
the overdue report first with the person's name masked, the delivered one below, and the
figures (2 reports, 1 on time, 1 overdue); the CSV downloads. Desk and phone width.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest
from playwright.sync_api import expect

from tests.browser.conftest import PASSWORDS, SCREENSHOTS
from tests.browser.test_sign_in import sign_in
from tests.screening.conftest import result
from tests.screening.test_alerts import Receiver, wait_until

pytestmark = pytest.mark.e2e
FOLDER = SCREENSHOTS / "public-health"


@pytest.fixture
def receiver() -> Any:
    hook = Receiver(statuses=[204] + [503] * 10_000)  # takes the first report only
    yield hook
    hook.stop()


def arrange(url: str, idp: Any) -> None:
    machine, auditor = idp.headers("integration"), idp.headers("auditor")
    for ext, name in (("P-1", "张三丰"), ("S-2", "李四")):
        body = {"name": name, "category": "staff", "department": "resp"}
        assert httpx.put(f"{url}/persons/{ext}", json=body, headers=machine).is_success
    first = httpx.post(
        f"{url}/results", json=result("NA-1", person="P-1", value="positive"), headers=machine
    )
    assert first.status_code == 201, first.text

    def states() -> list[str]:
        items = httpx.get(f"{url}/reports", headers=auditor).json()["items"]
        return [i["state"] for i in items]

    wait_until(lambda: states() == ["delivered"])
    second = httpx.post(
        f"{url}/results", json=result("NA-2", person="S-2", value="positive"), headers=machine
    )
    assert second.status_code == 201, second.text
    wait_until(lambda: states() == ["overdue", "delivered"], timeout_s=20)


def test_an_auditor_reads_the_reports_overdue_first(
    hospital_services: Callable[..., Any], idp, receiver, new_page
):
    env = {
        "WARDGATE_REPORT_URL": receiver.url,
        "WARDGATE_REPORT_DEADLINE_H": "0.0005",  # 1.8 s: the refused report soon overdue
        "WARDGATE_REPORT_POLL_S": "0.1",
        "WARDGATE_REPORT_BACKOFF_S": "0.5",
    }
    urls, _ = hospital_services("screening", env=env)
    arrange(urls["screening"], idp)
    page = new_page("zh-CN")
    page.goto(f"{urls['screening']}/ui/?lang=zh_CN")
    sign_in(
        page,
        "auditor",
        PASSWORDS["auditor"],
        username_label="用户名",
        password_label="密码",
        button="登录",
    )
    page.get_by_role("link", name="疾控上报").first.click()
    expect(page.get_by_role("heading", name="疾控上报", level=1)).to_be_visible()
    figures = page.locator(".figures")
    expect(figures).to_contain_text("报告数2")
    expect(figures).to_contain_text("按时送达1")
    expect(figures).to_contain_text("超时未报1")
    waiting = page.locator("section", has=page.get_by_role("heading", name="尚未送达\uff1a1 份"))
    expect(waiting).to_contain_text("NA-2")
    expect(waiting).to_contain_text("超时未报")
    expect(waiting).to_contain_text("HTTP 503")
    expect(waiting).to_contain_text("李*")
    delivered = page.locator("section", has=page.get_by_role("heading", name="最近送达"))
    expect(delivered).to_contain_text("NA-1")
    expect(delivered).to_contain_text("张**")
    expect(page.locator("body")).not_to_contain_text("张三丰")  # names masked
    FOLDER.mkdir(parents=True, exist_ok=True)
    for width in (1280, 390):
        page.set_viewport_size({"width": width, "height": 900})
        page.screenshot(path=str(FOLDER / f"reports-zh-{width}.png"), full_page=True)
        scroll = page.evaluate("document.documentElement.scrollWidth")
        assert scroll <= width, f"horizontal scroll at {width}px: {scroll}"
    page.set_viewport_size({"width": 1280, "height": 900})
    with page.expect_download() as download:
        page.get_by_role("link", name="下载 CSV").click()
    with open(download.value.path(), encoding="utf-8-sig") as fh:
        text = fh.read()
    lines = text.strip().splitlines()
    assert lines[0].startswith("report_id,result_external_id")
    assert len(lines) == 3 and "NA-1" in lines[1] and "NA-2" in lines[2]
    assert "张三丰" not in text
