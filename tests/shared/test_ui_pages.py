"""The web pages every service shares: sign-in page, session cookie, CSRF, lockout, languages."""

from __future__ import annotations

import base64
import json
import re
import shutil
from pathlib import Path

import pytest

from shared.accounts import AccountStore
from shared.auth import SESSION_COOKIE
from tests.support.keys import AUDIENCE, ISSUER

SERVICES = ("appointments", "screening", "discharge")
PASSWORDS = {"nurse": "nurse-pass-1", "auditor": "auditor-pass-1", "doctor": "doctor-pass-1"}
HTML = {"Accept": "text/html"}


@pytest.fixture(scope="session")
def users_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A users file with a nurse, an auditor and a doctor (hashed once per run)."""
    path = tmp_path_factory.mktemp("users") / "users.json"
    store = AccountStore(path)
    for name, password in PASSWORDS.items():
        store.add(name, [name], password)
    return path


@pytest.fixture
def local_key(idp, tmp_path: Path) -> Path:
    """The test IdP's private key, so local sign-in mints tokens the services trust."""
    path = tmp_path / "local-signing.pem"
    path.write_text(idp.private_pem)
    return path


@pytest.fixture
def ui_client(make_client, local_key, users_file, service_env):
    """`ui_client(service, **settings)`: a service with local sign-in and three accounts."""

    def make(service: str = "screening", **overrides):
        data_dir = Path(service_env["WARDGATE_DATA_DIR"])
        data_dir.mkdir(parents=True, exist_ok=True)
        shutil.copy(users_file, data_dir / "users.json")
        overrides.setdefault("auth_local_signing_key_file", local_key)
        return make_client(service, **overrides)

    return make


def csrf_of(html: str) -> str:
    """The CSRF token of the first form on a page."""
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found, html
    return found.group(1)


def sign_in(
    client, username: str, password: str, *, next_page: str = "", headers=None, page_headers=None
):
    """Open the sign-in page and post the form (redirects not followed)."""
    page = client.get("/ui/", headers=page_headers if page_headers is not None else headers or {})
    form = {"username": username, "password": password, "csrf_token": csrf_of(page.text)}
    if next_page:
        form["next"] = next_page
    return client.post(
        "/ui/login", data=form, headers={**HTML, **(headers or {})}, follow_redirects=False
    )


def set_cookie_header(response, name: str) -> str:
    """The Set-Cookie header of one cookie."""
    found = [h for h in response.headers.get_list("set-cookie") if h.startswith(name + "=")]
    assert found, response.headers.get_list("set-cookie")
    return found[-1]


def claims_of(token: str) -> dict:
    payload = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))


@pytest.mark.parametrize("service", SERVICES)
def test_every_service_answers_the_sign_in_page_without_a_token(make_client, service):
    client = make_client(service)
    page = client.get("/ui/")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    html = page.text
    assert "<form" in html and 'type="password"' in html and 'name="csrf_token"' in html
    for field in ("username", "password"):
        assert f'<label for="{field}">' in html and f'id="{field}"' in html
    css = client.get(re.search(r'href="(/ui/static/wardgate\.css[^"]*)"', html).group(1))
    assert css.status_code == 200 and css.headers["content-type"].startswith("text/css")
    assert client.get("/ui", follow_redirects=False).headers["location"] == "/ui/"
    assert client.get("/audit").status_code == 401  # everything else stays protected


@pytest.mark.parametrize("name", ["nothing.css", "..%2Fsign_in.py", ".hidden", "%2E%2E"])
def test_static_files_outside_the_folder_are_not_served(make_client, name):
    assert make_client("screening").get(f"/ui/static/{name}").status_code == 404


def test_signing_in_sets_an_http_only_lax_session_cookie_the_api_accepts(ui_client):
    client = ui_client("discharge")
    done = sign_in(client, "auditor", PASSWORDS["auditor"])
    assert done.status_code == 303 and done.headers["location"] == "/ui/"
    cookie = set_cookie_header(done, SESSION_COOKIE)
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Path=/" in cookie
    assert "Max-Age=28800" in cookie and "Secure" not in cookie
    claims = claims_of(client.cookies[SESSION_COOKIE])
    assert claims["sub"] == "auditor" and claims["roles"] == ["auditor"]
    assert (claims["iss"], claims["aud"]) == (ISSUER, AUDIENCE)
    # The cookie lives as long as the session (8 h); the token in it is short and renewed.
    assert claims["session_exp"] - claims["iat"] == 8 * 3600
    assert claims["exp"] - claims["iat"] <= 300
    assert client.get("/audit").status_code == 200  # the cookie is the API's credential
    landing = client.get("/ui/", headers={"Accept-Language": "en"})
    assert "Welcome, auditor" in landing.text and "Auditor" in landing.text
    assert 'type="password"' not in landing.text


def test_a_nurse_cookie_is_refused_where_the_role_does_not_allow(ui_client):
    client = ui_client("screening")
    assert sign_in(client, "nurse", PASSWORDS["nurse"]).status_code == 303
    assert client.get("/audit").status_code == 403


@pytest.mark.parametrize(
    ("base_url", "headers"),
    [("https://testserver", {}), ("http://testserver", {"X-Forwarded-Proto": "https"})],
)
def test_the_cookies_are_secure_over_https(ui_client, base_url, headers):
    client = ui_client("screening")
    client.base_url = base_url
    # The page is fetched plainly: a Secure CSRF cookie would not go back over plain http.
    done = sign_in(client, "nurse", PASSWORDS["nurse"], headers=headers, page_headers={})
    assert done.status_code == 303
    assert "Secure" in set_cookie_header(done, SESSION_COOKIE)
    assert "Secure" in set_cookie_header(done, "wardgate_csrf_screening")


@pytest.mark.parametrize(
    ("case", "form_token", "with_cookie"),
    [
        ("no token", "", True),
        ("forged token", "A" * 43, True),
        ("no csrf cookie", None, False),
    ],
)
def test_a_sign_in_without_a_valid_csrf_token_is_refused(ui_client, case, form_token, with_cookie):
    client = ui_client("screening")
    token = csrf_of(client.get("/ui/").text)
    if not with_cookie:
        client.cookies.clear()
    form = {"username": "nurse", "password": PASSWORDS["nurse"]}
    form["csrf_token"] = token if form_token is None else form_token
    refused = client.post("/ui/login", data=form, headers=HTML, follow_redirects=False)
    assert refused.status_code == 403, case
    assert refused.headers["content-type"].startswith("text/html")
    assert SESSION_COOKIE not in client.cookies
    as_api = client.post("/ui/login", data=form, follow_redirects=False)
    assert as_api.status_code == 403
    assert as_api.headers["content-type"] == "application/problem+json"
    assert as_api.json()["code"] == "csrf_failed"


def test_a_token_from_another_service_form_is_refused(ui_client):
    client = ui_client("screening")
    other = ui_client("discharge")
    foreign = csrf_of(other.get("/ui/").text)
    client.get("/ui/")
    form = {"username": "nurse", "password": PASSWORDS["nurse"], "csrf_token": foreign}
    assert client.post("/ui/login", data=form, headers=HTML).status_code == 403


def test_signing_out_needs_the_csrf_token_and_clears_the_cookie(ui_client):
    client = ui_client("screening")
    sign_in(client, "nurse", PASSWORDS["nurse"])
    landing = client.get("/ui/")
    refused = client.post("/ui/logout", data={"csrf_token": "nope"}, headers=HTML)
    assert refused.status_code == 403 and SESSION_COOKIE in client.cookies
    done = client.post(
        "/ui/logout", data={"csrf_token": csrf_of(landing.text)}, follow_redirects=False
    )
    assert done.status_code == 303 and done.headers["location"] == "/ui/"
    assert "Max-Age=0" in set_cookie_header(done, SESSION_COOKIE)
    assert SESSION_COOKIE not in client.cookies
    assert 'type="password"' in client.get("/ui/").text


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({"Accept-Language": "zh-CN,zh;q=0.9,en;q=0.8"}, "用户名或密码错误。"),
        ({"Accept-Language": "en-GB,en;q=0.9"}, "Wrong username or password."),
        ({"Accept-Language": "fr-FR, en;q=0.5, zh;q=0.4"}, "Wrong username or password."),
    ],
)
def test_a_wrong_password_is_explained_in_the_chosen_language(ui_client, headers, expected):
    client = ui_client("screening")
    refused = sign_in(client, "nurse", "not-the-password", headers=headers)
    assert refused.status_code == 401
    assert expected in refused.text and 'role="alert"' in refused.text
    assert 'value="nurse"' in refused.text  # the username stays filled in
    assert SESSION_COOKIE not in client.cookies


def test_the_language_link_sets_a_cookie_that_wins_over_accept_language(make_client):
    client = make_client("appointments")
    chinese = client.get("/ui/", headers={"Accept-Language": "zh-CN"})
    assert '<html lang="zh-Hans">' in chinese.text and "登录" in chinese.text
    assert 'href="/ui/?lang=en"' in chinese.text
    english = client.get("/ui/?lang=en", headers={"Accept-Language": "zh-CN"})
    assert '<html lang="en">' in english.text and ">Sign in</h1>" in english.text
    assert client.cookies["wardgate_lang"] == "en"
    again = client.get("/ui/", headers={"Accept-Language": "zh-CN"})
    assert ">Sign in</h1>" in again.text


def test_five_failures_lock_the_username_out(ui_client):
    client = ui_client("screening")
    answers = [sign_in(client, "Nurse", f"wrong-{i}").status_code for i in range(5)]
    assert answers == [401, 401, 401, 401, 429]
    locked = sign_in(client, "nurse", PASSWORDS["nurse"], headers={"Accept-Language": "en"})
    assert locked.status_code == 429 and locked.headers["retry-after"] == "900"
    assert "locked for 15 minutes" in locked.text
    assert SESSION_COOKIE not in client.cookies
    assert sign_in(client, "doctor", PASSWORDS["doctor"]).status_code == 303


def test_sign_ins_are_in_the_audit_trail_without_passwords(ui_client, idp):
    client = ui_client("screening")
    sign_in(client, "nurse", "secret-wrong-guess")
    sign_in(client, "nurse", PASSWORDS["nurse"])
    landing = client.get("/ui/")
    client.post("/ui/logout", data={"csrf_token": csrf_of(landing.text)})
    trail = client.get("/audit", headers=idp.headers("auditor")).json()["items"]
    rows = [(r["actor"], r["action"], r["outcome"]) for r in trail if r["action"].startswith("ui.")]
    assert rows == [
        ("nurse", "ui.sign_in", "failed"),
        ("nurse", "ui.sign_in", "ok"),
        ("nurse", "ui.sign_out", "ok"),
    ]
    dumped = json.dumps(trail)
    assert "secret-wrong-guess" not in dumped and PASSWORDS["nurse"] not in dumped


@pytest.mark.parametrize(
    ("asked", "landed"),
    [
        ("/ui/persons?q=1", "/ui/persons?q=1"),
        ("https://evil.example/ui/", "/ui/"),
        ("//evil.example/ui/", "/ui/"),
        ("/audit", "/ui/"),
    ],
)
def test_sign_in_returns_only_to_this_service_pages(ui_client, asked, landed):
    client = ui_client("screening")
    done = sign_in(client, "nurse", PASSWORDS["nurse"], next_page=asked)
    assert done.headers["location"] == landed


@pytest.mark.parametrize(
    "username", ["nurse\x00", "x" * 100_000, "护士", "<script>alert(1)</script>", ""]
)
def test_odd_usernames_are_refused_calmly(ui_client, username):
    client = ui_client("screening")
    refused = sign_in(client, username, "whatever-password")
    assert refused.status_code == 401
    assert "<script>alert" not in refused.text


def test_an_expired_or_forged_session_cookie_shows_the_sign_in_page(make_client, idp):
    client = make_client("screening")
    client.cookies.set(SESSION_COOKIE, idp.token("nurse", ttl_s=-3600))
    page = client.get("/ui/")
    assert page.status_code == 200 and 'type="password"' in page.text
    assert "Max-Age=0" in set_cookie_header(page, SESSION_COOKIE)


def test_a_session_from_the_identity_provider_shows_the_landing_page(make_client, idp):
    client = make_client("screening")
    client.cookies.set(SESSION_COOKIE, idp.token("nurse", "doctor", sub="u-17", name="Li Na"))
    page = client.get("/ui/", headers={"Accept-Language": "en"})
    assert "Welcome, Li Na" in page.text and "Nurse" in page.text and "Doctor" in page.text


def test_local_sign_in_is_off_when_only_an_external_idp_is_trusted(make_client):
    client = make_client("screening")  # AUTH_JWKS_FILE, no local signing key
    page = client.get("/ui/", headers={"Accept-Language": "en"})
    assert "<fieldset disabled>" in page.text and "Local accounts are not available" in page.text
    form = {"username": "nurse", "password": "x" * 10, "csrf_token": csrf_of(page.text)}
    assert client.post("/ui/login", data=form, headers=HTML).status_code == 403


def test_the_development_key_signs_sessions_when_no_idp_is_configured(ui_client, tmp_path):
    client = ui_client(
        "appointments",
        auth_jwks_file=None,
        auth_local_signing_key_file=None,
        auth_issuer="wardgate",
        auth_audience="wardgate",
    )
    done = sign_in(client, "auditor", PASSWORDS["auditor"])
    assert done.status_code == 303
    assert client.get("/audit").status_code == 200
    assert claims_of(client.cookies[SESSION_COOKIE])["iss"] == "wardgate"


def test_links_follow_the_gateway_path_and_the_nav_the_configured_urls(make_client):
    client = make_client(
        "discharge",
        wardgate_discharge_public_url="https://gw.example/discharge/",
        wardgate_screening_public_url="https://gw.example/screening",
    )
    html = client.get("/ui/").text
    assert 'action="/discharge/ui/login"' in html
    assert 'href="/discharge/ui/static/wardgate.css' in html
    assert 'href="https://gw.example/screening/ui/"' in html
    assert 'href="/discharge/ui/" aria-current="page"' in html


def test_pages_carry_protective_headers(make_client):
    page = make_client("screening").get("/ui/")
    assert page.headers["cache-control"] == "no-store"
    assert "frame-ancestors 'none'" in page.headers["content-security-policy"]
    assert page.headers["x-content-type-options"] == "nosniff"


def test_after_a_refused_sign_in_the_language_links_lead_to_a_page_that_exists(ui_client):
    client = ui_client("screening")
    refused = sign_in(client, "nurse", "wrong-password")
    assert 'href="/ui/?lang=en"' in refused.text and "/ui/login?lang" not in refused.text
    again = client.get("/ui/login?lang=en", follow_redirects=False)
    assert again.status_code == 303 and again.headers["location"] == "/ui/"
