"""Sign-in with the hospital account: the OIDC code flow against a small IdP run here.

The IdP is the one stand-in of these tests: a real HTTP server on a free port with
discovery, an authorization endpoint that approves at once, and a token endpoint that
checks the client secret, the redirect URI and PKCE before minting its tokens.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
import threading
import time
from dataclasses import dataclass, field
from typing import Annotated, Any
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
import pytest
import uvicorn
from fastapi import FastAPI, Form, Header
from fastapi.responses import JSONResponse, RedirectResponse

from shared.auth import SESSION_COOKIE, mint_token
from tests.shared.test_ui_pages import HTML, csrf_of
from tests.support.keys import AUDIENCE, TestIdp, make_idp
from tests.support.live import free_port

CLIENT_ID, CLIENT_SECRET = "wardgate-web", "client-secret-1"


@dataclass
class FakeIdp:
    """A minimal OpenID provider signing with the test IdP's key."""

    signer: TestIdp
    port: int = field(default_factory=free_port)
    sub: str = "chen.jing"
    roles: tuple[str, ...] = ("auditor",)
    wrong_nonce: bool = False
    codes: dict[str, dict[str, Any]] = field(default_factory=dict)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _sign(self, roles: tuple[str, ...], audience: str, **claims: Any) -> str:
        return mint_token(
            self.signer.private_pem,
            sub=self.sub,
            roles=roles,
            issuer=self.url,
            audience=audience,
            kid=self.signer.kid,
            extra=claims,
        )

    def app(self) -> FastAPI:
        app = FastAPI()

        @app.get("/.well-known/openid-configuration")
        def discovery() -> dict[str, str]:
            return {
                "issuer": self.url,
                "authorization_endpoint": f"{self.url}/authorize",
                "token_endpoint": f"{self.url}/token",
                "jwks_uri": f"{self.url}/jwks",
            }

        @app.get("/authorize")
        def authorize(
            client_id: str,
            redirect_uri: str,
            state: str,
            nonce: str,
            code_challenge: str,
            code_challenge_method: str,
            response_type: str,
            scope: str,
        ) -> RedirectResponse:
            assert (client_id, response_type, code_challenge_method) == (CLIENT_ID, "code", "S256")
            assert "openid" in scope.split()
            code = secrets.token_urlsafe(16)
            self.codes[code] = {
                "redirect_uri": redirect_uri,
                "nonce": nonce,
                "challenge": code_challenge,
            }
            return RedirectResponse(f"{redirect_uri}?{urlencode({'code': code, 'state': state})}")

        @app.post("/token")
        def token(
            grant_type: Annotated[str, Form()],
            code: Annotated[str, Form()],
            redirect_uri: Annotated[str, Form()],
            code_verifier: Annotated[str, Form()],
            authorization: Annotated[str, Header()] = "",
        ) -> JSONResponse:
            expected = base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()
            grant = self.codes.pop(code, None)
            digest = hashlib.sha256(code_verifier.encode()).digest()
            challenge = base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
            if (
                authorization != f"Basic {expected}"
                or grant is None
                or grant_type != "authorization_code"
                or redirect_uri != grant["redirect_uri"]
                or challenge != grant["challenge"]
            ):
                return JSONResponse({"error": "invalid_grant"}, status_code=400)
            nonce = "not-that-one" if self.wrong_nonce else grant["nonce"]
            return JSONResponse(
                {
                    "access_token": self._sign(self.roles, AUDIENCE, name="Chen Jing"),
                    "token_type": "Bearer",
                    "expires_in": 600,
                    "id_token": self._sign((), CLIENT_ID, nonce=nonce),
                }
            )

        return app


@pytest.fixture
def run_idp():
    """`run_idp(fake)`: serve a FakeIdp on its port until the test ends."""
    servers: list[tuple[uvicorn.Server, threading.Thread]] = []

    def start(fake: FakeIdp) -> FakeIdp:
        server = uvicorn.Server(
            uvicorn.Config(fake.app(), host="127.0.0.1", port=fake.port, log_level="warning")
        )
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        while not server.started:
            assert thread.is_alive(), "the fake IdP did not start"
            time.sleep(0.02)
        servers.append((server, thread))
        return fake

    yield start
    for server, thread in servers:
        server.should_exit = True
        thread.join()


@pytest.fixture
def oidc_client(make_client, run_idp, idp):
    """`oidc_client(**fake_idp_options)`: the screening service behind a running fake IdP."""

    def make(signer: TestIdp | None = None, **options: Any):
        fake = run_idp(FakeIdp(signer or idp, **options))
        client = make_client(
            "screening",
            auth_issuer=fake.url,
            auth_oidc_issuer=fake.url,
            auth_oidc_client_id=CLIENT_ID,
            auth_oidc_client_secret=CLIENT_SECRET,
            wardgate_screening_public_url="http://testserver",
        )
        return client, fake

    return make


def _start(client, next_page: str = "/ui/"):
    page = client.get("/ui/", headers={"Accept-Language": "en"})
    assert "Sign in with hospital account" in page.text
    assert 'action="/ui/oidc/start"' in page.text
    form = {"csrf_token": csrf_of(page.text), "next": next_page}
    return client.post("/ui/oidc/start", data=form, follow_redirects=False)


def _through_idp(location: str) -> str:
    """What the browser does at the IdP: follow to the redirect back to the service."""
    answer = httpx.get(location, follow_redirects=False)
    assert answer.status_code in (302, 307), answer.text
    back = urlsplit(answer.headers["location"])
    assert f"{back.scheme}://{back.netloc}{back.path}" == "http://testserver/ui/oidc/callback"
    return f"{back.path}?{back.query}"


def test_hospital_sign_in_runs_the_code_flow_and_keeps_the_access_token(oidc_client, idp):
    client, fake = oidc_client()
    started = _start(client, next_page="/ui/?from=idp")
    assert started.status_code == 303
    location = started.headers["location"]
    asked = parse_qs(urlsplit(location).query)
    assert location.startswith(f"{fake.url}/authorize?")
    assert asked["code_challenge_method"] == ["S256"] and asked["client_id"] == [CLIENT_ID]
    assert asked["redirect_uri"] == ["http://testserver/ui/oidc/callback"]
    assert "HttpOnly" in " ".join(started.headers.get_list("set-cookie"))

    done = client.get(_through_idp(location), follow_redirects=False)
    assert done.status_code == 303 and done.headers["location"] == "/ui/?from=idp"
    assert client.cookies[SESSION_COOKIE].count(".") == 2
    landing = client.get("/ui/", headers={"Accept-Language": "en"})
    assert "Welcome, Chen Jing" in landing.text and "Auditor" in landing.text
    assert client.get("/audit").status_code == 200  # the IdP's token is the API credential
    rows = [r for r in client.get("/audit").json()["items"] if r["action"] == "ui.sign_in"]
    assert [(r["actor"], r["outcome"]) for r in rows] == [("chen.jing", "ok")]


def test_a_callback_with_another_state_or_replayed_is_refused(oidc_client):
    client, _ = oidc_client()
    back = _through_idp(_start(client).headers["location"])
    forged = back.replace("state=", "state=x")
    assert client.get(forged, headers=HTML).status_code == 400
    # The transaction cookie is gone after one callback: the right state now fails too.
    assert client.get(back, headers=HTML).status_code == 400
    assert SESSION_COOKIE not in client.cookies


def test_a_refusal_at_the_idp_is_shown(oidc_client):
    client, _ = oidc_client()
    started = _start(client)
    state = parse_qs(urlsplit(started.headers["location"]).query)["state"][0]
    refused = client.get(
        f"/ui/oidc/callback?error=access_denied&state={state}",
        headers={**HTML, "Accept-Language": "en"},
    )
    assert refused.status_code == 401 and "cancelled or refused" in refused.text


def test_a_token_the_api_would_not_trust_does_not_become_a_session(oidc_client, tmp_path):
    client, _ = oidc_client(signer=make_idp(tmp_path))  # the IdP signs with an unknown key
    done = client.get(_through_idp(_start(client).headers["location"]), headers=HTML)
    assert done.status_code == 401
    assert SESSION_COOKIE not in client.cookies


def test_an_id_token_for_another_sign_in_is_refused(oidc_client):
    client, _ = oidc_client(wrong_nonce=True)
    done = client.get(_through_idp(_start(client).headers["location"]), headers=HTML)
    assert done.status_code == 401 and SESSION_COOKIE not in client.cookies


def test_starting_needs_the_csrf_token(oidc_client):
    client, _ = oidc_client()
    client.get("/ui/")
    refused = client.post("/ui/oidc/start", data={"csrf_token": "x"}, follow_redirects=False)
    assert refused.status_code == 403


def test_an_unreachable_idp_is_a_clear_503(make_client):
    client = make_client(
        "screening", auth_oidc_issuer="http://127.0.0.1:9", auth_oidc_client_id=CLIENT_ID
    )
    page = client.get("/ui/")
    refused = client.post("/ui/oidc/start", data={"csrf_token": csrf_of(page.text)}, headers=HTML)
    assert refused.status_code == 503 and 'role="alert"' in refused.text


def test_no_hospital_button_without_an_issuer(make_client):
    client = make_client("screening")
    page = client.get("/ui/")
    assert "/ui/oidc/start" not in page.text
    refused = client.post("/ui/oidc/start", data={"csrf_token": csrf_of(page.text)})
    assert refused.status_code == 404
