"""Page dependencies: the request's `Ui`, signed-in and role checks, CSRF; interruptions."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated
from urllib.parse import urlencode

from fastapi import Depends, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from shared.auth.sessions import CSRF_HEADER
from shared.errors import Problem
from shared.web.ui.context import Ui
from shared.web.ui.site import UiSite


def local_path(ui: Ui, target: str | None) -> str:
    """`target` when it is one of this service's pages, else the landing page."""
    if (
        target
        and target.startswith(ui.url("/"))
        and "//" not in target
        and "\\" not in target
        and len(target) <= 2000
        and target.isprintable()
    ):
        return target
    return ui.url("/")


class UiInterrupt(Exception):
    """Stops a page and answers with `respond()` (redirect to sign-in, 403, stale form)."""

    def __init__(self, ui: Ui) -> None:
        super().__init__(type(self).__name__)
        self.ui = ui

    def respond(self) -> Response:
        """The answer for this interruption."""
        raise NotImplementedError


class SignInRequired(UiInterrupt):
    """No valid session: back to the sign-in page, returning here afterwards."""

    def respond(self) -> Response:
        """303 to the sign-in page with `next` set to the page asked for."""
        request = self.ui.request
        if request.method == "GET":
            here = self.ui.prefix + request.url.path
            here += "?" + request.url.query if request.url.query else ""
        else:  # a form posted elsewhere than a browser page: its address cannot be reopened
            here = self.ui.url("/")
        return self.respond_for(here)

    def respond_for(self, here: str) -> Response:
        """303 to the sign-in page, returning to the page `here` afterwards."""
        return self.ui.redirect(self.ui.url("/") + "?" + urlencode({"next": here}))


class PageForbidden(UiInterrupt):
    """Signed in, but without a role the page needs."""

    def respond(self) -> Response:
        """403 page (or problem+json)."""
        message = self.ui.gettext("Your roles do not allow this page.")
        return self.ui.error(Problem(message, status=403, code="forbidden"))


class FormExpired(UiInterrupt):
    """A form without a valid CSRF token."""

    def respond(self) -> Response:
        """403 page (or problem+json) asking to reload and try again."""
        message = self.ui.gettext(
            "This form has expired or did not come from WardGate. Reload the page and try again."
        )
        return self.ui.error(Problem(message, status=403, code="csrf_failed"))


def _site(request: Request) -> UiSite:
    site: UiSite = request.state.ui_site
    return site


async def ui_context(request: Request) -> Ui:
    """The request's `Ui` (one per request; the caller may be signed out)."""
    existing: Ui | None = getattr(request.state, "ui", None)
    if existing is None:
        # In a worker thread: reading the session may touch the session store's file and
        # renewing it signs a token, neither of which belongs on the event loop.
        existing = await run_in_threadpool(Ui, request, _site(request))
        request.state.ui = existing
    return existing


UiContext = Annotated[Ui, Depends(ui_context)]


async def signed_in(ui: UiContext) -> Ui:
    """The `Ui` of a signed-in caller; others are sent to the sign-in page."""
    if ui.principal is None:
        raise SignInRequired(ui)
    return ui


SignedIn = Annotated[Ui, Depends(signed_in)]


def signed_in_as(*roles: str) -> Callable[[Ui], Awaitable[Ui]]:
    """A dependency for pages that need one of `roles` (403 page otherwise)."""
    allowed = frozenset(roles)

    async def dependency(ui: SignedIn) -> Ui:
        if ui.principal is None or not ui.principal.has_any(allowed):
            raise PageForbidden(ui)
        return ui

    return dependency


async def csrf_protected(request: Request, ui: UiContext) -> None:
    """Refuses a posted form whose `csrf_token` (field or X-CSRF-Token header) does not fit.

    Signed in, the token must be the session's own; signed out, the CSRF cookie's.
    """
    token: object = request.headers.get(CSRF_HEADER)
    if token is None:
        token = (await request.form()).get("csrf_token")
    if not ui.csrf_valid(token):
        raise FormExpired(ui)
