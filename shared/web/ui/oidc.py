"""Sign in with the hospital account: the OpenID Connect authorization-code flow with PKCE.

The IdP's access token becomes the session cookie, so the APIs verify it exactly as they
verify a bearer token (AUTH_JWKS_FILE, issuer, audience). State, nonce and the PKCE
verifier travel in a short-lived signed cookie, so no server-side session is needed.
"""

from __future__ import annotations

import base64
import hmac
import json
import logging
import secrets
import warnings
from typing import TYPE_CHECKING, Annotated, Any

import httpx
from authlib.common.errors import AuthlibBaseError
from fastapi import APIRouter, Depends, Form
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from shared.auth import SESSION_COOKIE, InvalidToken, TokenVerifier
from shared.db import DbSession
from shared.errors import Problem
from shared.settings import WardGateSettings
from shared.web.ui import security
from shared.web.ui.context import Ui
from shared.web.ui.dependencies import UiContext, csrf_protected, local_path
from shared.web.ui.sign_in import (
    oidc_configured,
    record_sign_in,
    session_seconds_left,
    sign_in_page,
)

if TYPE_CHECKING:
    from authlib.integrations.httpx_client import AsyncOAuth2Client

STATE_TTL_S = 600
# Browsers drop cookies over about 4 KiB; a larger access token cannot be a session cookie.
MAX_COOKIE_TOKEN = 3800
TIMEOUT_S = 10.0
log = logging.getLogger("wardgate.ui.oidc")

router = APIRouter()


def _cookie(ui: Ui) -> str:
    return f"wardgate_oidc_{ui.site.service_name}"


async def provider_metadata(ui: Ui) -> dict[str, Any]:
    """The IdP's discovery document (fetched once per process)."""
    cached = ui.site.oidc_metadata
    if cached is not None:
        return cached
    issuer = str(ui.settings.auth_oidc_issuer).rstrip("/")
    async with httpx.AsyncClient(timeout=TIMEOUT_S) as client:
        answer = await client.get(f"{issuer}/.well-known/openid-configuration")
        answer.raise_for_status()
        doc = answer.json()
    if not isinstance(doc, dict) or str(doc.get("issuer", "")).rstrip("/") != issuer:
        raise ValueError("the discovery document names another issuer")
    for endpoint in ("authorization_endpoint", "token_endpoint"):
        if not isinstance(doc.get(endpoint), str):
            raise ValueError(f"the discovery document has no {endpoint}")
    ui.site.oidc_metadata = doc
    return doc


def _client(settings: WardGateSettings, redirect_uri: str) -> AsyncOAuth2Client:
    # authlib nudges towards its httpx2 backend; WardGate pins httpx. Imported here so
    # services without hospital sign-in never load it; authlib's own warning filter is
    # installed first so that ours, added after it, takes precedence.
    import authlib.deprecate  # noqa: F401

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        from authlib.integrations.httpx_client import AsyncOAuth2Client

    secret = settings.auth_oidc_client_secret
    return AsyncOAuth2Client(
        client_id=settings.auth_oidc_client_id,
        client_secret=secret,
        token_endpoint_auth_method="client_secret_basic" if secret else "none",
        scope=settings.auth_oidc_scope,
        redirect_uri=redirect_uri,
        code_challenge_method="S256",
        timeout=TIMEOUT_S,
    )


def _refuse(ui: Ui, status: int, code: str, message: str) -> Response:
    problem = Problem(message, status=status, code=code)
    return ui.error(problem, "sign_in.html", **sign_in_page(ui, error=message))


def _unavailable(ui: Ui, exc: Exception) -> Response:
    log.warning("hospital sign-in unavailable: %s", type(exc).__name__)
    message = ui.gettext("Hospital sign-in is not reachable right now. Please try again later.")
    return _refuse(ui, 503, "idp_unavailable", message)


def id_token_nonce(id_token: str) -> str | None:
    """The `nonce` claim of an ID token.

    The signature is not checked here: the ID token came straight from the IdP's token
    endpoint in answer to our authenticated code exchange (OIDC Core 3.1.3.7), and what the
    session trusts is the access token, verified below by the API's own verifier.
    """
    try:
        payload = id_token.split(".")[1]
        claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    except (IndexError, ValueError):
        return None
    nonce = claims.get("nonce") if isinstance(claims, dict) else None
    return nonce if isinstance(nonce, str) else None


@router.post(
    "/oidc/start",
    summary="Start signing in with the hospital account (OIDC)",
    description="Form post with csrf_token. Redirects to the hospital identity provider.",
    dependencies=[Depends(csrf_protected)],
)
async def oidc_start(ui: UiContext, next: Annotated[str, Form()] = "") -> Response:
    """Redirect to the IdP's authorization endpoint with state, nonce and PKCE."""
    if not oidc_configured(ui.settings):
        message = ui.gettext("Hospital sign-in is not configured on this service.")
        return _refuse(ui, 404, "oidc_not_configured", message)
    try:
        metadata = await provider_metadata(ui)
    except (httpx.HTTPError, ValueError) as exc:
        return _unavailable(ui, exc)
    state, nonce, verifier = (secrets.token_urlsafe(32) for _ in range(3))
    async with _client(ui.settings, ui.public_url + "/ui/oidc/callback") as client:
        location, _ = client.create_authorization_url(
            metadata["authorization_endpoint"], state=state, code_verifier=verifier, nonce=nonce
        )
    transaction = {"state": state, "nonce": nonce, "verifier": verifier, "next": next[:2000]}
    sealed = security.seal(ui.site.secret(ui.settings), "oidc", transaction, STATE_TTL_S)
    ui.set_cookie(_cookie(ui), sealed, max_age=STATE_TTL_S, path=ui.url("/oidc/"))
    return ui.redirect(location)


@router.get(
    "/oidc/callback",
    summary="Finish signing in with the hospital account (OIDC redirect target)",
    description="Exchanges the code, verifies the access token and sets the session cookie.",
)
async def oidc_callback(
    ui: UiContext,
    session: DbSession,
    code: str = "",
    state: str = "",
    error: str = "",
) -> Response:
    """Check state, exchange the code, and keep the IdP's access token as the session."""
    transaction = security.unseal(
        ui.site.secret(ui.settings), "oidc", ui.request.cookies.get(_cookie(ui))
    )
    ui.delete_cookie(_cookie(ui), path=ui.url("/oidc/"))
    if transaction is None or not hmac.compare_digest(
        state.encode(), str(transaction["state"]).encode()
    ):
        message = ui.gettext("The hospital sign-in expired or was not started here. Try again.")
        return _refuse(ui, 400, "oidc_state_mismatch", message)
    if error or not code:
        message = ui.gettext("The hospital sign-in was cancelled or refused.")
        return _refuse(ui, 401, "oidc_refused", message)
    try:
        metadata = await provider_metadata(ui)
        async with _client(ui.settings, ui.public_url + "/ui/oidc/callback") as client:
            token = await client.fetch_token(
                metadata["token_endpoint"],
                grant_type="authorization_code",
                code=code,
                code_verifier=transaction["verifier"],
            )
    except (httpx.HTTPError, ValueError, AuthlibBaseError) as exc:
        return _unavailable(ui, exc)
    return await _start_session(ui, session, token, transaction)


async def _start_session(
    ui: Ui, session: DbSession, token: dict[str, Any], transaction: dict[str, Any]
) -> Response:
    access = token.get("access_token")
    id_token = token.get("id_token")
    nonce_ok = not isinstance(id_token, str) or id_token_nonce(id_token) == transaction["nonce"]
    verifier: TokenVerifier = ui.request.app.state.verifier
    try:
        if not isinstance(access, str) or not nonce_ok or len(access) > MAX_COOKIE_TOKEN:
            raise InvalidToken("unusable token answer")
        principal = verifier.verify(access)
    except InvalidToken as exc:
        await run_in_threadpool(
            record_sign_in, session, ui, "anonymous", (), "failed", method="oidc", reason=str(exc)
        )
        message = ui.gettext("WardGate does not accept the token of your hospital account.")
        return _refuse(ui, 401, "oidc_token_refused", message)
    await run_in_threadpool(
        record_sign_in, session, ui, principal.sub, sorted(principal.roles), "ok", method="oidc"
    )
    ui.set_cookie(SESSION_COOKIE, access, max_age=session_seconds_left(principal.claims), path="/")
    ui.rotate_csrf()
    return ui.redirect(local_path(ui, transaction.get("next")))
