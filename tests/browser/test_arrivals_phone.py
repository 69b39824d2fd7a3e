"""The arrivals page on a phone (390 px), zh-CN and en, and Back after a booking (PRG).

A nurse at the door holds a phone: the patient, the status and the check-in button must be
on screen without scrolling sideways; tomorrow's bookings offer no check-in. After booking,
Back and reload must not post again.
"""

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
from tests.browser.test_ward_flow import DEPARTMENT, slot_open_for_arrival

pytestmark = pytest.mark.e2e
TZ = ZoneInfo("Asia/Shanghai")
SHOTS = Path(__file__).resolve().parents[2] / "test-output" / "screenshots" / "appointments-pages"
PHONE = {"width": 390, "height": 844}


def _book(url: str, headers: dict[str, str], patient: str, name: str, start: datetime) -> None:
    body = {
        "department": "RESP",
        "patient_external_id": patient,
        "patient_name": name,
        "slot_start": start.isoformat(),
    }
    r = httpx.post(f"{url}/appointments", json=body, headers=headers)
    assert r.status_code == 201, r.text


def _open_desk(web: Any, idp: Any) -> tuple[str, datetime]:
    """Appointments with one booking whose arrival window is open and one a day later; the
    URL and the first booking's slot (between 23:45 and midnight it is tomorrow's 00:00)."""
    url = web("appointments")["appointments"]
    admin, nurse = idp.headers("admin"), idp.headers("nurse")
    r = httpx.put(f"{url}/departments/RESP", json=DEPARTMENT, headers=admin)
    assert r.status_code == 201, r.text
    now = slot_open_for_arrival(datetime.now(TZ))
    _book(url, nurse, "OP-NOW", "Zhou Min", now)
    _book(url, nurse, "OP-TMR", "Sun Li", now + timedelta(days=1))
    return url, now


def _signed_in(new_page: Any, url: str, locale: str) -> Any:
    page = new_page(locale)
    page.goto(f"{url}/ui/?lang=en")
    sign_in(page, "nurse", PASSWORDS["nurse"])
    expect(page.get_by_role("heading", name="Welcome, nurse")).to_be_visible()
    return page


@pytest.mark.parametrize(
    ("locale", "lang", "status", "button", "later"),
    [
        ("zh-CN", "zh_CN", "已预约", "签到", "起可签到"),
        ("en-US", "en", "Booked", "Check in", "Check-in from"),
    ],
)
def test_arrivals_on_a_phone_show_status_and_check_in_without_scrolling(
    web, idp, new_page, locale, lang, status, button, later
):
    url, slot = _open_desk(web, idp)
    page = _signed_in(new_page, url, locale)
    SHOTS.mkdir(parents=True, exist_ok=True)
    now = slot.date()
    for width in (1280, 390):
        page.set_viewport_size({"width": width, "height": 900})
        for day in (now, now + timedelta(days=1)):
            page.goto(f"{url}/ui/arrivals?department=RESP&day={day.isoformat()}&lang={lang}")
            page.screenshot(path=str(SHOTS / f"arrivals-{lang}-{width}-{day}.png"), full_page=True)
    page.set_viewport_size(PHONE)
    page.goto(f"{url}/ui/arrivals?department=RESP&day={now.isoformat()}&lang={lang}")
    row = page.locator("#arrivals tbody tr", has_text="Zhou Min")
    shown_status = row.get_by_text(status, exact=True)
    expect(shown_status).to_be_visible()
    # Scrolling down to the row is fine on a phone; sideways is not (never scrolled here).
    row.evaluate("el => window.scrollTo(0, el.getBoundingClientRect().top + window.scrollY - 80)")
    expect(shown_status).to_be_in_viewport(ratio=1)
    check_in = row.get_by_role("link", name=button, exact=False)
    expect(check_in).to_be_visible()
    expect(check_in).to_be_in_viewport(ratio=1)
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    wrap = page.locator(".table-wrap", has=page.locator("#arrivals"))
    assert wrap.evaluate("el => el.scrollWidth <= el.clientWidth")
    tomorrow = (now + timedelta(days=1)).isoformat()
    page.goto(f"{url}/ui/arrivals?department=RESP&day={tomorrow}&lang={lang}")
    later_row = page.locator("#arrivals tbody tr", has_text="Sun Li")
    expect(later_row).to_contain_text(later)
    expect(later_row.get_by_role("link", name=button)).to_have_count(0)


def test_back_after_booking_shows_the_form_and_books_once(web, idp, new_page):
    url, slot = _open_desk(web, idp)
    page = _signed_in(new_page, url, "en-US")
    day = slot.date() + timedelta(days=2)  # after OP-TMR's day, within booking_days_ahead
    page.goto(f"{url}/ui/book?department=RESP&day={day.isoformat()}&lang=en")
    page.get_by_label("09:00\u201309:15", exact=True).check()
    page.get_by_label("Patient's external id").fill("OP-PRG")
    page.get_by_label("Patient's name").fill("Qian Hui")
    page.get_by_role("button", name="Book", exact=True).click()
    expect(page.locator("#booking")).to_contain_text("Booking code")
    assert "/ui/appointments/" in page.url
    page.screenshot(path=str(SHOTS / "booked-en-1280.png"), full_page=True)
    page.reload()
    expect(page.locator("#booking")).to_contain_text("Booking code")
    page.go_back()
    expect(page.get_by_role("heading", name="Book an appointment")).to_be_visible()
    page.go_forward()
    expect(page.locator("#booking")).to_contain_text("Booking code")
    stored = httpx.get(
        f"{url}/appointments",
        params={"date": day.isoformat()},
        headers=idp.headers("auditor"),
    ).json()["items"]
    assert [a["patient_external_id"] for a in stored] == ["OP-PRG"]
