"""The exposure list page for infection control: reasons, filters, CSV, refusals."""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, datetime, timedelta

import httpx

from services.screening.clients.appointments import AppointmentsClient
from shared.auth import SESSION_COOKIE
from tests.support.transports import service_client

HTML = {"Accept": "text/html", "Accept-Language": "en"}
BASE = (datetime.now(UTC) - timedelta(days=2)).replace(hour=10, minute=0, second=0, microsecond=0)


def page(hospital, path, role="infection_control", **params):
    client = hospital.screening
    client.cookies.set(SESSION_COOKIE, hospital_token(hospital, role))
    try:
        return client.get(path, params=params or None, headers=HTML, follow_redirects=False)
    finally:
        client.cookies.clear()


def hospital_token(hospital, role):
    return hospital.headers(role)["Authorization"].removeprefix("Bearer ")


def text_of(html):
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def arranged(hospital):
    hospital.person("IN1", "inpatient", ward="W1")
    hospital.person("IN2", "inpatient", ward="W1")
    hospital.person("OUT1", name="Wang Wu")
    hospital.visit("IN1", BASE)
    hospital.visit("OUT1", BASE + timedelta(minutes=30))
    hospital.visit("STRANGER", BASE + timedelta(minutes=45))


def test_the_page_lists_reasons_and_status_and_links_a_csv(hospital):
    arranged(hospital)
    r = page(hospital, "/ui/persons/IN1/exposures")
    assert r.status_code == 200, r.text
    text = text_of(r.text)
    assert "Same ward" in text and "Same department visit (within 2 hours)" in text
    assert "Wang Wu" in text and "Not registered for screening" in text
    assert "Exposed persons: 3" in text
    csv_link = re.search(r'href="([^"]+exposures\.csv[^"]*)"', r.text).group(1)
    # The person's status page links here for infection control.
    status_page = page(hospital, "/ui/persons/IN1")
    assert "/ui/persons/IN1/exposures" in status_page.text
    download = page(hospital, csv_link.replace("&amp;", "&"))
    assert download.status_code == 200
    rows = list(csv.DictReader(io.StringIO(download.text.removeprefix("\ufeff"))))
    assert {x["external_id"] for x in rows} == {"IN2", "OUT1", "STRANGER"}


def test_filters_narrow_the_page_and_its_csv(hospital):
    arranged(hospital)
    r = page(hospital, "/ui/persons/IN1/exposures", reason="same_ward")
    assert "Exposed persons: 1" in text_of(r.text)
    r = page(hospital, "/ui/persons/IN1/exposures", status="unregistered")
    assert "Exposed persons: 1" in text_of(r.text) and "STRANGER" in r.text
    csv_link = re.search(r'href="([^"]+exposures\.csv[^"]*)"', r.text).group(1)
    download = page(hospital, csv_link.replace("&amp;", "&"))
    rows = list(csv.DictReader(io.StringIO(download.text.removeprefix("\ufeff"))))
    assert [x["external_id"] for x in rows] == ["STRANGER"]
    first = (BASE + timedelta(days=1)).date().isoformat()
    r = page(hospital, "/ui/persons/IN1/exposures", first=first, reason="same_department_visit")
    assert "Exposed persons: 0" in text_of(r.text)
    assert page(hospital, "/ui/persons/IN1/exposures", first="30/02/2020").status_code == 422
    assert page(hospital, "/ui/persons/IN1/exposures", reason="gossip").status_code == 422


def test_who_may_see_the_page(hospital):
    hospital.person("IN1", "inpatient", ward="W1")
    assert page(hospital, "/ui/persons/IN1/exposures", role="doctor").status_code == 200
    assert page(hospital, "/ui/persons/IN1/exposures", role="nurse").status_code == 403
    signed_out = hospital.screening.get(
        "/ui/persons/IN1/exposures", headers=HTML, follow_redirects=False
    )
    assert signed_out.status_code in (303, 401)
    assert page(hospital, "/ui/persons/NOBODY/exposures").status_code == 404


def test_appointments_down_is_said_not_hidden(hospital):
    hospital.person("IN1", "inpatient", ward="W1")

    def refuse(request):
        raise httpx.ConnectError("refused")

    hospital.screening.app.state.appointments = AppointmentsClient(service_client(refuse))
    r = page(hospital, "/ui/persons/IN1/exposures")
    assert r.status_code == 503
    assert "did not answer" in text_of(r.text) and "Exposed persons" not in r.text
    assert page(hospital, "/ui/persons/IN1/exposures.csv").status_code == 503
