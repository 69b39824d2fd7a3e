"""The web pages' per-service site and per-request context (`Ui`), and page dependencies."""

from __future__ import annotations

import os
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote, urlencode, urlsplit

from fastapi import Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from jinja2 import Environment, FileSystemLoader, select_autoescape

from shared.auth import SESSION_COOKIE, InvalidToken, Principal, TokenVerifier
from shared.errors import Problem
from shared.settings import WardGateSettings
from shared.web.problems import problem_response
from shared.web.ui import i18n, security

UI_DIR = Path(__file__).parent
SERVICE_LABELS = {
    "appointments": i18n.N_("Appointments"),
    "screening": i18n.N_("Screening"),
    "discharge": i18n.N_("Discharge"),
}
SECURITY_HEADERS = {
    "Cache-Control": "no-store",
    "Content-Security-Policy": (
        "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
        "object-src 'none'; base-uri 'none'; frame-ancestors 'none'"
    ),
    "Referrer-Policy": "same-origin",
    "X-Content-Type-Options": "nosniff",
}


@dataclass(frozen=True)
class UiLink:
    """A page a service offers on its landing page to callers holding one of `roles`."""

    label: str  # a msgid marked with N_(); shown translated
    path: str  # under /ui, e.g. "/persons"
    roles: frozenset[str]
    description: str = ""  # a msgid too, optional


@dataclass(frozen=True)
class NavItem:
    """One entry of the nav bar."""

    label: str
    url: str
    current: bool
    lang: str = ""  # for language links: the language the label is written in


class UiSite:
    """One service's web pages: templates, catalogues, static files, links, lockout."""

    def __init__(
        self,
        service_name: str,
        *,
        template_dirs: Sequence[Path] = (),
        locale_dirs: Sequence[Path] = (),
        static_dirs: Sequence[Path] = (),
        links: Sequence[UiLink] = (),
    ) -> None:
        self.service_name = service_name
        self.template_dirs = (*template_dirs, UI_DIR / "templates")
        self.locale_dirs = tuple(locale_dirs)
        self.static_dirs = (*static_dirs, UI_DIR / "static")
        self.links = tuple(links)
        self.lockout = security.SignInLockout()
        self.oidc_metadata: dict[str, Any] | None = None
        self._envs: dict[str, Environment] = {}
        self._secret: bytes | None = None

    def environment(self, locale: str) -> Environment:
        """The Jinja environment rendering in `locale` (built once per locale)."""
        env = self._envs.get(locale)
        if env is None:
            env = Environment(
                loader=FileSystemLoader([str(d) for d in self.template_dirs]),
                autoescape=select_autoescape(default=True, default_for_string=True),
                extensions=["jinja2.ext.i18n"],
                trim_blocks=True,
                lstrip_blocks=True,
            )
            env.install_gettext_translations(  # type: ignore[attr-defined]
                i18n.translations(locale, self.locale_dirs), newstyle=True
            )
            self._envs[locale] = env
        return env

    def secret(self, settings: WardGateSettings) -> bytes:
        """The key CSRF tokens and signed cookies are made with."""
        if self._secret is None:
            self._secret = security.ui_secret(settings)
        return self._secret

    def static_path(self, name: str) -> Path | None:
        """The file serving /ui/static/<name>, or None (plain names only, no folders)."""
        if not name or "/" in name or "\\" in name or name.startswith("."):
            return None
        for directory in self.static_dirs:
            path = directory / name
            if path.is_file():
                return path
        return None

    def links_for(self, principal: Principal) -> list[UiLink]:
        """The links this caller's roles may use."""
        return [link for link in self.links if principal.has_any(link.roles)]


def _secure_request(request: Request) -> bool:
    forwarded = request.headers.get("x-forwarded-proto", "").split(",")[0].strip().lower()
    return request.url.scheme == "https" or forwarded == "https"


class Ui:
    """What a page needs for one request: language, caller, CSRF token, rendering."""

    def __init__(self, request: Request, site: UiSite) -> None:
        self.request = request
        self.site = site
        self.settings: WardGateSettings = request.app.state.settings
        self.secure = _secure_request(request)
        self._cookies: list[tuple[str, str | None, dict[str, Any]]] = []
        self._nonce: str | None = None
        self.locale = self._choose_locale()
        self.translations = i18n.translations(self.locale, site.locale_dirs)
        self.principal = self._principal_from_cookie()

    # language ------------------------------------------------------------------------------
    def _choose_locale(self) -> str:
        asked = i18n.supported_locale(self.request.query_params.get("lang"))
        if asked:
            self.set_cookie(i18n.LANG_COOKIE, asked, max_age=365 * 86400, path="/")
            return asked
        return (
            i18n.supported_locale(self.request.cookies.get(i18n.LANG_COOKIE))
            or i18n.from_accept_language(self.request.headers.get("accept-language"))
            or i18n.supported_locale(self.settings.wardgate_default_language)
            or "en"
        )

    def gettext(self, message: str, **values: Any) -> str:
        """`message` translated, with %(name)s placeholders filled."""
        text = self.translations.gettext(message)
        return text % values if values else text

    @property
    def html_lang(self) -> str:
        """The page's `lang` attribute."""
        return i18n.HTML_LANG[self.locale]

    @property
    def languages(self) -> list[NavItem]:
        """Links switching the language of the current page."""
        if self.request.method == "GET":
            here = self.prefix + self.request.url.path
            query = {k: v for k, v in self.request.query_params.items() if k != "lang"}
        else:  # a page answering a form post: switch on the start page instead
            here, query = self.url("/"), {}
        items = []
        for code in i18n.LOCALES:
            url = here + "?" + urlencode({**query, "lang": code})
            name, current = i18n.LANG_NAMES[code], code == self.locale
            items.append(NavItem(name, url, current, lang=i18n.HTML_LANG[code]))
        return items

    # caller --------------------------------------------------------------------------------
    def _principal_from_cookie(self) -> Principal | None:
        token = self.request.cookies.get(SESSION_COOKIE)
        if not token:
            return None
        verifier: TokenVerifier = self.request.app.state.verifier
        try:
            principal = verifier.verify(token)
        except InvalidToken:
            self.delete_cookie(SESSION_COOKIE, path="/")
            return None
        self.request.state.principal = principal
        return principal

    @property
    def display_name(self) -> str:
        """The signed-in person's name as the token gives it."""
        if self.principal is None:
            return ""
        claims = self.principal.claims
        for claim in ("name", "preferred_username"):
            if isinstance(claims.get(claim), str) and claims[claim].strip():
                return str(claims[claim])
        return self.principal.sub

    @property
    def role_labels(self) -> list[str]:
        """The signed-in person's roles in words."""
        return i18n.role_labels(self.principal.roles if self.principal else (), self.translations)

    # addresses -----------------------------------------------------------------------------
    @property
    def public_url(self) -> str:
        """This service's public base URL (configured), for absolute links such as OIDC."""
        configured = self.settings.public_urls().get(self.site.service_name)
        return configured or str(self.request.base_url).rstrip("/")

    @property
    def prefix(self) -> str:
        """The path before /ui as browsers see it (e.g. "/screening" behind the gateway)."""
        return urlsplit(self.public_url).path.rstrip("/")

    def url(self, path: str = "/") -> str:
        """The browser path of one of this service's pages: ui.url("/persons")."""
        return f"{self.prefix}/ui{path}"

    def static_url(self, name: str) -> str:
        """The address of a static asset, versioned so browsers refetch it when it changes."""
        path = self.site.static_path(name)
        version = int(os.stat(path).st_mtime) if path else 0
        return f"{self.url('/static/')}{quote(name)}?v={version}"

    @property
    def nav(self) -> list[NavItem]:
        """The nav bar: each service's pages."""
        urls = self.settings.public_urls()
        return [
            NavItem(
                self.gettext(label),
                self.url("/") if name == self.site.service_name else f"{urls[name]}/ui/",
                name == self.site.service_name,
            )
            for name, label in SERVICE_LABELS.items()
        ]

    @property
    def service_label(self) -> str:
        """This service's name in words."""
        label = SERVICE_LABELS.get(self.site.service_name)
        return self.gettext(label) if label else self.site.service_name

    # CSRF ----------------------------------------------------------------------------------
    @property
    def csrf_cookie(self) -> str:
        """The name of this service's CSRF cookie."""
        return f"wardgate_csrf_{self.site.service_name}"

    @property
    def csrf_token(self) -> str:
        """The token every form posts as `csrf_token` (sets the cookie when needed)."""
        if self._nonce is None:
            self._nonce = self.request.cookies.get(self.csrf_cookie) or ""
            if not self._nonce or len(self._nonce) > 100:
                self.rotate_csrf()
        assert self._nonce is not None
        return security.csrf_token_for(
            self.site.secret(self.settings), self.site.service_name, self._nonce
        )

    def rotate_csrf(self) -> None:
        """A fresh CSRF nonce (after sign-in and sign-out)."""
        self._nonce = security.new_nonce()
        self.set_cookie(self.csrf_cookie, self._nonce, max_age=None, path=self.url("/"))

    def csrf_valid(self, token: object) -> bool:
        """True when a posted token matches the CSRF cookie this request carried."""
        return isinstance(token, str) and security.csrf_valid(
            self.site.secret(self.settings),
            self.site.service_name,
            self.request.cookies.get(self.csrf_cookie),
            token,
        )

    # responses -----------------------------------------------------------------------------
    def set_cookie(self, name: str, value: str, *, max_age: int | None, path: str) -> None:
        """Queue an HttpOnly, SameSite=Lax cookie (Secure over HTTPS) for the response."""
        self._cookies.append((name, value, {"max_age": max_age, "path": path}))

    def delete_cookie(self, name: str, *, path: str) -> None:
        """Queue the removal of a cookie."""
        self._cookies.append((name, None, {"path": path}))

    def finish(self, response: Response) -> Response:
        """Apply the queued cookies and the security headers to `response`."""
        for name, value, options in self._cookies:
            if value is None:
                response.delete_cookie(
                    name, path=options["path"], secure=self.secure, httponly=True, samesite="lax"
                )
            else:
                response.set_cookie(
                    name,
                    value,
                    max_age=options["max_age"],
                    path=options["path"],
                    secure=self.secure,
                    httponly=True,
                    samesite="lax",
                )
        for header, value in SECURITY_HEADERS.items():
            response.headers.setdefault(header, value)
        return response

    def render(self, template: str, *, status: int = 200, **context: Any) -> Response:
        """A page from `template` (extending "base.html"), in the caller's language."""
        html = self.site.environment(self.locale).get_template(template).render(ui=self, **context)
        return self.finish(HTMLResponse(html, status_code=status))

    def redirect(self, location: str) -> Response:
        """303 See Other to `location` (after a form post)."""
        return self.finish(RedirectResponse(location, status_code=303))

    @property
    def wants_html(self) -> bool:
        """True for browsers; other clients get problem+json for errors."""
        return "text/html" in self.request.headers.get("accept", "")

    def error(self, problem: Problem, template: str = "error.html", **context: Any) -> Response:
        """An error as a page for browsers, as problem+json for everyone else."""
        if not self.wants_html:
            return self.finish(problem_response(problem))
        page = self.render(template, status=problem.status, message=problem.detail, **context)
        page.headers.update(problem.headers)
        return page


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


# interrupts and dependencies -------------------------------------------------------------
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
        else:  # a form posted after the session ended: its address cannot be reopened
            here = self.ui.url("/")
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
        existing = Ui(request, _site(request))
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
    """Refuses a posted form whose `csrf_token` field does not match the CSRF cookie."""
    form = await request.form()
    if not ui.csrf_valid(form.get("csrf_token")):
        raise FormExpired(ui)
