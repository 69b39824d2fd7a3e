"""The residents' pages (no sign-in) and the collection desk, in process, both services wired."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from services.appointments.clients.screening import ScreeningClient
from services.screening.clients.appointments import AppointmentsClient
from shared.auth import SESSION_COOKIE
from tests.support.transports import service_client
from tests.ui.conftest import csrf_of

TZ = ZoneInfo("Asia/Shanghai")
EN = {"Accept": "text/html", "Accept-Language": "en"}
ZH = {"Accept": "text/html", "Accept-Language": "zh-CN"}
ID_NUMBER = "11010519491231002X"


class Wired:
    """Appointments and screening in process, each asking the other."""

    def __init__(self, appointments: Any, screening: Any, idp: Any) -> None:
        self.appointments, self.screening, self.idp = appointments, screening, idp
        self.tomorrow = (datetime.now(TZ) + timedelta(days=1)).date().isoformat()

    def request_page(self, **params: str) -> Any:
        return self.appointments.get("/ui/public/test-request", params=params, headers=EN)

    def book(self, id_number: str = ID_NUMBER) -> Any:
        page = self.request_page(site="T1", day=self.tomorrow)
        assert page.status_code == 200, page.text
        slot = re.search(r'name="slot_start" id="slot-1" value="([^"]+)"', page.text)
        assert slot, page.text
        form = {
            "csrf_token": csrf_of(page.text),
            "site": "T1",
            "day": self.tomorrow,
            "slot_start": slot.group(1),
            "name": "张伟",
            "id_number": id_number,
            "phone": "13912345678",
        }
        return self.appointments.post("/ui/public/test-request", data=form, headers=EN)

    def look_up(self, code: str, last4: str = "002X", headers: dict[str, str] = EN) -> Any:
        page = self.screening.get("/ui/public/result", headers=headers)
        assert page.status_code == 200, page.text
        form = {"csrf_token": csrf_of(page.text), "booking_code": code, "id_number_last4": last4}
        return self.screening.post("/ui/public/result", data=form, headers=headers)


def code_of(html: str) -> str:
    found = re.search(r'id="booking-code">([A-Z0-9]{8})<', html)
    assert found, html
    return found.group(1)


@pytest.fixture
def wired(make_client: Any, idp: Any) -> Wired:
    token = idp.token("integration", sub="svc")
    appointments = make_client("appointments", wardgate_service_token=token)
    screening = make_client("screening", wardgate_service_token=token)
    appointments.app.state.screening = ScreeningClient(service_client(screening))
    screening.app.state.appointments = AppointmentsClient(service_client(appointments))
    admin = idp.headers("admin")
    for code, kind in (("T1", "testing"), ("RESP", "clinic")):
        body = {"name": f"Site {code}", "kind": kind, "capacity_per_slot": 5}
        assert appointments.put(f"/departments/{code}", json=body, headers=admin).status_code == 201
    return Wired(appointments, screening, idp)


def test_the_request_page_needs_no_sign_in_and_offers_testing_sites_only(wired):
    page = wired.request_page()
    assert page.status_code == 200
    assert "Site T1" in page.text and "Site RESP" not in page.text
    assert "Sign out" not in page.text
    slots = wired.request_page(site="T1", day=wired.tomorrow)
    assert "free)" in slots.text and 'name="id_number"' in slots.text


def test_a_resident_gets_a_booking_code_and_its_qr(wired):
    r = wired.book()
    assert r.status_code == 201, r.text
    assert "<svg" in r.text and "Your test is booked" in r.text
    assert "What to bring" in r.text and "ID card" in r.text
    assert ID_NUMBER not in r.text
    assert len(code_of(r.text)) == 8


def test_the_public_form_needs_its_token(wired):
    form = {"site": "T1", "day": wired.tomorrow, "slot_start": "x", "name": "a"}
    r = wired.appointments.post("/ui/public/test-request", data=form, headers=EN)
    assert r.status_code == 403


def test_a_refusal_is_told_in_a_residents_words(wired):
    assert wired.book().status_code == 201
    again = wired.book()
    assert again.status_code == 409
    assert "You already have a test booked at this site on that day." in again.text


def test_the_result_page_tells_the_state_and_the_same_not_found(wired):
    code = code_of(wired.book().text)
    r = wired.look_up(code)
    assert r.status_code == 200 and "Not collected yet" in r.text and "张*" in r.text
    wrong, unknown = wired.look_up(code, "1234"), wired.look_up("ZZZZZZZZ")
    assert wrong.status_code == unknown.status_code == 404
    message = "No test was found for this booking code and these digits."
    assert message in wrong.text and message in unknown.text


def test_the_pages_speak_chinese_first(wired):
    page = wired.appointments.get("/ui/public/test-request", headers={"Accept": "text/html"})
    assert "申请核酸检测" in page.text
    result = wired.screening.get("/ui/public/result", headers=ZH)
    assert "查询检测结果" in result.text


def test_the_desk_records_the_specimen_from_the_booking_code_and_fills_the_pool(wired):
    code = code_of(wired.book().text)
    desk = wired.screening
    desk.cookies.set(SESSION_COOKIE, wired.idp.token("nurse", sub="nurse1"))
    page = desk.get("/ui/collection", headers=EN)
    assert page.status_code == 200 and "Open retests" in page.text
    form = {
        "csrf_token": csrf_of(page.text),
        "scanned": code.lower(),
        "specimen_id": "TUBE-1",
        "pool_id": "POOL-7",
    }
    saved = desk.post("/ui/collection", data=form, headers=EN, follow_redirects=False)
    assert saved.status_code == 303, saved.text
    after = desk.get(saved.headers["location"], headers=EN)
    assert "Saved: tube TUBE-1" in after.text and 'id="pool-count">1/10<' in after.text
    assert 'value="POOL-7"' in after.text  # the pool tube is kept for the next person
    assert "/specimens/TUBE-1/label.pdf" in after.text
    desk.cookies.clear()
    assert "Being tested" in wired.look_up(code).text
    desk.cookies.set(SESSION_COOKIE, wired.idp.token("nurse", sub="nurse1"))
    fresh = desk.get("/ui/collection", headers=EN)
    unknown = {
        **form,
        "csrf_token": csrf_of(fresh.text),
        "scanned": "NOBODY",
        "specimen_id": "TUBE-2",
    }
    refused = desk.post("/ui/collection", data=unknown, headers=EN)
    assert refused.status_code == 404 and "No booking or person with this code." in refused.text


def test_the_desk_needs_a_nurse_sign_in(wired):
    r = wired.screening.get("/ui/collection", headers=EN, follow_redirects=False)
    assert r.status_code == 303 and "next=" in r.headers["location"]


def test_the_public_pages_are_rate_limited(make_client):
    screening = make_client("screening", wardgate_public_rate_per_min=2)
    codes = [screening.get("/ui/public/result", headers=EN).status_code for _ in range(3)]
    assert codes == [200, 200, 429]
    r = screening.get("/ui/public/result", headers=EN)
    assert r.status_code == 429 and int(r.headers["Retry-After"]) >= 1
    assert "Too many requests from this device" in r.text
    zh = screening.get("/ui/public/result", headers=ZH)
    assert zh.status_code == 429 and "本设备请求过于频繁" in zh.text


def test_the_test_request_page_is_rate_limited_in_chinese(make_client):
    appointments = make_client("appointments", wardgate_public_rate_per_min=1)
    assert appointments.get("/ui/public/test-request", headers=ZH).status_code == 200
    r = appointments.get("/ui/public/test-request", headers=ZH)
    assert r.status_code == 429 and "本设备请求过于频繁" in r.text
