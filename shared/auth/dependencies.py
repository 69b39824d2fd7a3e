"""FastAPI dependencies: `CurrentPrincipal` and `require(*roles)`."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import Depends, Request

from shared.auth.tokens import InvalidToken, Principal, TokenVerifier
from shared.errors import Forbidden, Unauthorized

SESSION_COOKIE = "wardgate_session"


def _bearer(request: Request) -> str:
    header = request.headers.get("authorization")
    if header:
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise Unauthorized("Authorization must be 'Bearer <token>'.")
        return token.strip()
    cookie = request.cookies.get(SESSION_COOKIE)
    if cookie:
        return cookie
    raise Unauthorized("A bearer token is required.")


async def current_principal(request: Request) -> Principal:
    """The verified caller; 401 problem for anything short of a valid token."""
    verifier: TokenVerifier = request.app.state.verifier
    try:
        principal = verifier.verify(_bearer(request))
    except InvalidToken as exc:
        raise Unauthorized(f"Invalid token: {exc}.") from exc
    request.state.principal = principal
    return principal


CurrentPrincipal = Annotated[Principal, Depends(current_principal)]


def require(*roles: str) -> Callable[[Principal], Awaitable[Principal]]:
    """A dependency allowing callers with any of `roles`; 403 problem otherwise."""
    allowed = frozenset(roles)

    async def dependency(principal: CurrentPrincipal) -> Principal:
        if principal.roles.isdisjoint(allowed):
            raise Forbidden(
                "This action needs one of the roles: " + ", ".join(sorted(allowed)) + ".",
                code="forbidden",
            )
        return principal

    dependency.__name__ = "require_" + "_".join(sorted(allowed))
    return dependency
