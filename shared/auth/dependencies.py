"""FastAPI dependencies: `CurrentPrincipal` and `require(*roles)`.

A bearer token is verified as it is. The session cookie of the web pages is a credential
too, but a browser sends it on its own, so a state-changing request that carries only the
cookie must also carry the session's CSRF token (X-CSRF-Token), or it is refused (403).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import Depends, Request, Response
from starlette.concurrency import run_in_threadpool

from shared.auth.sessions import CSRF_HEADER, web_sessions
from shared.auth.tokens import InvalidToken, Principal, TokenVerifier
from shared.errors import Forbidden, Unauthorized

SESSION_COOKIE = "wardgate_session"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def _bearer(request: Request) -> str | None:
    header = request.headers.get("authorization")
    if header:
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise Unauthorized("Authorization must be 'Bearer <token>'.")
        return token.strip()
    if request.cookies.get(SESSION_COOKIE):
        return None
    raise Unauthorized("A bearer token is required.")


async def _from_bearer(request: Request, token: str) -> Principal:
    verifier: TokenVerifier = request.app.state.verifier
    principal = verifier.verify(token)
    if "sid" in principal.claims:  # a web session's token used as a bearer: still a session
        await run_in_threadpool(web_sessions(request.app).check, principal)
    return principal


def _from_cookie(request: Request, response: Response) -> Principal:
    sessions = web_sessions(request.app)
    principal, renewed = sessions.from_cookie(request.cookies[SESSION_COOKIE])
    if renewed:
        response.set_cookie(
            SESSION_COOKIE,
            principal.token,
            max_age=sessions.seconds_left(principal),
            path="/",
            secure=_secure(request),
            httponly=True,
            samesite="lax",
        )
    return principal


def _secure(request: Request) -> bool:
    forwarded = request.headers.get("x-forwarded-proto", "").split(",")[0].strip().lower()
    return request.url.scheme == "https" or forwarded == "https"


async def current_principal(request: Request, response: Response) -> Principal:
    """The verified caller; 401 problem for anything short of a valid token."""
    token = _bearer(request)
    try:
        if token is not None:
            principal = await _from_bearer(request, token)
        else:
            principal = await run_in_threadpool(_from_cookie, request, response)
    except InvalidToken as exc:
        raise Unauthorized(f"Invalid token: {exc}.") from exc
    request.state.principal = principal
    if token is None and request.method not in SAFE_METHODS:
        sessions = web_sessions(request.app)
        service = request.app.state.settings.service_name
        if not sessions.csrf_valid(service, principal, request.headers.get(CSRF_HEADER)):
            raise Forbidden(
                "A request authenticated by the session cookie alone needs the session's "
                f"CSRF token in the {CSRF_HEADER} header (or send an Authorization header).",
                code="csrf_failed",
            )
    return principal


CurrentPrincipal = Annotated[Principal, Depends(current_principal)]


# Set on `require(...)` dependencies: they verify the caller as `current_principal` does
# (the token gate reads it: such a route needs a token before its body is read).
VERIFIES_TOKEN = "wardgate_verifies_token"  # noqa: S105 - an attribute name, not a secret


def require(*roles: str) -> Callable[[Request, Response], Awaitable[Principal]]:
    """A dependency allowing callers with any of `roles`; 403 problem otherwise.

    It calls `current_principal` itself rather than depending on it: one dependency to solve
    instead of two on every request."""
    allowed = frozenset(roles)

    async def dependency(request: Request, response: Response) -> Principal:
        principal = await current_principal(request, response)
        if principal.roles.isdisjoint(allowed):
            raise Forbidden(
                "This action needs one of the roles: " + ", ".join(sorted(allowed)) + ".",
                code="forbidden",
            )
        return principal

    dependency.__name__ = "require_" + "_".join(sorted(allowed))
    setattr(dependency, VERIFIES_TOKEN, True)
    return dependency
