"""Signing in to the web pages in a real browser: landing page, cookie, errors, lockout."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from shared.auth import SESSION_COOKIE
from tests.browser.conftest import PASSWORDS

pytestmark = pytest.mark.e2e


def sign_in(
    page,
    username: str,
    password: str,
    *,
    username_label="Username",
    password_label="Password",
    button="Sign in",
) -> None:
    """Fill the sign-in form the way a person does: by the visible labels."""
    page.get_by_label(username_label).fill(username)
    page.get_by_label(password_label, exact=True).fill(password)
    page.get_by_role("button", name=button, exact=True).click()


def test_a_nurse_signs_in_moves_between_services_and_signs_out(web, new_page, shot):
    urls = web("screening", "discharge")
    page = new_page()
    page.goto(f"{urls['screening']}/ui/")
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    shot(page, "1-sign-in")

    sign_in(page, "nurse", PASSWORDS["nurse"])
    expect(page.get_by_role("heading", name="Welcome, nurse")).to_be_visible()
    expect(page.locator(".roles")).to_have_text("Nurse")
    shot(page, "2-landing")
    cookie = next(c for c in page.context.cookies() if c["name"] == SESSION_COOKIE)
    assert cookie["httpOnly"] and cookie["sameSite"] == "Lax" and cookie["path"] == "/"
    assert page.evaluate("document.cookie").find(SESSION_COOKIE) == -1  # not readable by JS

    # The nav bar leads to the discharge service, where the same cookie is a session.
    page.get_by_role("navigation", name="WardGate services").get_by_role(
        "link", name="Discharge"
    ).click()
    expect(page).to_have_url(f"{urls['discharge']}/ui/")
    expect(page.get_by_role("heading", name="Welcome, nurse")).to_be_visible()
    shot(page, "3-discharge-landing")
    # ...and an API credential, with the nurse's roles: the audit trail is not hers.
    assert page.goto(f"{urls['discharge']}/audit").status == 403

    page.goto(f"{urls['screening']}/ui/")
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    assert all(c["name"] != SESSION_COOKIE for c in page.context.cookies())
    assert page.goto(f"{urls['discharge']}/audit").status == 401
    shot(page, "4-signed-out")


def test_an_auditor_cookie_opens_another_service_audit_trail(web, new_page, shot):
    urls = web("screening", "appointments")
    page = new_page()
    page.goto(f"{urls['screening']}/ui/")
    sign_in(page, "auditor", PASSWORDS["auditor"])
    expect(page.get_by_role("heading", name="Welcome, auditor")).to_be_visible()
    answer = page.goto(f"{urls['appointments']}/audit")
    assert answer.status == 200
    assert "items" in answer.json()
    # The screening trail holds the sign-in itself, with the auditor as the actor.
    trail = page.goto(f"{urls['screening']}/audit?action=ui.sign_in").json()["items"]
    assert [(row["actor"], row["outcome"]) for row in trail] == [("auditor", "ok")]


def test_a_wrong_password_is_explained_in_chinese_and_the_language_can_be_switched(
    web, new_page, shot
):
    urls = web("screening")
    page = new_page(locale="zh-CN")
    page.goto(f"{urls['screening']}/ui/")
    expect(page.get_by_role("heading", name="登录")).to_be_visible()
    sign_in(
        page,
        "nurse",
        "not-her-password",
        username_label="用户名",
        password_label="密码",
        button="登录",
    )
    expect(page.get_by_role("alert")).to_have_text("用户名或密码错误。")
    expect(page.get_by_label("用户名")).to_have_value("nurse")
    shot(page, "1-wrong-password-zh")

    page.get_by_role("link", name="English").click()
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    sign_in(page, "nurse", "still-not-it")
    expect(page.get_by_role("alert")).to_have_text("Wrong username or password.")
    shot(page, "2-wrong-password-en")


def test_five_failures_lock_the_account(web, new_page, shot):
    urls = web("screening")
    page = new_page()
    page.goto(f"{urls['screening']}/ui/")
    for attempt in range(4):
        sign_in(page, "doctor", f"guess-{attempt}")
        expect(page.get_by_role("alert")).to_have_text("Wrong username or password.")
    sign_in(page, "doctor", "guess-5")
    locked = "Too many failed attempts. This account is locked for 15 minutes."
    expect(page.get_by_role("alert")).to_have_text(locked)
    sign_in(page, "doctor", PASSWORDS["doctor"])  # the right password does not help now
    expect(page.get_by_role("alert")).to_have_text(locked)
    assert all(c["name"] != SESSION_COOKIE for c in page.context.cookies())
    shot(page, "locked-out")


def test_signing_in_with_the_keyboard_alone(web, new_page, shot):
    urls = web("screening")
    page = new_page()
    page.goto(f"{urls['screening']}/ui/")
    expect(page.get_by_label("Username")).to_be_focused()  # autofocus: start typing
    page.keyboard.type("nurse")
    page.keyboard.press("Tab")
    expect(page.get_by_label("Password", exact=True)).to_be_focused()
    page.keyboard.type(PASSWORDS["nurse"])
    page.keyboard.press("Tab")
    expect(page.get_by_role("button", name="Sign in", exact=True)).to_be_focused()
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline == "solid"  # the focus is visible
    shot(page, "focus-on-button")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Welcome, nurse")).to_be_visible()
