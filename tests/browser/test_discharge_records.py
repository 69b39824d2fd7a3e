# ruff: noqa: RUF001 (Chinese text has full-width punctuation)
"""Discharge attempts an auditor can use, in Chromium against the live services (issue 16).

The attempts list names the patient (asked of screening) and shows the exception's reason;
each row opens a record page with the full evidence, which prints without the nav. In English
and in Chinese; each page is also photographed at desk and phone width.
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
PHOTOS = SCREENSHOTS / "discharge-pages"
WHY = "经 120 转至定点医院 / transferred by ambulance"
WIDTHS = {"desk": 1280, "phone": 390}


@pytest.fixture
def gate(hospital_services: Callable[..., Any]) -> dict[str, str]:
    """Screening and discharge running (discharge asking the live screening); their URLs."""
    urls, _ = hospital_services("screening", "discharge")
    return urls


def seed(urls: dict[str, str], idp: Any) -> None:
    """Two inpatients: one cleared to go home, one positive (blocked, then an exception)."""
    screening, discharge = urls["screening"], urls["discharge"]
    recent = (datetime.now(UTC) - timedelta(hours=5)).isoformat()
    people = {"IP-101": ("韩梅梅", "negative"), "IP-102": ("李雷", "positive")}
    for pid, (name, nucleic) in people.items():
        person = {
            "name": name,
            "category": "inpatient",
            "department": "resp",
            "ward": "W3",
            "admitted_at": "2026-11-20T09:30:00+08:00",
        }
        answer = httpx.put(f"{screening}/persons/{pid}", json=person, headers=idp.headers("nurse"))
        assert answer.status_code == 201, answer.text
        for test, result in (
            ("nucleic_acid", nucleic),
            ("antibody_igm", "negative"),
            ("antibody_igg", "negative"),
        ):
            item = {
                "external_id": f"{pid}-{test}",
                "person_external_id": pid,
                "test_type": test,
                "result": result,
                "status": "final",
                "specimen_collected_at": recent,
            }
            posted = httpx.post(f"{screening}/results", json=item, headers=idp.headers("nurse"))
            assert posted.status_code == 201, posted.text
    blocked = {"patient_external_id": "IP-102", "disposition": "home"}
    answer = httpx.post(f"{discharge}/discharges", json=blocked, headers=idp.headers("nurse"))
    assert answer.status_code == 409, answer.text
    exception = {
        "patient_external_id": "IP-102",
        "disposition": "designated_hospital",
        "reason": WHY,
    }
    answer = httpx.post(
        f"{discharge}/discharges", json=exception, headers=idp.headers("infection_control")
    )
    assert answer.status_code == 201, answer.text


def photos(page: Any, name: str) -> None:
    """The page at desk and phone width, under test-output/screenshots/discharge-pages/."""
    PHOTOS.mkdir(parents=True, exist_ok=True)
    for label, width in WIDTHS.items():
        page.set_viewport_size({"width": width, "height": 900})
        page.screenshot(path=str(PHOTOS / f"{name}-{label}.png"), full_page=True)
    page.set_viewport_size({"width": 1280, "height": 900})


def nurse_discharges_home(page: Any, urls: dict[str, str], lang: str) -> None:
    """Check the cleared patient, then discharge: the record page follows the redirect."""
    page.goto(f"{urls['discharge']}/ui/check?patient=IP-101&lang={lang}")
    photos(page, f"check-form-{lang}")
    page.locator("form[action$='/check'] button[type=submit]").click()
    expect(page).to_have_url(f"{urls['discharge']}/ui/checks/1")
    expect(page.locator("#result-heading")).to_contain_text("韩梅梅")
    expect(page.locator("table.evidence tbody tr")).to_have_count(3)
    photos(page, f"check-{lang}")
    page.reload()  # no "Confirm Form Resubmission": the check is read, not run again
    expect(page.locator("#decision")).to_be_visible()
    page.locator("form[action$='/discharge'] button[type=submit]").click()
    expect(page).to_have_url(f"{urls['discharge']}/ui/discharges/3")
    photos(page, f"discharged-{lang}")


def test_an_auditor_reads_the_attempts_and_prints_a_record(gate, idp, new_page):
    urls = gate
    seed(urls, idp)
    nurse = new_page()
    nurse.goto(f"{urls['discharge']}/ui/")
    sign_in(nurse, "nurse", PASSWORDS["nurse"])
    nurse_discharges_home(nurse, urls, "zh_CN")
    expect(nurse.locator("#decision")).to_contain_text("✓ 已出院")
    expect(nurse.locator("#decision")).to_contain_text("出院去向：回家")
    for stored in ("checks/1", "discharges/3", "check?patient=IP-101"):  # the same in English
        nurse.goto(f"{urls['discharge']}/ui/{stored}{'&' if '?' in stored else '?'}lang=en")
        photos(nurse, stored.split("?")[0].replace("/", "-") + "-en")
    expect(nurse.locator("#decision")).to_have_count(0)  # the form: nothing decided yet

    page = new_page()
    page.goto(f"{urls['discharge']}/ui/")
    sign_in(page, "auditor", PASSWORDS["auditor"])
    for lang, words in (("en", ENGLISH), ("zh_CN", CHINESE)):
        page.goto(f"{urls['discharge']}/ui/discharges?lang={lang}")
        rows = page.locator("#attempts tbody tr")
        expect(rows).to_have_count(3)
        exception = rows.filter(has_text=WHY)
        expect(exception).to_contain_text("李雷")
        expect(exception).to_contain_text(words["exception"])
        expect(rows.filter(has_text="IP-101")).to_contain_text("韩梅梅")
        expect(rows.filter(has_text=words["blocked"])).to_contain_text(words["positive"])
        photos(page, f"attempts-{lang}")
        page.set_viewport_size({"width": 390, "height": 900})  # the key column stays in view
        box = exception.locator(".record-link").bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 390
        page.set_viewport_size({"width": 1280, "height": 900})
        exception.locator(".record-link").click()
        expect(page.locator("#record-patient")).to_have_text("李雷 · IP-102")
        expect(page.locator("#record-disposition")).to_have_text(words["designated"])
        expect(page.locator("#record-exception-reason")).to_have_text(WHY)
        expect(page.locator("#record-actor")).to_have_text("infection_control")
        expect(page.locator("#record-reasons")).to_contain_text(words["positive"])
        evidence = page.locator("table.evidence tbody tr")
        expect(evidence).to_have_count(3)
        expect(evidence.first).to_contain_text(words["nucleic"])
        photos(page, f"record-{lang}")
        page.emulate_media(media="print")
        expect(page.locator(".site-header")).to_be_hidden()
        expect(page.locator("#record-heading")).to_be_visible()
        page.screenshot(path=str(PHOTOS / f"record-print-{lang}.png"), full_page=True)
        page.emulate_media(media="screen")
        expect(page.locator(".site-header")).to_be_visible()
    page.goto(f"{urls['discharge']}/ui/dashboard?lang=zh_CN")
    photos(page, "dashboard-zh_CN")
    page.goto(f"{urls['discharge']}/ui/dashboard?lang=en")
    photos(page, "dashboard-en")


ENGLISH = {
    "exception": "Exception",
    "blocked": "Blocked",
    "positive": "Nucleic acid test: the latest result is positive.",
    "designated": "Designated hospital (exception)",
    "nucleic": "Nucleic acid test",
}
CHINESE = {
    "exception": "例外出院",
    "blocked": "未获准出院",
    "positive": "核酸检测：最近一次结果为阳性。",
    "designated": "转定点医院（例外）",
    "nucleic": "核酸检测",
}
