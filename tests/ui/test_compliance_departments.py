"""Compliance page: a department code nobody has is not an all-clear; known ones are offered."""

from __future__ import annotations

import re

import pytest

from tests.ui.conftest import text_of
from tests.ui.test_infection_control_page import Departments


@pytest.fixture
def screening(desk):
    d = desk("screening")
    d.client.app.state.record_sources = Departments({"RESP": "Respiratory", "DERM": "Dermatology"})
    for ext, category, dept in [("S-1", "staff", "RESP"), ("O-1", "outpatient", "ICU")]:
        body = {"name": f"Person {ext}", "category": category, "department": dept}
        assert d.api("PUT", f"/persons/{ext}", role="nurse", json=body).status_code == 201
    return d.as_("infection_control")


def test_an_unknown_code_is_said_to_be_unknown_not_all_compliant(screening):
    page = screening.get("/ui/compliance?department=NOPE")
    assert page.status_code == 422
    text = text_of(page.text)
    assert "There is no department with this code" in text
    assert "Everyone is compliant" not in text
    zh = screening.get("/ui/compliance?department=NOPE", headers={"Accept-Language": "zh-CN"})
    assert "所有人均符合要求" not in text_of(zh.text) and "没有这个科室代码" in text_of(zh.text)


def test_a_department_nobody_is_registered_in_says_so(screening):
    page = screening.get("/ui/compliance?department=DERM")  # appointments knows it
    assert page.status_code == 200
    text = text_of(page.text)
    assert "No one registered for screening belongs to department Dermatology" in text
    assert "Everyone is compliant" not in text


def test_the_filter_offers_the_known_departments_with_names(screening):
    page = screening.get("/ui/compliance")
    select = re.search(r'<select[^>]*name="department".*?</select>', page.text, re.S).group(0)
    options = re.findall(r'<option value="([^"]*)"[^>]*>([^<]*)</option>', select)
    assert options == [
        ("", "All departments"),
        ("DERM", "Dermatology (DERM)"),
        ("ICU", "ICU"),
        ("RESP", "Respiratory (RESP)"),
    ]
    resp = screening.get("/ui/compliance?department=RESP")
    assert resp.status_code == 200 and "/ui/persons/S-1" in resp.text
    assert "Respiratory" in text_of(resp.text)


def test_without_appointments_the_codes_people_have_are_still_known(screening):
    screening.client.app.state.record_sources = Departments(None)
    assert screening.get("/ui/compliance?department=RESP").status_code == 200
    assert screening.get("/ui/compliance?department=DERM").status_code == 422
