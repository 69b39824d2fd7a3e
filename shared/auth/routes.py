"""Hot routes that authorize their caller before FastAPI reads anything else.

`Depends(require(...))` costs a dependency solve on every request: ~11 us of the ~250 us of
CPU a screening-status read takes in all (measured in process). A hot route names its roles
with `@allowed(*roles)` instead, on a router whose `route_class` is `AuthorizedRoute`: the
route runs the same check as `require` (401/403 problems, denials audited, an expired session
cookie renewed) before its parameters and body are read, then runs as any FastAPI route, the
caller in `request.state.principal`. A route without `@allowed` is an ordinary `APIRoute`.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

from fastapi import Request, Response
from fastapi.routing import APIRoute

from shared.auth.dependencies import VERIFIES_TOKEN, require
from shared.auth.tokens import Principal

ROLES = "wardgate_allowed_roles"
Endpoint = TypeVar("Endpoint", bound=Callable[..., Any])


def allowed(*roles: str) -> Callable[[Endpoint], Endpoint]:
    """Mark an endpoint of an `AuthorizedRoute` router: callers need one of `roles`."""

    def mark(endpoint: Endpoint) -> Endpoint:
        setattr(endpoint, ROLES, frozenset(roles))
        setattr(endpoint, VERIFIES_TOKEN, True)  # the token gate: no body without a token
        return endpoint

    return mark


def caller(request: Request) -> Principal:
    """The caller an `@allowed` route (or `require`) verified."""
    principal: Principal = request.state.principal
    return principal


class AuthorizedRoute(APIRoute):
    """An `APIRoute` that checks `@allowed` roles first, outside FastAPI's dependencies."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        """FastAPI's handler, behind the role check when the endpoint is `@allowed`."""
        handler = super().get_route_handler()
        roles = getattr(self.endpoint, ROLES, None)
        if roles is None:
            return handler
        check = require(*roles)

        async def authorized(request: Request) -> Response:
            renewal = Response()  # where `require` puts a renewed session cookie
            await check(request, renewal)
            answer = await handler(request)
            cookies = [h for h in renewal.headers.raw if h[0] == b"set-cookie"]
            if cookies:
                answer.headers.raw.extend(cookies)
            return answer

        return authorized
