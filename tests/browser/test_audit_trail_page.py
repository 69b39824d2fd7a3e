"""The audit trail as an auditor sees it in Chromium (zh-CN and en, 1280 and 390 px wide), and
a form typed by a nurse whose session ended, kept across the sign-in."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import expect
from sqlalchemy import create_engine

from services.screening.models import audit_log
from shared.audit import AuditEntry, append_entry
from shared.auth import SESSION_COOKIE
from tests.browser.conftest import PASSWORDS, SCREENSHOTS
from tests.browser.test_sign_in import sign_in

pytestmark = pytest.mark.e2e
SHOTS = SCREENSHOTS / "audit"
WORDS = {
    "zh-CN": {
        "user": "用户名",
        "password": "密码",
        "sign_in": "登录",
        "heading": "审计日志",
        "signed_in": "登录",
        "denied": "拒绝访问",
        "action": "操作",
        "show": "显示",
        "blocked": "未获准出院",
        "csv": "下载 CSV（按当前筛选条件）",  # noqa: RUF001
    },
    "en": {
        "user": "Username",
        "password": "Password",
        "sign_in": "Sign in",
        "heading": "Audit trail",
        "signed_in": "Signed in",
        "denied": "Access denied",
        "action": "Action",
        "show": "Show",
        "blocked": "Blocked",
        "csv": "Download CSV (these filters)",
    },
}


def _sign_in(page, url: str, who: str, words: dict[str, str]) -> None:
    page.goto(f"{url}/ui/")
    sign_in(
        page,
        who,
        PASSWORDS[who],
        username_label=words["user"],
        password_label=words["password"],
        button=words["sign_in"],
    )


LONG_REASON = "No nucleic acid result within 72 hours; the ward was asked to take a swab. " * 3


def _discharge_attempt_row(url: str) -> None:
    """A row with long details, as the discharge gate writes them."""
    engine = create_engine(url)
    entry = AuditEntry(
        actor="nurse",
        roles="nurse",
        action="discharge.attempt",
        resource="patient/P1",
        outcome="blocked:not_eligible",
        client="10.0.0.7",
        detail={"disposition": "home", "reason": LONG_REASON, "ward": "5B"},
    )
    with engine.begin() as conn:
        append_entry(conn, audit_log, entry)
    engine.dispose()


def _shoot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


@pytest.mark.parametrize("locale", ["zh-CN", "en"])
def test_an_auditor_reads_filters_and_downloads_the_trail(
    web, new_page, database_url, locale, tmp_path: Path
):
    words = WORDS[locale]
    urls = web("screening")
    _discharge_attempt_row(database_url("screening"))
    nurse = new_page(locale=locale)
    _sign_in(nurse, urls["screening"], "nurse", words)
    assert nurse.goto(f"{urls['screening']}/audit").status == 403  # a denial, audited
    page = new_page(locale=locale)
    page.set_viewport_size({"width": 1280, "height": 900})
    _sign_in(page, urls["screening"], "auditor", words)
    page.goto(f"{urls['screening']}/ui/audit")
    expect(page.get_by_role("heading", name=words["heading"], exact=True)).to_be_visible()

    rows = page.locator("table.audit-table tbody tr")
    expect(rows).to_have_count(4)
    # Newest first: the auditor's own sign-in, then the nurse's denial, then her sign-in.
    expect(rows.nth(0)).to_contain_text("auditor")
    expect(rows.nth(0)).to_contain_text(words["signed_in"])
    expect(rows.nth(1)).to_contain_text(words["denied"])
    expect(rows.nth(2)).to_contain_text("nurse")
    expect(rows.nth(3)).to_contain_text(words["blocked"])  # the oldest: the discharge attempt
    for n in range(4):  # one row is about a line or two tall, not a column of characters
        assert rows.nth(n).bounding_box()["height"] < 110
    _shoot(page, f"trail-1280-{locale}")

    page.get_by_role("combobox", name=words["action"]).select_option("auth.denied")
    page.get_by_role("button", name=words["show"], exact=True).click()
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text(words["denied"])
    expect(rows.first).to_contain_text("GET /audit")

    with page.expect_download() as waiting:
        page.get_by_role("link", name=words["csv"]).click()
    saved = tmp_path / "audit.csv"
    waiting.value.save_as(saved)
    text = saved.read_bytes().decode("utf-8")
    assert text.startswith("\ufeff") and text.count("auth.denied") == 1
    assert "ui.sign_in" not in text  # the link carried the filter

    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{urls['screening']}/ui/audit")
    expect(rows).to_have_count(4)
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the page is {width} px wide at 390"
    for cell in (rows.first.locator(".audit-action"), rows.first.locator(".state")):
        box = cell.bounding_box()  # the action and its outcome are on screen, not cut off
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 390
    _shoot(page, f"trail-390-{locale}")


def test_a_form_typed_when_the_session_ended_is_filled_in_again_after_sign_in(web, new_page):
    words = WORDS["zh-CN"]
    urls = web("screening")
    page = new_page(locale="zh-CN")
    _sign_in(page, urls["screening"], "nurse", words)
    page.goto(f"{urls['screening']}/ui/persons/new")
    page.get_by_label("姓名").fill("张三")
    page.get_by_label("科室代码").fill("RESP")
    page.context.clear_cookies(name=SESSION_COOKIE)  # the session ends while she types
    page.get_by_role("button", name="登记", exact=True).click()

    expect(page.get_by_role("heading", name="登录", exact=True)).to_be_visible()
    expect(page.locator("#form-kept")).to_contain_text("您填写的内容会自动填回")
    _shoot(page, "kept-form-sign-in-zh-CN")
    sign_in(
        page,
        "nurse",
        PASSWORDS["nurse"],
        username_label="用户名",
        password_label="密码",
        button="登录",
    )
    expect(page).to_have_url(f"{urls['screening']}/ui/persons/new")
    expect(page.get_by_label("姓名")).to_have_value("张三")
    expect(page.get_by_label("科室代码")).to_have_value("RESP")
    expect(page.locator("#form-restored")).to_contain_text("请核对后再提交")
    _shoot(page, "kept-form-back-zh-CN")
    page.reload()
    expect(page.get_by_label("姓名")).to_have_value("")  # filled in once, kept nowhere
