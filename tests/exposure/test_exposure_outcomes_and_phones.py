"""The exposure list tells the truth: a contact sent to the fever clinic at that visit is no
all-clear; phones to call them on the page, in the API and in the CSV; dates in words."""

from __future__ import annotations

import csv
import io
import re
from datetime import timedelta

from tests.exposure.test_exposure_page import BASE, page, text_of

FEVER = {"temperature_c": 38.4}


def arranged(hospital):
    hospital.person("IN1", "inpatient", ward="W1")
    hospital.person("HOT", name="Zhao Re", phone="13912345678")
    hospital.person("COOL", name="Qian Liang", phone="13800001111")
    hospital.visit("IN1", BASE)
    hospital.visit("HOT", BASE + timedelta(minutes=20), **FEVER)
    hospital.visit("COOL", BASE + timedelta(minutes=40))


def row_of(html, external_id):
    table = html.split('id="exposures"')[1].split("</table>")[0]
    return next(r for r in table.split("<tr") if f">{external_id}</a>" in r)


def test_the_api_gives_each_contacts_visit_outcome_and_phone(hospital):
    arranged(hospital)
    items = hospital.listed("IN1")
    assert items["HOT"]["visit_outcomes"] == ["redirected_fever_clinic"]
    assert items["COOL"]["visit_outcomes"] == ["admitted"]
    assert items["HOT"]["phone"] == "13912345678"
    admin = hospital.exposures("IN1", role="admin").json()["items"]
    assert {i["external_id"]: i["phone"] for i in admin}["HOT"] == "139****5678"


def test_a_fever_clinic_contact_is_not_shown_as_screening_up_to_date(hospital):
    arranged(hospital)
    r = page(hospital, "/ui/persons/IN1/exposures")
    assert r.status_code == 200, r.text
    hot, cool = text_of(row_of(r.text, "HOT")), text_of(row_of(r.text, "COOL"))
    assert "Sent to the fever clinic at this visit" in hot
    assert "Screening up to date" not in hot and "Follow up: not let in at the door" in hot
    assert 'class="state good"' not in row_of(r.text, "HOT")
    assert "13912345678" in hot and 'href="tel:13912345678"' in r.text
    assert "Screening up to date" in cool and "Let in at the entrance" in cool
    client = hospital.screening
    client.cookies.set("wardgate_session", "")
    zh = page_zh(hospital, "/ui/persons/IN1/exposures")
    assert "筛查有效" not in row_of(zh, "HOT") and "本次就诊已转发热门诊" in row_of(zh, "HOT")


def page_zh(hospital, path, **params):
    from shared.auth import SESSION_COOKIE
    from tests.exposure.test_exposure_page import hospital_token

    client = hospital.screening
    client.cookies.set(SESSION_COOKIE, hospital_token(hospital, "infection_control"))
    try:
        headers = {"Accept": "text/html", "Accept-Language": "zh-CN"}
        return client.get(path, params=params or None, headers=headers).text
    finally:
        client.cookies.clear()


def test_the_csv_opens_in_excel_with_phones_local_times_and_words(hospital):
    arranged(hospital)
    r = page(hospital, "/ui/persons/IN1/exposures.csv")
    assert r.status_code == 200
    assert r.content.startswith("\ufeff".encode())
    rows = {x["external_id"]: x for x in csv.DictReader(io.StringIO(r.text.lstrip("\ufeff")))}
    hot = rows["HOT"]
    assert hot["phone"] == "13912345678"
    assert hot["visit_outcome"] == "redirected_fever_clinic"
    assert hot["visit_outcome_text"] == "Sent to the fever clinic at this visit"
    assert hot["category_text"] == "Outpatient" and hot["status"] == "compliant"
    assert re.match(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+08:00$", hot["when"]), hot["when"]
    api = hospital.screening.get(
        "/persons/IN1/exposures", headers={**hospital.headers("doctor"), "Accept": "text/csv"}
    )
    assert api.content.startswith("\ufeff".encode()) and "13912345678" in api.text


def test_dates_in_the_wrong_order_are_said_in_the_readers_language(hospital):
    arranged(hospital)
    first, last = (BASE.date().isoformat(), (BASE - timedelta(days=3)).date().isoformat())
    r = page(hospital, "/ui/persons/IN1/exposures", first=first, last=last)
    assert r.status_code == 422
    assert "The last day must not be before the first day." in text_of(r.text)
    zh = page_zh(hospital, "/ui/persons/IN1/exposures", first=first, last=last)
    assert "结束日期不能早于开始日期" in zh and "must be before" not in zh
    # Only an end before the default start (14 days before now): the service refuses it.
    early = (BASE - timedelta(days=40)).date().isoformat()
    zh = page_zh(hospital, "/ui/persons/IN1/exposures", last=early)
    assert "查询时间段的开始必须早于结束" in zh and "must be before" not in zh, text_of(zh)[-900:]
