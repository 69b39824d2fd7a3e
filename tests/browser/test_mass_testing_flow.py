"""A resident asks for a test on a phone, the nurse records the swab into a pool at the desk,
the lab posts the pool result, the resident looks the result up: zh-CN, in Chromium, with the
appointments and screening services running on real ports."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from playwright.sync_api import expect

from tests.browser.conftest import PASSWORDS
from tests.browser.test_sign_in import sign_in

pytestmark = pytest.mark.e2e
TZ = ZoneInfo("Asia/Shanghai")
SHOTS = Path(__file__).resolve().parents[2] / "test-output" / "screenshots" / "helper-d"
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}
ID_NUMBER = "11010519491231002X"


def no_sideways_scroll(page: Any) -> bool:
    return bool(page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"))


def shoot(page: Any, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def request_a_test(page: Any, url: str, day: str) -> str:
    page.goto(f"{url}/ui/public/test-request")
    expect(page.get_by_role("heading", name="申请核酸检测")).to_be_visible()
    page.get_by_label("检测点").select_option("T1")
    page.locator("#day").fill(day)
    page.get_by_role("button", name="查看可预约时间").click()
    expect(page.get_by_role("heading", name=f"{day} 可预约时间")).to_be_visible()
    page.locator("#slot-1").check()
    page.get_by_label("姓名").fill("张伟")
    page.get_by_label("身份证号码").fill(ID_NUMBER)
    page.get_by_label("手机号码").fill("13912345678")
    page.get_by_role("button", name="预约检测").click()
    expect(page.get_by_role("heading", name="预约成功")).to_be_visible()
    expect(page.locator(".booking-qr svg")).to_be_visible()
    expect(page.get_by_text("请携带")).to_be_visible()
    return str(page.locator("#booking-code").inner_text()).strip()


def record_at_the_desk(page: Any, url: str, code: str) -> None:
    page.goto(f"{url}/ui/?lang=en")
    sign_in(page, "nurse", PASSWORDS["nurse"])
    expect(page.get_by_role("heading", name="Welcome, nurse")).to_be_visible()
    page.goto(f"{url}/ui/collection?lang=zh_CN")
    expect(page.get_by_role("heading", name="采样台")).to_be_visible()
    pool = page.get_by_label("混采管\uff0810合1\uff09")  # the pool tube field (full-width brackets)
    pool.fill("POOL-B1")
    scanned = page.get_by_label("预约码或人员编号")
    scanned.fill(code)
    scanned.press("Enter")  # a keyboard-wedge scanner ends with Enter: on to the tube
    tube = page.get_by_label("采样管条码")
    expect(tube).to_be_focused()
    tube.fill("TUBE-B1")
    tube.press("Enter")  # saves
    expect(page.locator("#desk-saved")).to_contain_text("TUBE-B1")
    expect(page.locator("#pool-count")).to_have_text("1/10")
    expect(pool).to_have_value("POOL-B1")
    expect(page.get_by_label("预约码或人员编号")).to_be_focused()  # the next person


def look_up(page: Any, url: str, code: str) -> Any:
    page.goto(f"{url}/ui/public/result")
    expect(page.get_by_role("heading", name="查询检测结果")).to_be_visible()
    page.get_by_label("预约码").fill(code)
    page.get_by_label("身份证号后四位").fill("002X")
    page.get_by_role("button", name="查询", exact=True).click()
    return page.locator("#result-state")


def test_a_resident_is_tested_in_a_pool_and_reads_the_result(hospital_services, new_page, idp):
    token = idp.token("integration", sub="svc-wardgate", ttl_s=3600)
    env = {"WARDGATE_SERVICE_TOKEN": token, "WARDGATE_PUBLIC_RATE_PER_MIN": "100"}
    urls, _ = hospital_services("appointments", "screening", env=env)
    appointments, screening = urls["appointments"], urls["screening"]
    site = {"name": "社区核酸检测点", "kind": "testing", "capacity_per_slot": 20}
    r = httpx.put(f"{appointments}/departments/T1", json=site, headers=idp.headers("admin"))
    assert r.status_code == 201, r.text
    day = (datetime.now(TZ) + timedelta(days=1)).date().isoformat()

    resident = new_page("zh-CN")
    resident.set_viewport_size(PHONE)
    code = request_a_test(resident, appointments, day)
    assert no_sideways_scroll(resident)
    shoot(resident, "public-test-request-booked-390")

    nurse = new_page("zh-CN")
    nurse.set_viewport_size(PHONE)
    record_at_the_desk(nurse, screening, code)
    assert no_sideways_scroll(nurse)
    shoot(nurse, "collection-desk-390")
    nurse.set_viewport_size(DESKTOP)
    shoot(nurse, "collection-desk-1280")

    state = look_up(resident, screening, code)
    expect(state).to_have_text("检测中")  # collected, no result yet

    body = {"external_id": "LAB-POOL-B1", "result": "negative", "status": "final"}
    lab = httpx.post(
        f"{screening}/pools/POOL-B1/result", json=body, headers=idp.headers("integration")
    )
    assert lab.status_code == 200, lab.text

    state = look_up(resident, screening, code)
    expect(state).to_have_text("阴性")
    expect(resident.locator("#result-name")).to_have_text("张*")
    assert no_sideways_scroll(resident)
    shoot(resident, "public-result-negative-390")
    resident.set_viewport_size(DESKTOP)
    shoot(resident, "public-result-negative-1280")
    resident.goto(f"{appointments}/ui/public/test-request?site=T1&day={day}")
    shoot(resident, "public-test-request-form-1280")
    resident.set_viewport_size(PHONE)
    resident.goto(f"{appointments}/ui/public/test-request?site=T1&day={day}")
    assert no_sideways_scroll(resident)
    shoot(resident, "public-test-request-form-390")
