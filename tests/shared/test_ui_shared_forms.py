"""Shared form behaviour: the error box says only what is true, API refusals in the page's
language, a form typed when the session ended survives the sign-in, post/redirect/get."""

from __future__ import annotations

import base64
import json
import re
from html import unescape
from pathlib import Path
from typing import Annotated

import pytest
from fastapi import APIRouter, Depends, Form
from fastapi.responses import Response
from fastapi.testclient import TestClient

from services.screening.models import audit_log
from services.screening.settings import ScreeningSettings
from shared.auth import SESSION_COOKIE
from shared.web.app import create_service_app
from shared.web.ui import Ui, csrf_protected, signed_in_as, ui_router
from shared.web.ui.forms import see_other
from shared.web.ui.prg import kept_cookie_name

ZH = {"Accept-Language": "zh-CN", "Accept": "text/html"}
EN = {"Accept-Language": "en", "Accept": "text/html"}
HEADING_ZH = "请更正标出的字段"
KEPT = kept_cookie_name("screening")

WARD_FORM = """{% extends "base.html" %}
{% import "form_fields.html" as f with context %}
{% block title %}Ward form{% endblock %}
{% block content %}
{{ f.form_error(errors) }}
<form method="post" action="{{ ui.url('/ward-form') }}">{{ f.csrf() }}
{{ f.input("bed", "Bed", "", error=errors.bed) }}
{{ f.select("ward", "Ward", [("5A", "5A"), ("5B", "5B")], "5A") }}
<button type="submit">Save</button></form>
{% endblock %}
"""
BED_PAGE = """{% extends "base.html" %}{% block content %}<h1>Bed {{ bed }}</h1>{% endblock %}"""
# What a page's errors are in each case: {"": a refusal of the whole form, field: message}.
CASES = {
    "refusal": {"": "That slot is fully booked; choose another slot."},
    "field": {"bed": "Enter a whole number."},
    "validation": {"": "Please correct the marked fields.", "bed": "Enter a whole number."},
    "validation-unmarked": {"": "Please correct the marked fields."},
    "api-english": {"": "`from` must be before `to`."},
}
Nurse = Annotated[Ui, Depends(signed_in_as("nurse"))]
pages = APIRouter()


@pages.get("/ward-form", summary="A test form")
def ward_form(ui: Nurse, case: str = "") -> Response:
    """The form, with the errors of one case translated as a page would."""
    errors = {k: ui.gettext(v) if k else v for k, v in CASES.get(case, {}).items()}
    return ui.render("ward_form.html", errors=errors)


@pages.post("/ward-form", summary="Save (test)", dependencies=[Depends(csrf_protected)])
def save_ward_form(ui: Nurse, bed: Annotated[str, Form()] = "") -> Response:
    """Post/redirect/get to the record made."""
    return see_other(ui, f"/beds/{bed}")


@pages.get("/beds/{bed}", summary="A record page (test)")
def bed_page(ui: Nurse, bed: str) -> Response:
    """The record a form made."""
    return ui.render("bed.html", bed=bed)


@pytest.fixture
def client(database_url, service_env, tmp_path: Path):
    templates = tmp_path / "templates"
    templates.mkdir()
    (templates / "ward_form.html").write_text(WARD_FORM)
    (templates / "bed.html").write_text(BED_PAGE)
    settings = ScreeningSettings(
        **{k.lower(): v for k, v in service_env.items()},
        database_url=database_url("screening"),
    )
    app = create_service_app(
        settings=settings,
        title="test",
        description="test",
        audit_table=audit_log,
        routers=[],
        ui=ui_router("screening", pages=[pages], templates=[templates]),
    )
    with TestClient(app, raise_server_exceptions=False) as test_client:
        yield test_client


def _nurse(client: TestClient, idp) -> TestClient:
    client.cookies.set(SESSION_COOKIE, idp.token("nurse", sub="nurse-1"))
    return client


def _alert(html: str) -> str:
    found = re.search(r'<div class="alert error"[^>]*>(.*?)</div>', html, flags=re.S)
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", found.group(1))).split()) if found else ""


def test_a_refusal_without_a_marked_field_shows_only_its_own_words(client, idp):
    page = _nurse(client, idp).get("/ui/ward-form?case=refusal", headers=ZH)
    assert _alert(page.text) == "该时段已约满，请选择其他时段。"  # noqa: RUF001
    assert HEADING_ZH not in page.text


def test_marked_fields_are_announced_once(client, idp):
    nurse = _nurse(client, idp)
    assert _alert(nurse.get("/ui/ward-form?case=field", headers=ZH).text) == HEADING_ZH + "。"
    both = nurse.get("/ui/ward-form?case=validation", headers=ZH).text
    assert _alert(both).count(HEADING_ZH) == 1 and both.count(HEADING_ZH) == 1
    unmarked = _alert(nurse.get("/ui/ward-form?case=validation-unmarked", headers=ZH).text)
    assert HEADING_ZH not in unmarked and "表单内容有误" in unmarked


def test_an_english_api_refusal_reads_in_the_page_language(client, idp):
    nurse = _nurse(client, idp)
    assert _alert(nurse.get("/ui/ward-form?case=api-english", headers=ZH).text) == (
        "开始时间必须早于结束时间。"
    )
    english = nurse.get("/ui/ward-form?case=api-english", headers=EN).text
    assert _alert(english) == "`from` must be before `to`."


def _kept_fields(cookie_value: str) -> dict:
    body = cookie_value.strip('"').split(".")[0]
    return json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))["f"]


def test_a_form_posted_after_the_session_ended_comes_back_filled_after_sign_in(client, idp):
    client.cookies.set(SESSION_COOKIE, "expired.session.token")
    posted = client.post(
        "/ui/ward-form",
        data={"bed": "12", "ward": "5B", "csrf_token": "stale", "password": "x"},
        headers={**ZH, "Referer": "http://testserver/ui/ward-form"},
        follow_redirects=False,
    )
    assert posted.status_code == 303
    assert posted.headers["location"] == "/ui/?next=%2Fui%2Fward-form"
    kept = posted.cookies.get(KEPT)
    assert kept and _kept_fields(kept) == {"bed": "12", "ward": "5B"}  # no secrets kept
    sign_in = client.get(posted.headers["location"], headers=ZH)
    assert 'name="next" value="/ui/ward-form"' in sign_in.text
    assert "您填写的内容会自动填回" in sign_in.text

    _nurse(client, idp)
    form = client.get("/ui/ward-form", headers=ZH)
    assert 'name="bed" type="text" value="12"' in form.text
    assert '<option value="5B" selected>' in form.text
    assert "重新登录前填写的内容已填回下方" in form.text
    removed = [h for h in form.headers.get_list("set-cookie") if h.startswith(f"{KEPT}=")]
    assert removed and "Max-Age=0" in removed[0]  # filled in once, then gone
    client.cookies.delete(KEPT)
    again = client.get("/ui/ward-form", headers=ZH)
    assert 'name="bed" type="text" value=""' in again.text
    assert "重新登录前填写的内容已填回下方" not in again.text


def test_a_post_from_another_site_keeps_nothing(client):
    posted = client.post(
        "/ui/ward-form",
        data={"bed": "12", "csrf_token": "x"},
        headers={**ZH, "Referer": "https://evil.example/ui/ward-form"},
        follow_redirects=False,
    )
    assert posted.status_code == 303 and posted.headers["location"] == "/ui/?next=%2Fui%2F"
    assert KEPT not in posted.cookies


def test_a_kept_form_is_not_shown_on_another_page_or_when_forged(client, idp):
    _nurse(client, idp)
    client.cookies.set(KEPT, "eyJ0byI6ICIvdWkvd2FyZC1mb3JtIn0.forged")
    assert 'value=""' in client.get("/ui/ward-form", headers=ZH).text


def test_post_redirect_get_and_the_sign_in_round_trip_to_the_record(client, idp):
    nurse = _nurse(client, idp)
    form = nurse.get("/ui/ward-form", headers=EN).text
    token = re.search(r'name="csrf_token" value="([^"]+)"', form).group(1)
    saved = nurse.post(
        "/ui/ward-form", data={"bed": "7", "csrf_token": token}, follow_redirects=False
    )
    assert saved.status_code == 303 and saved.headers["location"] == "/ui/beds/7"
    assert "<h1>Bed 7</h1>" in nurse.get("/ui/beds/7", headers=EN).text
    client.cookies.clear()
    away = client.get("/ui/beds/7", headers=EN, follow_redirects=False)
    assert away.headers["location"] == "/ui/?next=%2Fui%2Fbeds%2F7"
    assert 'name="next" value="/ui/beds/7"' in client.get(away.headers["location"]).text
