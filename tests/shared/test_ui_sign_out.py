"""Signing out ends the session: at once where it was done, everywhere within 5 minutes."""

from __future__ import annotations

import shutil
from pathlib import Path

import httpx

from shared.auth import SESSION_COOKIE
from shared.auth.sessions import web_sessions
from tests.shared.test_ui_pages import (
    HTML,
    PASSWORDS,
    claims_of,
    csrf_of,
    set_cookie_header,
    sign_in,
)
from tests.support.clock import Clock


def use_clock(client, clock: Clock) -> None:
    """The service reads token expiry and sessions from `clock`."""
    client.app.state.verifier.clock = clock
    web_sessions(client.app).clock = clock


def sign_out(client) -> None:
    landing = client.get("/ui/")
    done = client.post("/ui/logout", data={"csrf_token": csrf_of(landing.text)})
    assert done.status_code == 200 and 'type="password"' in done.text


def test_the_session_cookie_holds_a_short_token_for_an_eight_hour_session(ui_client):
    client = ui_client("screening")
    done = sign_in(client, "auditor", PASSWORDS["auditor"])
    assert "Max-Age=28800" in set_cookie_header(done, SESSION_COOKIE)
    claims = claims_of(client.cookies[SESSION_COOKIE])
    leeway = client.app.state.settings.auth_leeway_s
    assert claims["exp"] - claims["iat"] + leeway == 300 and claims["sid"]


def test_the_old_cookie_is_refused_at_once_where_the_user_signed_out(ui_client):
    client = ui_client("screening")
    assert sign_in(client, "auditor", PASSWORDS["auditor"]).status_code == 303
    old = client.cookies[SESSION_COOKIE]
    assert client.get("/audit").status_code == 200
    sign_out(client)
    client.cookies.set(SESSION_COOKIE, old)  # a copy kept by someone else
    refused = client.get("/audit")
    assert refused.status_code == 401
    assert refused.headers["content-type"] == "application/problem+json"
    assert "ended" in refused.json()["detail"]
    assert 'type="password"' in client.get("/ui/").text
    client.cookies.clear()
    as_bearer = client.get("/audit", headers={"Authorization": f"Bearer {old}"})
    assert as_bearer.status_code == 401


def test_services_sharing_the_session_store_refuse_it_at_once(ui_client):
    screening, discharge = ui_client("screening"), ui_client("discharge")
    assert sign_in(screening, "auditor", PASSWORDS["auditor"]).status_code == 303
    old = screening.cookies[SESSION_COOKIE]
    discharge.cookies.set(SESSION_COOKIE, old)
    assert discharge.get("/audit").status_code == 200
    sign_out(screening)
    assert discharge.get("/audit").status_code == 401


def test_a_service_that_cannot_see_the_sign_out_refuses_it_when_the_short_token_ends(
    ui_client, tmp_path
):
    screening = ui_client("screening")
    elsewhere = ui_client("discharge", wardgate_data_dir=tmp_path / "another-host")
    clock = Clock()
    use_clock(elsewhere, clock)
    assert sign_in(screening, "auditor", PASSWORDS["auditor"]).status_code == 303
    old = screening.cookies[SESSION_COOKIE]
    sign_out(screening)
    elsewhere.cookies.set(SESSION_COOKIE, old)
    assert elsewhere.get("/audit").status_code == 200  # the bound: the short token's life
    clock.now += 301
    assert elsewhere.get("/audit").status_code == 401
    assert 'type="password"' in elsewhere.get("/ui/").text


def test_a_live_session_renews_its_short_token_on_any_service(ui_client):
    screening, discharge = ui_client("screening"), ui_client("discharge")
    clock = Clock()
    use_clock(screening, clock)
    use_clock(discharge, clock)
    assert sign_in(screening, "auditor", PASSWORDS["auditor"]).status_code == 303
    first = screening.cookies[SESSION_COOKIE]
    clock.now += 10 * 60  # the short token has expired; the session has not
    page = screening.get("/ui/", headers={"Accept-Language": "en"})
    assert "Welcome, auditor" in page.text
    renewed = screening.cookies[SESSION_COOKIE]
    assert renewed != first and claims_of(renewed)["sid"] == claims_of(first)["sid"]
    assert claims_of(renewed)["exp"] >= int(clock.now) + 240
    discharge.cookies.set(SESSION_COOKIE, first)  # the API renews too
    assert discharge.get("/audit").status_code == 200

    clock.now += 8 * 3600  # the session itself is over
    assert screening.get("/audit").status_code == 401
    assert 'type="password"' in screening.get("/ui/").text


def test_an_expired_short_token_of_an_ended_session_is_not_renewed(ui_client):
    client = ui_client("screening")
    clock = Clock()
    use_clock(client, clock)
    assert sign_in(client, "auditor", PASSWORDS["auditor"]).status_code == 303
    old = client.cookies[SESSION_COOKIE]
    sign_out(client)
    clock.now += 600
    client.cookies.set(SESSION_COOKIE, old)
    assert client.get("/audit").status_code == 401
    assert 'type="password"' in client.get("/ui/", headers=HTML).text


def test_live_services_share_sign_out_and_lockouts(live, local_key, users_file, service_env):
    """Real processes on real ports: the session store is one file they all open."""
    data_dir = Path(service_env["WARDGATE_DATA_DIR"])
    data_dir.mkdir(parents=True, exist_ok=True)
    shutil.copy(users_file, data_dir / "users.json")
    env = {"AUTH_LOCAL_SIGNING_KEY_FILE": str(local_key)}
    screening, discharge = live("screening", **env), live("discharge", **env)
    with httpx.Client(base_url=screening.url) as browser:
        page = browser.get("/ui/")
        form = {"username": "auditor", "password": PASSWORDS["auditor"]}
        done = browser.post("/ui/login", data={**form, "csrf_token": csrf_of(page.text)})
        assert done.status_code == 303
        old = browser.cookies[SESSION_COOKIE]
        assert httpx.get(f"{discharge.url}/audit", cookies={SESSION_COOKIE: old}).status_code == 200
        landing = browser.get("/ui/")
        assert browser.post("/ui/logout", data={"csrf_token": csrf_of(landing.text)}).is_redirect
    for service in (screening, discharge):
        assert httpx.get(f"{service.url}/audit", cookies={SESSION_COOKIE: old}).status_code == 401

    with httpx.Client(base_url=screening.url) as attacker:
        for i in range(5):
            page = attacker.get("/ui/")
            form = {"username": "nurse", "password": f"wrong-{i}"}
            attacker.post("/ui/login", data={**form, "csrf_token": csrf_of(page.text)})
    with httpx.Client(base_url=discharge.url) as same_address:
        page = same_address.get("/ui/")
        form = {"username": "nurse", "password": PASSWORDS["nurse"]}
        held = same_address.post("/ui/login", data={**form, "csrf_token": csrf_of(page.text)})
        assert held.status_code == 429 and held.json()["code"] == "locked_out"


def test_signing_out_of_a_hospital_session_refuses_its_cookie_at_once(make_client, idp):
    client = make_client("screening")
    token = idp.token("auditor", sub="chen.jing")
    client.cookies.set(SESSION_COOKIE, token)
    assert client.get("/audit").status_code == 200
    sign_out(client)
    client.cookies.set(SESSION_COOKIE, token)
    assert client.get("/audit").status_code == 401
    assert 'type="password"' in client.get("/ui/").text
