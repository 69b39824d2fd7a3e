"""`ui_router`: the /ui/ pages a service mounts (sign-in, landing, static, its own pages)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from shared.audit.trail import record_denial
from shared.web.ui import oidc, sign_in
from shared.web.ui.dependencies import FormExpired, PageForbidden, UiContext, UiInterrupt
from shared.web.ui.site import UiLink, UiSite


def ui_router(
    service_name: str,
    pages: list[APIRouter] | None = None,
    *,
    templates: Sequence[Path] = (),
    locales: Sequence[Path] = (),
    static: Sequence[Path] = (),
    links: Sequence[UiLink] = (),
) -> APIRouter:
    """The service's web pages under /ui/.

    `pages` are the service's own page routers (paths relative to /ui); `templates`,
    `locales` and `static` are its folders, searched before the shared ones; `links` are
    the pages its landing page offers to callers with the right roles.
    """
    site = UiSite(
        service_name,
        template_dirs=templates,
        locale_dirs=locales,
        static_dirs=static,
        links=links,
    )

    async def bind_site(request: Request) -> None:
        request.state.ui_site = site

    router = APIRouter(prefix="/ui", dependencies=[Depends(bind_site)], tags=["web pages"])

    @router.get("", include_in_schema=False, summary="The web pages (redirects to /ui/)")
    async def ui_root(ui: UiContext) -> Response:
        """Redirect /ui to /ui/."""
        return ui.redirect(ui.url("/"))

    router.include_router(sign_in.router, include_in_schema=False)
    router.include_router(oidc.router, include_in_schema=False)
    for page in pages or []:
        router.include_router(page, include_in_schema=False)
    return router


async def _on_ui_interrupt(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, UiInterrupt)
    if isinstance(exc, PageForbidden):
        await run_in_threadpool(record_denial, request, 403, "page needs another role")
    elif isinstance(exc, FormExpired):
        reason = "form without the CSRF token of its session"
        await run_in_threadpool(record_denial, request, 403, reason)
    return exc.respond()


def install_ui_handlers(app: FastAPI) -> None:
    """Answer page interruptions (sign-in needed, forbidden, stale form) as pages."""
    app.add_exception_handler(UiInterrupt, _on_ui_interrupt)
