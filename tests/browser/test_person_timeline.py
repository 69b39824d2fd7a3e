"""The person page's timeline in Chromium, read from the three real services (issue 16).

An inpatient's stay is arranged through the three APIs: admission, a positive nucleic acid
test corrected to negative, a fever-clinic check-in, a discharge check that lists what is
missing, the antibodies, the discharge home. An auditor then reads the person page in English
and in Chinese: the stay newest first, the correction with the old value struck, the check's
reasons and the discharge. With the appointments service stopped the page says so in words.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from playwright.sync_api import expect

from tests.browser.conftest import PASSWORDS, SCREENSHOTS, SERVICES
from tests.browser.test_sign_in import sign_in
from tests.browser.test_ward_flow import DEPARTMENT, slot_open_for_arrival
from tests.support.live import LiveService

pytestmark = pytest.mark.e2e
PATIENT = "P-TL1"
KINDS_IN_ORDER = [
    "discharged",
    "discharge_attempt",
    "result",  # IgG
    "result",  # IgM
    "discharge_check",
    "check_in",
    "isolated",  # when NA-1 (positive) was posted: it isolated the patient (issue 19)
    "result",  # NA-2 negative
    "result",  # NA-1 version 2: corrected to negative
    "result",  # NA-1 version 1: positive
    "admission",
]


@pytest.fixture
def hospital(
    hospital_services: Callable[..., Any], idp: Any
) -> tuple[dict[str, str], dict[str, LiveService]]:
    """The three services, each reaching the others; their URLs and processes by name."""
    token = idp.token("integration", sub="discharge-sync", ttl_s=3600)
    return hospital_services(*SERVICES, env={"WARDGATE_SERVICE_TOKEN": token})


def _ok(answer: httpx.Response) -> dict[str, Any]:
    assert answer.status_code in (200, 201), answer.text
    return answer.json()


def arrange_stay(urls: dict[str, str], idp: Any) -> None:
    """The stay, through the APIs, in the order a hospital lives it."""
    now = datetime.now(UTC).replace(microsecond=0)
    admin, machine, nurse = idp.headers("admin"), idp.headers("integration"), idp.headers("nurse")
    screening, appointments = urls["screening"], urls["appointments"]
    _ok(httpx.put(f"{appointments}/departments/RESP", json=DEPARTMENT, headers=admin))
    person = {
        "name": "Zhao Min",
        "category": "inpatient",
        "department": "RESP",
        "ward": "W3",
        "admitted_at": (now - timedelta(days=4)).isoformat(),
    }
    _ok(httpx.put(f"{screening}/persons/{PATIENT}", json=person, headers=machine))

    def result(external_id: str, test: str, value: str, taken_h: float, **more: Any) -> None:
        body = {
            "external_id": external_id,
            "person_external_id": PATIENT,
            "test_type": test,
            "result": value,
            "status": "final",
            "specimen_collected_at": (now - timedelta(hours=taken_h)).isoformat(),
            **more,
        }
        _ok(httpx.post(f"{screening}/results", json=body, headers=machine))

    def resulted(hours: float) -> str:
        return (now - timedelta(hours=hours)).isoformat()

    result("NA-1", "nucleic_acid", "positive", 50, resulted_at=resulted(49))
    result("NA-1", "nucleic_acid", "negative", 50, status="corrected", resulted_at=resulted(30))
    result("NA-2", "nucleic_acid", "negative", 10, resulted_at=resulted(9))
    slot = slot_open_for_arrival(now).isoformat()
    booking = {"department": "RESP", "patient_external_id": PATIENT, "patient_name": "Zhao Min"}
    booked = _ok(
        httpx.post(
            f"{appointments}/appointments", json={**booking, "slot_start": slot}, headers=machine
        )
    )
    check_in = {"temperature_c": 38.1, "mask": True, "health_code": "green"}
    check_in["risk_area_travel_14d"] = False
    _ok(
        httpx.post(
            f"{appointments}/appointments/{booked['id']}/check-in", json=check_in, headers=nurse
        )
    )
    check = _ok(
        httpx.post(
            f"{urls['discharge']}/discharge-checks",
            json={"patient_external_id": PATIENT},
            headers=nurse,
        )
    )
    assert check["eligible"] is False
    result("IGM-1", "antibody_igm", "negative", 5)
    result("IGG-1", "antibody_igg", "negative", 5)
    leaving = {"patient_external_id": PATIENT, "disposition": "home"}
    _ok(httpx.post(f"{urls['discharge']}/discharges", json=leaving, headers=nurse))
    deadline = time.monotonic() + 15  # the contract's lag is 10 s
    while time.monotonic() < deadline:
        seen = httpx.get(f"{screening}/persons/{PATIENT}", headers=admin).json()
        if (seen.get("admission") or {}).get("discharged_at"):
            return
        time.sleep(0.5)
    pytest.fail("the discharge did not reach screening within 15 s")


def look(page: Any, name: str, parts: tuple[str, ...] = ("#results", "#timeline")) -> None:
    """Screenshots at desk and phone width, for a person to look at."""
    folder = SCREENSHOTS / "timeline"
    folder.mkdir(parents=True, exist_ok=True)
    for width in (1280, 390):
        page.set_viewport_size({"width": width, "height": 900})
        page.screenshot(path=str(folder / f"{name}-{width}.png"), full_page=True)
        for part in parts:
            shot = folder / f"{name}-{width}-{part[1:]}.png"
            page.locator(part).screenshot(path=str(shot))
    page.set_viewport_size({"width": 1280, "height": 900})


def kinds(page: Any) -> list[str]:
    return page.locator("#timeline [data-kind]").evaluate_all(
        "items => items.map(i => i.dataset.kind)"
    )


def test_an_auditor_reads_the_whole_stay_newest_first(hospital, idp, new_page):
    urls, services = hospital
    arrange_stay(urls, idp)
    page = new_page("en-US")
    page.goto(f"{urls['screening']}/ui/persons/{PATIENT}")
    sign_in(page, "auditor", PASSWORDS["auditor"])
    page.goto(f"{urls['screening']}/ui/persons/{PATIENT}")
    timeline = page.locator("#timeline")
    expect(timeline.get_by_role("heading", name="Timeline")).to_be_visible()
    assert kinds(page) == KINDS_IN_ORDER
    entries = timeline.locator("[data-kind]")
    expect(entries.nth(0)).to_contain_text("Left hospital: Went home")
    expect(entries.nth(1)).to_contain_text("Discharged")
    expect(entries.nth(4)).to_contain_text("IgM antibody: no result on record.")
    expect(entries.nth(5)).to_contain_text("Sent to the fever clinic")
    expect(entries.nth(5)).to_contain_text("Respiratory outpatients (RESP)")
    expect(entries.nth(8)).to_contain_text("corrects version 1 Positive")
    expect(entries.nth(8).locator("del")).to_have_text("Positive")
    expect(page.locator("#discharged")).to_contain_text("Went home")
    expect(page.locator('[data-result="NA-1"] .version.superseded del')).to_contain_text("Positive")
    expect(page.locator("#positives")).to_have_count(0)  # the corrected positive stands down
    expect(page.get_by_role("link", name="Discharge check")).to_have_count(0)  # discharged
    look(page, "person-en")

    page.goto(f"{urls['screening']}/ui/persons/{PATIENT}?lang=zh_CN")
    expect(timeline.get_by_role("heading", name="时间线")).to_be_visible()
    assert kinds(page) == KINDS_IN_ORDER
    expect(entries.nth(0)).to_contain_text("出院：回家")  # noqa: RUF001
    expect(entries.nth(4)).to_contain_text("IgM 抗体")
    expect(entries.nth(5)).to_contain_text("已转发热门诊")
    expect(entries.nth(8)).to_contain_text("更正第 1 版")
    expect(page.locator(".facts")).to_contain_text("入院时间")
    look(page, "person-zh")

    services["appointments"].stop()
    page.goto(f"{urls['screening']}/ui/persons/{PATIENT}?lang=zh_CN")
    expect(page.locator('#timeline [data-source="appointments"]')).to_contain_text(
        "预约服务暂时无法访问"
    )
    assert "check_in" not in kinds(page) and "discharge_check" in kinds(page)
    look(page, "person-zh-appointments-down")
    page.goto(f"{urls['screening']}/ui/persons/{PATIENT}?lang=en")
    expect(page.locator('#timeline [data-source="appointments"]')).to_contain_text(
        "The appointments service cannot be reached right now. Not shown: check-ins,"
    )
    look(page, "person-en-appointments-down")


def test_a_nurse_sees_an_outpatients_positive_first(hospital, idp, new_page):
    urls, _ = hospital
    now = datetime.now(UTC).replace(microsecond=0)
    machine = idp.headers("integration")
    person = {"name": "Sun Li", "category": "outpatient", "department": "RESP"}
    _ok(httpx.put(f"{urls['screening']}/persons/O003", json=person, headers=machine))
    positive = {
        "external_id": "NA-O3",
        "person_external_id": "O003",
        "test_type": "nucleic_acid",
        "result": "positive",
        "status": "final",
        "specimen_collected_at": (now - timedelta(hours=3)).isoformat(),
    }
    _ok(httpx.post(f"{urls['screening']}/results", json=positive, headers=machine))
    page = new_page("zh-CN")
    page.goto(f"{urls['screening']}/ui/persons/O003")
    sign_in(
        page,
        "nurse",
        PASSWORDS["nurse"],
        username_label="用户名",
        password_label="密码",
        button="登录",
    )
    page.goto(f"{urls['screening']}/ui/persons/O003")
    expect(page.locator("#positives")).to_contain_text("阳性结果")
    expect(page.locator("#positives")).to_contain_text("核酸检测阳性")
    expect(page.get_by_text("无需检测")).to_have_count(0)
    expect(page.locator('[data-result="NA-O3"]')).to_be_visible()
    look(page, "outpatient-positive-zh", parts=())
    page.goto(f"{urls['screening']}/ui/persons/O003?lang=en")
    expect(page.locator("#positives")).to_contain_text("Positive result")
    expect(page.get_by_text("Nothing required")).to_have_count(0)
    look(page, "outpatient-positive-en", parts=())
    page.goto(f"{urls['screening']}/ui/persons?q=Sun")
    expect(page.get_by_role("link", name="O003")).to_be_visible()
    look(page, "search-en", parts=())
