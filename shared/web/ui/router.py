"""`ui_router`: the /ui/ pages a service mounts (sign-in, landing, static, its own pages)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from urllib.parse import urlsplit

from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from shared.audit.trail import record_denial
from shared.web.ui import oidc, prg, sign_in
from shared.web.ui.dependencies import (
    FormExpired,
    PageForbidden,
    SignInRequired,
    UiContext,
    UiInterrupt,
    local_path,
)
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


async def _keep_and_sign_in(exc: UiInterrupt) -> Response:
    """A form posted after its session ended: keep what was typed, sign in, return to it."""
    ui = exc.ui
    request = ui.request
    referer = request.headers.get("referer")
    ours = {request.headers.get("host", ""), urlsplit(ui.public_url).netloc}
    if not referer or urlsplit(referer).netloc not in ours:  # not one of our pages' forms:
        return SignInRequired(ui).respond_for(ui.url("/"))  # nothing of it is kept
    form = await request.form()
    fields = {key: value for key, value in form.items() if isinstance(value, str)}
    target = local_path(ui, prg.form_page(referer, ui.prefix + request.url.path))
    ui.keep_form(target, fields)
    return SignInRequired(ui).respond_for(target)


def _session_ended(exc: UiInterrupt) -> bool:
    ui = exc.ui
    posted = ui.request.method == "POST" and ui.principal is None
    return posted and isinstance(exc, SignInRequired | FormExpired)


async def _on_ui_interrupt(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, UiInterrupt)
    if _session_ended(exc) and exc.ui.wants_html:
        if isinstance(exc, FormExpired):
            reason = "form posted after its session ended"
            await run_in_threadpool(record_denial, request, 403, reason)
        return await _keep_and_sign_in(exc)
    if isinstance(exc, PageForbidden):
        await run_in_threadpool(record_denial, request, 403, "page needs another role")
    elif isinstance(exc, FormExpired):
        reason = "form without the CSRF token of its session"
        await run_in_threadpool(record_denial, request, 403, reason)
    return exc.respond()


def install_ui_handlers(app: FastAPI) -> None:
    """Answer page interruptions (sign-in needed, forbidden, stale form) as pages."""
    app.add_exception_handler(UiInterrupt, _on_ui_interrupt)
