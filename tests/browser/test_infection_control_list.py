"""Infection control's way in, in Chromium against the real services (issue 16).

Two positives arrive today (an outpatient in the fever clinic first, then an inpatient) and a
negative; a contact of the outpatient is sent to the fever clinic at the door. Infection
control signs in, follows the landing page's link and sees today's positives newest first
with names and department names, opens the outpatient's exposure list without knowing any id,
and sees the contact's visit outcome and phone, not an all-clear. In English and Chinese.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from playwright.sync_api import expect

from tests.browser.conftest import SCREENSHOTS
from tests.browser.test_sign_in import sign_in
from tests.browser.test_ward_flow import DEPARTMENT, slot_open_for_arrival

pytestmark = pytest.mark.e2e
PASSWORD = "infection-control-browser-1"
FOLDER = SCREENSHOTS / "infection-control"


@pytest.fixture
def hospital(hospital_services: Callable[..., Any]) -> dict[str, str]:
    """Appointments and screening, reaching each other, with an infection-control account."""
    accounts = {"ic": (["infection_control"], PASSWORD)}
    urls, _ = hospital_services("appointments", "screening", accounts=accounts)
    return urls


def _ok(answer: httpx.Response) -> dict[str, Any]:
    assert answer.status_code in (200, 201), answer.text
    return answer.json()


def arrange_day(urls: dict[str, str], idp: Any) -> None:
    """The day through the APIs: departments, persons, results, a feverish contact."""
    now = datetime.now(UTC).replace(microsecond=0)
    admin, machine, nurse = idp.headers("admin"), idp.headers("integration"), idp.headers("nurse")
    screening, appointments = urls["screening"], urls["appointments"]
    _ok(
        httpx.put(
            f"{appointments}/departments/FEVER",
            json={**DEPARTMENT, "name": "Fever clinic"},
            headers=admin,
        )
    )
    _ok(httpx.put(f"{appointments}/departments/RESP", json=DEPARTMENT, headers=admin))
    for ext, name, category, dept, more in [
        ("O003", "Sun Li", "outpatient", "FEVER", {"phone": "13700001234"}),
        ("C-9", "Zhou Qi", "outpatient", "FEVER", {"phone": "13912345678"}),
        (
            "P-2",
            "Wu Bo",
            "inpatient",
            "RESP",
            {"ward": "W3", "admitted_at": (now - timedelta(days=3)).isoformat()},
        ),
        ("S-5", "Zheng Yi", "staff", "RESP", {"ward": "W3"}),
    ]:
        body = {"name": name, "category": category, "department": dept, **more}
        _ok(httpx.put(f"{screening}/persons/{ext}", json=body, headers=machine))
    slot = slot_open_for_arrival(now)
    for patient, readings in [("O003", 36.5), ("C-9", 38.6)]:
        booked = _ok(
            httpx.post(
                f"{appointments}/appointments",
                json={
                    "department": "FEVER",
                    "patient_external_id": patient,
                    "patient_name": patient,
                    "slot_start": slot.isoformat(),
                },
                headers=nurse,
            )
        )
        door = {
            "temperature_c": readings,
            "mask": True,
            "health_code": "green",
            "risk_area_travel_14d": False,
        }
        _ok(
            httpx.post(
                f"{appointments}/appointments/{booked['id']}/check-in", json=door, headers=nurse
            )
        )
    for ext, person, value in [
        ("NA-O3", "O003", "positive"),
        ("NA-S5", "S-5", "negative"),
        ("NA-P2", "P-2", "positive"),
    ]:
        body = {
            "external_id": ext,
            "person_external_id": person,
            "test_type": "nucleic_acid",
            "result": value,
            "status": "final",
            "specimen_collected_at": (now - timedelta(hours=2)).isoformat(),
        }
        _ok(httpx.post(f"{screening}/results", json=body, headers=machine))


def look(page: Any, name: str) -> None:
    """Screenshots at desk and phone width, for a person to look at."""
    FOLDER.mkdir(parents=True, exist_ok=True)
    for width in (1280, 390):
        page.set_viewport_size({"width": width, "height": 900})
        page.screenshot(path=str(FOLDER / f"{name}-{width}.png"), full_page=True)
    page.set_viewport_size({"width": 1280, "height": 900})


def test_infection_control_finds_todays_positives_and_their_contacts(hospital, idp, new_page):
    urls = hospital
    arrange_day(urls, idp)
    page = new_page("en-US")
    page.goto(f"{urls['screening']}/ui/")
    sign_in(page, "ic", PASSWORD)
    page.goto(f"{urls['screening']}/ui/")
    page.get_by_role("link", name="Infection control", exact=True).click()
    expect(page.get_by_role("heading", name="Today's positives: 2")).to_be_visible()
    rows = page.locator("#positives tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.nth(0)).to_contain_text("Wu Bo")  # received last: first
    expect(rows.nth(0)).to_contain_text("Respiratory outpatients")
    expect(rows.nth(1)).to_contain_text("Sun Li")
    expect(rows.nth(1)).to_contain_text("Fever clinic")
    expect(page.locator("#positives")).not_to_contain_text("Zheng Yi")  # negative
    expect(page.locator("#open-alerts")).to_contain_text("Sun Li")
    look(page, "infection-control-en")

    rows.nth(1).get_by_role("link", name="Exposure list").click()
    expect(page.get_by_role("heading", name="Exposure list: O003")).to_be_visible()
    contact = page.locator("#exposures tbody tr", has_text="C-9")
    expect(contact).to_contain_text("Sent to the fever clinic at this visit")
    expect(contact).to_contain_text("13912345678")
    expect(contact).not_to_contain_text("Screening up to date")
    look(page, "exposures-en")
    page.goto(f"{urls['screening']}/ui/compliance?department=NOPE")
    expect(page.get_by_text("There is no department with this code")).to_be_visible()
    expect(page.get_by_text("Everyone is compliant")).to_have_count(0)
    look(page, "compliance-nope-en")
    page.goto(f"{urls['screening']}/ui/compliance")
    look(page, "compliance-en")

    page.goto(f"{urls['screening']}/ui/infection-control?lang=zh_CN")
    expect(page.get_by_role("heading", name="今日阳性：2")).to_be_visible()  # noqa: RUF001
    expect(rows.nth(0)).to_contain_text("Wu Bo")
    expect(rows.nth(1)).to_contain_text("Fever clinic")
    look(page, "infection-control-zh")
    rows.nth(1).get_by_role("link", name="密切接触者名单").click()
    contact = page.locator("#exposures tbody tr", has_text="C-9")
    expect(contact).to_contain_text("本次就诊已转发热门诊")
    expect(contact).not_to_contain_text("筛查有效")
    look(page, "exposures-zh")
    page.goto(f"{urls['screening']}/ui/compliance?department=NOPE")
    expect(page.get_by_text("所有人均符合要求")).to_have_count(0)
    expect(page.get_by_text("没有这个科室代码", exact=False)).to_be_visible()
    look(page, "compliance-nope-zh")
    page.goto(f"{urls['screening']}/ui/compliance")
    look(page, "compliance-zh")
