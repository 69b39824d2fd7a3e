"""The landing page, sign-in with a local account, sign-out and the static files."""

from __future__ import annotations

import time
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Annotated, Any

from babel.dates import format_datetime
from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import FileResponse, Response

from shared.accounts import MAX_PASSWORD_CHARS, AccountStore
from shared.audit import AuditEntry, append_entry, record_denial
from shared.auth import SESSION_COOKIE
from shared.auth.sessions import SESSION_TTL_S, local_sign_in_available, web_sessions
from shared.db import DbSession
from shared.errors import NotFound, Problem
from shared.settings import WardGateSettings
from shared.web.context import request_id_var
from shared.web.ui.context import Ui
from shared.web.ui.dependencies import UiContext, csrf_protected, local_path
from shared.web.ui.prg import kept_cookie_name
from shared.web.ui.site import UiSite
from shared.web.ui.throttle import Hold, SignInThrottle, ThrottleLimits

__all__ = ["SESSION_TTL_S", "local_sign_in_available", "oidc_configured", "router"]

router = APIRouter()


def oidc_configured(settings: WardGateSettings) -> bool:
    """The hospital sign-in button shows when AUTH_OIDC_ISSUER and a client id are set."""
    return bool(settings.auth_oidc_issuer and settings.auth_oidc_client_id)


def record_sign_in(
    session: DbSession, ui: Ui, actor: str, roles: Sequence[str], outcome: str, **detail: Any
) -> None:
    """One audit row for a sign-in, sign-in failure or sign-out (never a password)."""
    request = ui.request
    entry = AuditEntry(
        actor=actor,
        roles=",".join(sorted(roles)),
        action=detail.pop("action", "ui.sign_in"),
        resource=f"{request.method} {request.url.path}",
        outcome=outcome,
        client=request.client.host if request.client else "",
        request_id=request_id_var.get(),
        detail=detail,
    )
    append_entry(session.connection(), request.app.state.audit_table, entry)


def _printable(text: str, limit: int = 64) -> str:
    return "".join(ch for ch in text if ch.isprintable())[:limit]


def sign_in_page(ui: Ui, **context: Any) -> dict[str, Any]:
    """What the sign-in template needs besides `ui`."""
    context.setdefault("next", local_path(ui, ui.request.query_params.get("next")))
    context.setdefault("username", "")
    context.setdefault("error", None)
    return {
        "local_enabled": local_sign_in_available(ui.settings),
        "oidc_enabled": oidc_configured(ui.settings),
        **context,
    }


def _refuse(
    ui: Ui, status: int, code: str, message: str, retry_after: int = 0, **context: Any
) -> Response:
    headers = {"Retry-After": str(retry_after)} if retry_after else None
    problem = Problem(message, status=status, code=code, headers=headers)
    return ui.error(problem, "sign_in.html", **sign_in_page(ui, error=message, **context))


def _expiry(ui: Ui) -> str:
    assert ui.principal is not None
    claims = ui.principal.claims
    at = datetime.fromtimestamp(int(claims.get("session_exp") or claims["exp"]), UTC)
    return format_datetime(at, "short", tzinfo=ui.settings.timezone, locale=ui.locale)


@router.get(
    "/",
    summary="Landing page, or the sign-in page without a session",
    description="HTML. No token needed: without a valid session cookie it shows sign-in.",
)
async def landing(ui: UiContext) -> Response:
    """The signed-in person's landing page, or the sign-in form."""
    if ui.principal is None:
        return ui.render("sign_in.html", **sign_in_page(ui))
    links = ui.site.links_for(ui.principal)
    return ui.render("landing.html", links=links, expires=_expiry(ui))


@router.get("/login", summary="The sign-in page's form address (redirects to /ui/)")
async def sign_in_form(ui: UiContext) -> Response:
    """A refreshed or bookmarked form address leads back to the sign-in page."""
    return ui.redirect(ui.url("/"))


@router.post(
    "/login",
    summary="Sign in with a local account",
    description="Form post (username, password, csrf_token, next). Sets the session cookie.",
)
def sign_in(
    ui: UiContext,
    session: DbSession,
    username: Annotated[str, Form()] = "",
    password: Annotated[str, Form()] = "",
    csrf_token: Annotated[str, Form()] = "",
    next: Annotated[str, Form()] = "",
) -> Response:
    """Check the password; on success set the session cookie and go to `next`."""
    target = local_path(ui, next)
    shown = _printable(username)
    if not ui.csrf_valid(csrf_token):
        record_denial(ui.request, 403, "sign-in form without a valid CSRF token")
        message = ui.gettext("The sign-in form had expired. Please try again.")
        return _refuse(ui, 403, "csrf_failed", message, username=shown, next=target)
    if not local_sign_in_available(ui.settings):
        message = ui.gettext("Local accounts cannot sign in here. Use your hospital account.")
        return _refuse(ui, 403, "local_sign_in_disabled", message, next=target)
    sessions = web_sessions(ui.request.app)
    throttle = SignInThrottle(sessions, ThrottleLimits.from_settings(ui.settings))
    address = ui.request.client.host if ui.request.client else ""
    held = throttle.held(username, address)
    if held is not None:
        record_sign_in(session, ui, shown, (), "locked_out", method="password", rule=held.code)
        return _held(ui, held, shown, target)
    store = AccountStore(ui.settings.users_path())
    account = store.verify(username, password) if len(password) <= MAX_PASSWORD_CHARS else None
    if account is None:
        held = throttle.failed(username, address)
        record_sign_in(session, ui, shown, (), "failed", method="password", locked=held is not None)
        if held is not None:
            return _held(ui, held, shown, target)
        message = ui.gettext("Wrong username or password.")
        return _refuse(ui, 401, "sign_in_failed", message, username=shown, next=target)
    throttle.succeeded(username, address)
    token = sessions.start(account.username, account.roles)
    record_sign_in(session, ui, account.username, account.roles, "ok", method="password")
    ui.set_cookie(SESSION_COOKIE, token, max_age=SESSION_TTL_S, path="/")
    ui.rotate_csrf()
    return ui.redirect(target)


def _held(ui: Ui, held: Hold, shown: str, target: str) -> Response:
    minutes = max(1, round(held.retry_after_s / 60))
    if held.code == "address_throttled":
        message = ui.gettext(
            "Too many failed sign-ins from this address. Try again in %(minutes)d minutes.",
            minutes=minutes,
        )
    else:
        message = ui.gettext(
            "Too many failed attempts. This account is locked for %(minutes)d minutes.",
            minutes=minutes,
        )
    return _refuse(
        ui, 429, held.code, message, retry_after=held.retry_after_s, username=shown, next=target
    )


@router.post(
    "/logout",
    summary="Sign out",
    description="Form post with csrf_token. Clears the session cookie.",
    dependencies=[Depends(csrf_protected)],
)
def sign_out(ui: UiContext, session: DbSession) -> Response:
    """Clear the session cookie and show the sign-in page again."""
    if ui.principal is not None:
        principal = ui.principal
        web_sessions(ui.request.app).end(principal)
        record_sign_in(
            session, ui, principal.sub, sorted(principal.roles), "ok", action="ui.sign_out"
        )
    ui.delete_cookie(SESSION_COOKIE, path="/")
    ui.delete_cookie(kept_cookie_name(ui.site.service_name), path=ui.url("/"))  # a kept form
    ui.rotate_csrf()
    return ui.redirect(ui.url("/"))


@router.get("/static/{name}", summary="A stylesheet or other static file of the web pages")
async def static_file(request: Request, name: str) -> Response:
    """The file, cached by browsers for a day (its URL changes when it does)."""
    site: UiSite = request.state.ui_site
    path = site.static_path(name)
    if path is None:
        raise NotFound("No such file.")
    return FileResponse(path, headers={"Cache-Control": "public, max-age=86400"})


def session_seconds_left(claims: dict[str, Any]) -> int:
    """Seconds until a token's `exp`, at most the session length."""
    return max(0, min(SESSION_TTL_S, int(claims.get("exp", 0)) - int(time.time())))
