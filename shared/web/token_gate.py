"""Refuse a request that needs a token, sent without a valid one, before its body is read.

FastAPI reads (and parses) a route's body before it solves the route's dependencies, so the
token check in `current_principal` came after up to 10 MiB was buffered, and a malformed body
answered 422 instead of 401. The request middleware asks `token_refusal` when the route first
pulls its body: by then the router has put the matched route in the scope, and a route needs
a token exactly when `current_principal` is among its dependencies (public routes and the web
pages, which use the session cookie through their own dependencies, do not have it).
"""

from __future__ import annotations

import contextlib
from typing import Any

from fastapi.dependencies.models import Dependant
from starlette.requests import Request
from starlette.types import Scope

from shared.auth.dependencies import SESSION_COOKIE, VERIFIES_TOKEN, current_principal
from shared.auth.tokens import InvalidToken, TokenExpired, TokenVerifier
from shared.errors import Unauthorized

_FLAG = "_wardgate_needs_token"


def _depends_on(dependant: Dependant, target: Any) -> bool:
    stack = [dependant]
    while stack:
        current = stack.pop()
        if current.call is target or getattr(current.call, VERIFIES_TOKEN, False):
            return True
        stack.extend(current.dependencies)
    return False


def route_needs_token(route: Any) -> bool:
    """True when the route's dependencies verify a bearer token (cached on the route)."""
    if route is None:
        return False
    flag = getattr(route, _FLAG, None)
    if flag is None:
        dependant = getattr(route, "dependant", None)
        flag = dependant is not None and _depends_on(dependant, current_principal)
        with contextlib.suppress(AttributeError):  # a route without a __dict__: not cached
            setattr(route, _FLAG, flag)
    return bool(flag)


def _credential_refusal(scope: Scope) -> Unauthorized | None:
    # The token checks of `current_principal`, without what needs the database (a signed-out
    # session) or may renew an expired session cookie: those are left to the route.
    request = Request(scope)
    verifier: TokenVerifier = request.app.state.verifier
    header = request.headers.get("authorization")
    cookie = request.cookies.get(SESSION_COOKIE)
    if header:
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            return Unauthorized("Authorization must be 'Bearer <token>'.")
    elif cookie:
        token = cookie
    else:
        return Unauthorized("A bearer token is required.")
    try:
        verifier.verify(token.strip())
    except TokenExpired as exc:
        if not header:
            return None  # a live web session may renew its cookie: the route decides
        return Unauthorized(f"Invalid token: {exc}.")
    except InvalidToken as exc:
        return Unauthorized(f"Invalid token: {exc}.")
    return None


def token_refusal(scope: Scope) -> Unauthorized | None:
    """The 401 for a request whose route needs a token it does not carry; None otherwise."""
    if not route_needs_token(scope.get("route")):
        return None
    app = scope.get("app")
    if app is not None and current_principal in getattr(app, "dependency_overrides", {}):
        return None
    return _credential_refusal(scope)
