"""The whole seed flow through the pages, in Chromium, against the three real services.

A nurse registers an inpatient, records five results, sees the status turn compliant, runs a
discharge check and discharges; books a slot and checks a feverish patient in (sent to the
fever clinic). An auditor then sees the discharge on the dashboard and in the CSV.
"""

from __future__ import annotations

import csv
import secrets
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from playwright.sync_api import expect

from tests.browser.conftest import PASSWORDS, SERVICES
from tests.browser.test_sign_in import sign_in

pytestmark = pytest.mark.e2e
TZ = ZoneInfo("Asia/Shanghai")  # the services' default WARDGATE_TIMEZONE
DEPARTMENT = {
    "name": "Respiratory outpatients",
    "slot_minutes": 15,
    "capacity_per_slot": 5,
    "opens": "00:00",
    "closes": "23:59",
    "booking_days_ahead": 7,
}
RESULTS = [
    ("Nucleic acid test", "Negative"),
    ("IgM antibody", "Negative"),
    ("IgG antibody", "Negative"),
    ("Chest CT", "Normal"),
    ("Blood routine", "Normal"),
]


@pytest.fixture
def ward(hospital_services: Callable[..., Any], idp: Any) -> dict[str, str]:
    """The three services, each reaching the others, with RESP open; their URLs by name."""
    urls, _ = hospital_services(*SERVICES)
    department = httpx.put(
        f"{urls['appointments']}/departments/RESP", json=DEPARTMENT, headers=idp.headers("admin")
    )
    assert department.status_code == 201, department.text
    return urls


def slot_open_for_arrival(now: datetime) -> datetime:
    """A slot whose arrival window is open now and stays open for a while (hospital time)."""
    local = now.astimezone(TZ)
    current = local.replace(minute=local.minute - local.minute % 15, second=0, microsecond=0)
    following = current + timedelta(minutes=15)
    if following.hour == 23 and following.minute == 45:  # the day's grid ends at 23:45
        return current
    if current.hour == 23 and current.minute == 45:
        return following  # tomorrow 00:00: its window opened at 23:45
    return following  # starts within 15 minutes: the window is open, and lasts 15 more


def register_inpatient(page: Any, patient: str, shot: Callable[[Any, str], None]) -> None:
    """Fill the registration form the way a nurse does."""
    page.get_by_role("link", name="Register a person").first.click()
    expect(page.get_by_role("heading", name="Register a person")).to_be_visible()
    page.get_by_label("External id", exact=True).fill(patient)
    page.get_by_label("Name", exact=True).fill("Chen Jing")
    page.get_by_label("Category").select_option("inpatient")
    page.get_by_label("Department code").fill("resp")
    page.get_by_role("textbox", name="Ward").fill("W3")
    admitted = (datetime.now(TZ) - timedelta(days=3)).strftime("%Y-%m-%dT%H:%M")
    page.get_by_label("Admitted at").fill(admitted)
    shot(page, "02-register")
    page.get_by_role("button", name="Register").click()
    expect(page.get_by_role("status")).to_have_text("The person is registered.")


def record_results(page: Any, shot: Callable[[Any, str], None]) -> None:
    """Record each test's result through the two-step form."""
    for n, (test, result) in enumerate(RESULTS):
        page.get_by_role("link", name="Record a result").click()
        page.get_by_label("Step 1: test type").select_option(label=test)
        page.get_by_role("button", name="Next").click()
        page.get_by_label(result, exact=True).check()
        if test == "Blood routine":
            page.get_by_label("White blood cells").fill("6.2")
            page.get_by_label("Lymphocytes").fill("1.9")
        if n in (0, 4):
            shot(page, f"04-result-form-{n}")
        page.get_by_role("button", name="Record the result").click()
        expect(page.get_by_role("status")).to_have_text("The result is recorded.")


def discharge(page: Any, patient: str, shot: Callable[[Any, str], None]) -> None:
    """From the status page to the discharge service: check, then discharge."""
    page.get_by_role("link", name="Discharge check").click()
    expect(page.get_by_label("Patient's external id")).to_have_value(patient)
    shot(page, "06-discharge-check-form")
    page.get_by_role("button", name="Check", exact=True).click()
    expect(page.locator("#decision")).to_contain_text("May be discharged")
    expect(page.locator("table.evidence tbody tr")).to_have_count(3)
    shot(page, "07-discharge-check")
    page.get_by_label("Home", exact=True).check()
    page.get_by_role("button", name="Discharge the patient").click()
    expect(page.locator("#decision")).to_contain_text("✓ Discharged")
    shot(page, "08-discharged")


def book_and_check_in(page: Any, urls: dict[str, str], shot: Callable[[Any, str], None]) -> None:
    """Book the slot open for arrival now, then check a feverish patient in."""
    slot = slot_open_for_arrival(datetime.now(TZ))
    label = f"{slot:%H:%M}\u2013{slot + timedelta(minutes=15):%H:%M}"
    page.get_by_role("navigation", name="WardGate services").get_by_role(
        "link", name="Appointments"
    ).click()
    expect(page).to_have_url(f"{urls['appointments']}/ui/")
    page.get_by_role("link", name="Book an appointment").click()
    page.get_by_label("Department").select_option("RESP")
    page.get_by_label("Day").fill(slot.date().isoformat())
    page.get_by_role("button", name="Show the slots").click()
    page.get_by_label(label, exact=True).check()
    page.get_by_label("Patient's external id").fill("OP-FEVER-1")
    page.get_by_label("Patient's name").fill("Zhou Min")
    shot(page, "09-book")
    page.get_by_role("button", name="Book", exact=True).click()
    expect(page.locator("#booking")).to_contain_text("Booking code")
    shot(page, "10-booked")
    page.get_by_role("link", name="Arrivals of that day").click()
    expect(page.locator("#arrivals")).to_contain_text("Zhou Min")
    shot(page, "11-arrivals")
    page.get_by_role("link", name="Check in Zhou Min").click()
    page.get_by_label("Temperature").fill("38.4")
    page.locator("#mask-group").get_by_label("Yes", exact=True).check()
    page.get_by_label("Green", exact=True).check()
    page.locator("#risk_area_travel_14d-group").get_by_label("No", exact=True).check()
    shot(page, "12-check-in-form")
    page.get_by_role("button", name="Check in", exact=True).click()
    outcome = page.locator("#outcome")
    expect(outcome).to_contain_text("Go to the fever clinic")
    expect(outcome).to_contain_text("Fever: 38.4 °C")
    shot(page, "13-fever-clinic")


def audit_the_discharge(page: Any, urls: dict[str, str], patient: str, shot: Any) -> None:
    """An auditor's dashboard counts the discharge; the CSV download holds it."""
    page.goto(f"{urls['discharge']}/ui/")
    sign_in(page, "auditor", PASSWORDS["auditor"])
    page.get_by_role("link", name="Compliance dashboard").click()
    expect(page.locator("#figure-discharged dd")).to_have_text("1")
    expect(page.locator("#figure-without-evidence dd")).to_have_text("0")
    expect(page.locator("svg.chart")).to_have_count(2)
    shot(page, "14-dashboard")
    page.get_by_role("link", name="See the attempts").click()
    expect(page.locator("#attempts")).to_contain_text(patient)
    shot(page, "15-attempts")
    with page.expect_download() as download:
        page.get_by_role("link", name="Download CSV").click()
    with open(download.value.path(), newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert [(r["patient_external_id"], r["outcome"], r["actor"]) for r in rows] == [
        (patient, "discharged", "nurse")
    ]


def test_a_nurse_walks_the_ward_flow_and_an_auditor_sees_it(ward, new_page, shot):
    urls = ward
    patient = f"IP-{secrets.token_hex(3).upper()}"
    page = new_page()
    page.goto(f"{urls['screening']}/ui/")
    shot(page, "01-sign-in")
    sign_in(page, "nurse", PASSWORDS["nurse"])
    expect(page.get_by_role("heading", name="Welcome, nurse")).to_be_visible()

    register_inpatient(page, patient, shot)
    expect(page.locator("#overall")).to_contain_text("Not compliant")
    expect(page.locator('[data-state="missing"]')).to_have_count(5)
    shot(page, "03-status-not-compliant")

    record_results(page, shot)
    expect(page.locator("#overall")).to_contain_text("✓ Compliant")
    expect(page.locator('[data-state="ok"]')).to_have_count(5)
    shot(page, "05-status-compliant")

    discharge(page, patient, shot)
    book_and_check_in(page, urls, shot)

    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    audit_the_discharge(page, urls, patient, shot)
