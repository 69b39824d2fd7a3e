"""Contact follow-up in Chromium against the real services, in Chinese (issue 19, item 3).

An inpatient turns positive (and is isolated at once); infection control opens their exposure
list, ticks two ward mates and opens their follow-ups; a nurse records each one's check on a
phone-width page (temperature, then Record), and the list of those due today empties.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from playwright.sync_api import expect

from tests.browser.conftest import PASSWORDS, SCREENSHOTS
from tests.browser.test_sign_in import sign_in

pytestmark = pytest.mark.e2e
IC_PASSWORD = "infection-control-follow-up-1"
FOLDER = SCREENSHOTS / "E-isolation-follow-ups"
ZH = {"username_label": "用户名", "password_label": "密码", "button": "登录"}


@pytest.fixture
def hospital(hospital_services: Callable[..., Any]) -> dict[str, str]:
    """Appointments and screening, reaching each other, with an infection-control account."""
    accounts = {"ic": (["infection_control"], IC_PASSWORD)}
    urls, _ = hospital_services("appointments", "screening", accounts=accounts)
    return urls


def _ok(answer: httpx.Response) -> Any:
    assert answer.status_code in (200, 201), answer.text
    return answer.json()


def arrange_ward(screening: str, idp: Any) -> None:
    """Three inpatients of ward W1 and one elsewhere; the first turns positive."""
    now = datetime.now(UTC).replace(microsecond=0)
    machine = idp.headers("integration")
    admitted = (now - timedelta(days=3)).isoformat()
    for ext, name, ward in [
        ("IDX-1", "Wang Fang", "W1"),
        ("MATE-1", "Li Lei", "W1"),
        ("MATE-2", "Zhao Min", "W1"),
        ("FAR-1", "Qian Hao", "W9"),
    ]:
        body = {
            "name": name,
            "category": "inpatient",
            "department": "RESP",
            "ward": ward,
            "admitted_at": admitted,
            "phone": "13800001111",
        }
        _ok(httpx.put(f"{screening}/persons/{ext}", json=body, headers=machine))
    positive = {
        "external_id": "NA-IDX-1",
        "person_external_id": "IDX-1",
        "test_type": "nucleic_acid",
        "result": "positive",
        "status": "final",
        "specimen_collected_at": (now - timedelta(hours=3)).isoformat(),
    }
    _ok(httpx.post(f"{screening}/results", json=positive, headers=machine))


def look(page: Any, name: str) -> None:
    """Screenshots at desk and phone width, for a person to look at."""
    FOLDER.mkdir(parents=True, exist_ok=True)
    for width in (1280, 390):
        page.set_viewport_size({"width": width, "height": 900})
        page.screenshot(path=str(FOLDER / f"{name}-{width}.png"), full_page=True)
        wide = page.evaluate("document.documentElement.scrollWidth > window.innerWidth")
        assert not wide, f"{name} scrolls sideways at {width} px"
    page.set_viewport_size({"width": 1280, "height": 900})


def test_follow_ups_from_an_exposure_list_to_an_empty_due_list(hospital, idp, new_page):
    screening = hospital["screening"]
    arrange_ward(screening, idp)

    page = new_page("zh-CN")
    page.goto(f"{screening}/ui/")
    sign_in(page, "ic", IC_PASSWORD, **ZH)
    page.goto(f"{screening}/ui/isolations")
    expect(page.get_by_role("heading", name="当前隔离：1 人")).to_be_visible()  # noqa: RUF001
    expect(page.locator("#isolated")).to_contain_text("IDX-1")
    expect(page.locator("#isolated")).to_contain_text("需要末次阳性之后的两次单采核酸阴性结果")
    look(page, "isolations-zh")

    page.goto(f"{screening}/ui/persons/IDX-1/exposures")
    rows = page.locator("#exposures tbody tr")
    expect(rows).to_have_count(2)
    expect(page.locator("#exposures")).not_to_contain_text("FAR-1")
    look(page, "exposures-zh")
    page.get_by_label("随访 MATE-1").check()
    page.get_by_label("随访 MATE-2").check()
    page.get_by_role("button", name="为勾选的密接开始 14 天随访").click()
    expect(page.locator("#follow-ups-opened")).to_contain_text("已为 2 名密接开始随访")
    expect(page.get_by_role("heading", name="今日待随访：2 人")).to_be_visible()  # noqa: RUF001
    look(page, "follow-ups-opened-zh")

    nurse = new_page("zh-CN")
    nurse.set_viewport_size({"width": 390, "height": 844})
    nurse.goto(f"{screening}/ui/")
    sign_in(nurse, "nurse", PASSWORDS["nurse"], **ZH)
    nurse.goto(f"{screening}/ui/follow-ups")
    cards = nurse.locator("#due-today .fu-card")
    expect(cards).to_have_count(2)
    expect(cards.first).to_contain_text("第 1 天 / 共 14 天")
    first = cards.filter(has_text="MATE-1")
    first.get_by_label("体温（°C）").fill("36.6")  # noqa: RUF001
    first.get_by_role("button", name="记录").click()
    expect(nurse.locator("#check-saved")).to_contain_text("Li Lei")
    expect(nurse.get_by_role("heading", name="今日待随访：1 人")).to_be_visible()  # noqa: RUF001
    second = nurse.locator("#due-today .fu-card", has_text="MATE-2")
    second.get_by_label("体温（°C）").fill("37.8")  # noqa: RUF001
    second.locator("summary", has_text="症状").click()
    second.get_by_label("咳嗽").check()
    second.get_by_role("button", name="记录").click()
    expect(nurse.get_by_role("heading", name="今日待随访：0 人")).to_be_visible()  # noqa: RUF001
    expect(nurse.locator("#none-due")).to_contain_text("今日随访已全部完成")
    expect(nurse.locator("#active")).to_contain_text("37.8 °C")
    expect(nurse.locator("#active")).to_contain_text("咳嗽")
    look(nurse, "follow-ups-done-zh")

    checks = _ok(httpx.get(f"{screening}/follow-ups", headers=idp.headers("infection_control")))[
        "items"
    ]
    assert sorted((f["person_external_id"], len(f["checks"])) for f in checks) == [
        ("MATE-1", 1),
        ("MATE-2", 1),
    ]
    assert [c["symptoms"] for f in checks for c in f["checks"] if c["temperature_c"] == 37.8] == [
        ["cough"]
    ]
