"""A service's own pages on the shared foundation: roles, CSRF, links, templates, catalogues."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import pytest
from babel.messages.catalog import Catalog
from babel.messages.pofile import write_po
from fastapi import APIRouter, Depends, Form
from fastapi.responses import Response
from fastapi.testclient import TestClient

from services.screening.models import audit_log
from services.screening.settings import ScreeningSettings
from shared.auth import SESSION_COOKIE
from shared.web.app import create_service_app
from shared.web.ui import N_, SignedIn, Ui, UiLink, csrf_protected, signed_in_as, ui_router
from tests.shared.test_ui_pages import HTML, csrf_of

WARD_LIST = """{% extends "base.html" %}
{% block title %}{{ _("Ward list") }}{% endblock %}
{% block content %}
<h1>{{ _("Ward list") }}</h1>
<p id="ward">{{ ward }}</p>
<form method="post" action="{{ ui.url('/ward-list') }}">
  <input type="hidden" name="csrf_token" value="{{ ui.csrf_token }}">
  <label for="ward-name">{{ _("Ward") }}</label>
  <input id="ward-name" name="ward">
  <button type="submit">{{ _("Save") }}</button>
</form>
{% endblock %}
"""

NurseUi = Annotated[Ui, Depends(signed_in_as("nurse", "doctor"))]
pages = APIRouter()


@pages.get("/ward-list", summary="A ward list (test page)")
def ward_list(ui: NurseUi, ward: str = "") -> Response:
    """Render the service's own template on the shared layout."""
    return ui.render("ward_list.html", ward=ward)


@pages.post(
    "/ward-list", summary="Save the ward (test form)", dependencies=[Depends(csrf_protected)]
)
def save_ward(ui: NurseUi, ward: Annotated[str, Form()] = "") -> Response:
    """Post/redirect/get."""
    return ui.redirect(ui.url("/ward-list") + f"?ward={ward}")


@pages.get("/whoami", summary="Any signed-in person (test page)")
def whoami(ui: SignedIn) -> Response:
    """The caller's subject."""
    return Response(ui.principal.sub if ui.principal else "")


@pytest.fixture
def service_dirs(tmp_path: Path) -> tuple[Path, Path]:
    """A service's templates folder and a zh_CN catalogue translating its messages."""
    templates = tmp_path / "ui" / "templates"
    templates.mkdir(parents=True)
    (templates / "ward_list.html").write_text(WARD_LIST)
    locales = tmp_path / "ui" / "locale"
    (locales / "zh_CN" / "LC_MESSAGES").mkdir(parents=True)
    catalog = Catalog(locale="zh_CN")
    for msgid, text in {"Ward list": "病区名单", "Ward": "病区", "Save": "保存"}.items():
        catalog.add(msgid, text)
    with (locales / "zh_CN" / "LC_MESSAGES" / "messages.po").open("wb") as fh:
        write_po(fh, catalog)
    return templates, locales


@pytest.fixture
def client(database_url, service_env, service_dirs, idp):
    templates, locales = service_dirs
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
        ui=ui_router(
            "screening",
            pages=[pages],
            templates=[templates],
            locales=[locales],
            links=[UiLink(N_("Ward list"), "/ward-list", frozenset({"nurse", "doctor"}))],
        ),
    )
    with TestClient(app, raise_server_exceptions=False) as test_client:
        yield test_client


def as_role(client: TestClient, idp, role: str) -> TestClient:
    client.cookies.set(SESSION_COOKIE, idp.token(role, sub=f"{role}-1"))
    return client


def test_a_signed_out_visit_goes_to_sign_in_and_comes_back(client):
    answer = client.get("/ui/ward-list?ward=5B", follow_redirects=False)
    assert answer.status_code == 303
    assert answer.headers["location"] == "/ui/?next=%2Fui%2Fward-list%3Fward%3D5B"
    page = client.get(answer.headers["location"])
    assert 'name="next" value="/ui/ward-list?ward=5B"' in page.text


def test_a_page_renders_on_the_shared_layout_in_the_service_language(client, idp):
    page = as_role(client, idp, "nurse").get(
        "/ui/ward-list?ward=5B", headers={"Accept-Language": "zh-CN"}
    )
    assert page.status_code == 200
    assert "<h1>病区名单</h1>" in page.text and '<label for="ward-name">病区</label>' in page.text
    assert 'aria-current="page">筛查</a>' in page.text  # the shared nav, translated
    assert '<p id="ward">5B</p>' in page.text


def test_the_landing_page_offers_the_page_to_the_roles_it_is_for(client, idp):
    nurse = as_role(client, idp, "nurse").get("/ui/", headers={"Accept-Language": "en"})
    assert 'href="/ui/ward-list">Ward list</a>' in nurse.text
    auditor = as_role(client, idp, "auditor").get("/ui/", headers={"Accept-Language": "en"})
    assert "/ui/ward-list" not in auditor.text


def test_a_role_without_the_page_gets_a_403_page_and_an_audit_row(client, idp):
    refused = as_role(client, idp, "auditor").get(
        "/ui/ward-list", headers={**HTML, "Accept-Language": "en"}
    )
    assert refused.status_code == 403 and "Your roles do not allow this page." in refused.text
    client.cookies.clear()
    trail = client.get("/audit", headers=idp.headers("auditor")).json()["items"]
    denied = [r for r in trail if r["action"] == "auth.denied"]
    assert [(r["actor"], r["resource"]) for r in denied] == [("auditor-1", "GET /ui/ward-list")]


def test_a_page_form_needs_its_csrf_token(client, idp):
    as_role(client, idp, "doctor")
    page = client.get("/ui/ward-list")
    refused = client.post("/ui/ward-list", data={"ward": "7A"}, headers=HTML)
    assert refused.status_code == 403
    saved = client.post(
        "/ui/ward-list",
        data={"ward": "7A", "csrf_token": csrf_of(page.text)},
        follow_redirects=False,
    )
    assert saved.status_code == 303 and saved.headers["location"] == "/ui/ward-list?ward=7A"


def test_a_form_posted_after_the_session_ended_leads_to_the_start_page(client):
    token = csrf_of(client.get("/ui/").text)  # the CSRF cookie outlives the session
    answer = client.post(
        "/ui/ward-list", data={"ward": "7A", "csrf_token": token}, follow_redirects=False
    )
    assert answer.status_code == 303
    assert answer.headers["location"] == "/ui/?next=%2Fui%2F"


def test_signed_in_gives_the_principal(client, idp):
    assert as_role(client, idp, "auditor").get("/ui/whoami").text == "auditor-1"
