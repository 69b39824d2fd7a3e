# ruff: noqa: RUF001 (Chinese text has full-width punctuation)
"""Discharge reviews in Chromium against the live services: infection control sees the
discharges a later result put in doubt (in Chinese first), opens the record, closes a review
with a resolution; the dashboard counts the open ones. Photographed at desk and phone width."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from playwright.sync_api import expect

from tests.browser.conftest import SCREENSHOTS
from tests.browser.test_sign_in import sign_in

pytestmark = pytest.mark.e2e
PHOTOS = SCREENSHOTS / "G-reviews"
WIDTHS = {"desk": 1280, "phone": 390}
IC_PASSWORD = "ic-browser-1"


@pytest.fixture
def hospital(hospital_services: Callable[..., Any], idp: Any) -> dict[str, str]:
    """Screening and discharge live, discharge following screening's result changes."""
    token = idp.token("integration", sub="service:discharge", ttl_s=3600)
    urls, _ = hospital_services(
        "screening",
        "discharge",
        env={"WARDGATE_SERVICE_TOKEN": token},
        accounts={"ic": (["infection_control"], IC_PASSWORD)},
    )
    return urls


def _at(hours: float) -> str:
    return (datetime.now(UTC) - timedelta(hours=hours)).isoformat()


def _post_result(urls: dict[str, str], idp: Any, body: dict[str, Any]) -> None:
    r = httpx.post(f"{urls['screening']}/results", json=body, headers=idp.headers("nurse"))
    assert r.status_code == 201, r.text


def seed(urls: dict[str, str], idp: Any) -> None:
    """Two inpatients discharged home; then one's nucleic acid is corrected to positive and
    the other has a positive collected the day before the discharge."""
    collected = _at(5)
    for pid, name in (("IP-201", "王芳"), ("IP-202", "赵强")):
        person = {"name": name, "category": "inpatient", "department": "resp", "ward": "W3"}
        person["admitted_at"] = "2026-11-20T09:30:00+08:00"
        r = httpx.put(
            f"{urls['screening']}/persons/{pid}", json=person, headers=idp.headers("nurse")
        )
        assert r.status_code == 201, r.text
        for test in ("nucleic_acid", "antibody_igm", "antibody_igg"):
            _post_result(urls, idp, {
                "external_id": f"{pid}-{test}", "person_external_id": pid, "test_type": test,
                "result": "negative", "status": "final", "specimen_collected_at": collected,
            })  # fmt: skip
        r = httpx.post(
            f"{urls['discharge']}/discharges",
            json={"patient_external_id": pid, "disposition": "home"},
            headers=idp.headers("nurse"),
        )
        assert r.status_code == 201, r.text
    _post_result(urls, idp, {
        "external_id": "IP-201-nucleic_acid", "person_external_id": "IP-201",
        "test_type": "nucleic_acid", "result": "positive", "status": "corrected",
        "specimen_collected_at": collected,
    })  # fmt: skip
    _post_result(urls, idp, {
        "external_id": "IP-202-late", "person_external_id": "IP-202",
        "test_type": "nucleic_acid", "result": "positive", "status": "final",
        "specimen_collected_at": _at(24),
    })  # fmt: skip
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        r = httpx.get(f"{urls['discharge']}/discharge-reviews", headers=idp.headers("auditor"))
        if len(r.json()["items"]) == 2:
            return
        time.sleep(0.2)
    raise AssertionError("the reviews did not open")


def photos(page: Any, name: str) -> None:
    """The page at desk and phone width; at phone width nothing scrolls sideways."""
    PHOTOS.mkdir(parents=True, exist_ok=True)
    for label, width in WIDTHS.items():
        page.set_viewport_size({"width": width, "height": 900})
        page.screenshot(path=str(PHOTOS / f"{name}-{label}.png"), full_page=True)
        scroll = page.evaluate("document.documentElement.scrollWidth")
        assert scroll <= width, f"{name} scrolls sideways at {width} px ({scroll})"
    page.set_viewport_size({"width": 1280, "height": 900})


def test_infection_control_closes_a_review_and_the_dashboard_counts_open_ones(
    hospital, idp, new_page
):
    urls = hospital
    seed(urls, idp)
    page = new_page()
    page.goto(f"{urls['discharge']}/ui/")
    sign_in(page, "ic", IC_PASSWORD)

    page.goto(f"{urls['discharge']}/ui/reviews?lang=zh_CN")
    reviews = page.locator("#reviews > li")
    expect(reviews).to_have_count(2)
    corrected = reviews.filter(has_text="IP-201")
    expect(corrected).to_contain_text("王芳")
    expect(corrected).to_contain_text(
        "出院所依据的结果 IP-201-nucleic_acid 在出院后被更正（第 2 版）"
    )
    late = reviews.filter(has_text="IP-202")
    expect(late).to_contain_text("出院后才收到一份核酸阳性结果（IP-202-late）")
    photos(page, "reviews-open-zh_CN")

    page.goto(f"{urls['discharge']}/ui/dashboard?lang=zh_CN")
    expect(page.locator("#figure-open-reviews dd")).to_have_text("2")
    expect(page.locator("#open-reviews-alert")).to_contain_text("等待复核的出院：2 例")
    photos(page, "dashboard-zh_CN")

    page.goto(f"{urls['discharge']}/ui/reviews?lang=zh_CN")
    corrected = page.locator("#reviews > li").filter(has_text="IP-201")
    corrected.locator("select[name=resolution]").select_option("patient_recalled")
    corrected.locator("textarea[name=note]").fill("已电话通知患者返院复查")
    corrected.get_by_role("button", name="结束复核").click()
    expect(page.locator("#review-closed")).to_be_visible()
    expect(page.locator("#reviews > li")).to_have_count(1)
    page.goto(f"{urls['discharge']}/ui/reviews?state=closed&lang=zh_CN")
    closed = page.locator("#reviews > li")
    expect(closed).to_have_count(1)
    expect(closed.locator(".review-resolution")).to_have_text("已召回患者")
    expect(closed.locator(".review-note")).to_have_text("已电话通知患者返院复查")
    photos(page, "reviews-closed-zh_CN")

    closed.locator(".record-link").click()
    expect(page.locator("#record-patient")).to_contain_text("IP-201")

    page.goto(f"{urls['discharge']}/ui/reviews?lang=en")
    open_one = page.locator("#reviews > li")
    expect(open_one).to_contain_text(
        "A positive nucleic acid result (IP-202-late) arrived after the discharge"
    )
    open_one.get_by_role("button", name="Close the review").click()  # nothing chosen
    expect(page.locator("#reviews > li")).to_have_count(1)  # the browser asks first
    photos(page, "reviews-open-en")
    page.goto(f"{urls['discharge']}/ui/dashboard?lang=en")
    expect(page.locator("#figure-open-reviews dd")).to_have_text("1")
    photos(page, "dashboard-en")
