"""The web pages' per-request context: language, caller, addresses, CSRF, rendering."""

from __future__ import annotations

import os
from datetime import datetime
from typing import Any
from urllib.parse import quote, urlencode, urlsplit

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from shared.auth import SESSION_COOKIE, InvalidToken, Principal
from shared.auth.sessions import web_sessions
from shared.errors import Problem
from shared.settings import WardGateSettings
from shared.web.problems import problem_response
from shared.web.ui import i18n, prg, security
from shared.web.ui.site import NavItem, UiSite

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
        self._kept: dict[str, str] | bool | None = False  # False: not read yet
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

    def translated(self, message: str | None) -> str:
        """A message that may be a known English text (a refusal's detail) in the page's
        language; any other text as it is (the API's problem+json stays English)."""
        return self.translations.gettext(message) if message else ""

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
        sessions = web_sessions(self.request.app)
        try:
            principal, renewed = sessions.from_cookie(token)
        except InvalidToken:
            self.delete_cookie(SESSION_COOKIE, path="/")
            return None
        if renewed:  # a live session's short token expired: the cookie carries the new one
            self.set_cookie(
                SESSION_COOKIE, principal.token, max_age=sessions.seconds_left(principal), path="/"
            )
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

    def choices(self, words: dict[str, Any], codes: Any = None) -> list[tuple[str, str]]:
        """(code, words translated) for a form's options, in `codes` order when given."""
        wanted = list(codes) if codes is not None else list(words)
        return [(code, self.gettext(words[code]) if code in words else code) for code in wanted]

    def local_time(self, value: datetime | str | None, *, with_date: bool = True) -> str:
        """An instant (or ISO text) in hospital local time: "2026-11-30 10:15"."""
        if value is None or value == "":
            return ""
        moment = datetime.fromisoformat(value) if isinstance(value, str) else value
        if moment.tzinfo is not None:
            moment = moment.astimezone(self.settings.timezone)
        return moment.strftime("%Y-%m-%d %H:%M" if with_date else "%H:%M")

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
        """The token every form posts as `csrf_token`: bound to the session once signed in.

        Signed out (the sign-in forms), it matches a nonce cookie (set when needed).
        """
        if self.principal is not None:
            return web_sessions(self.request.app).csrf_token(self.site.service_name, self.principal)
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
        """True when a posted token fits the session (signed in) or the CSRF cookie (not)."""
        if self.principal is not None:
            return web_sessions(self.request.app).csrf_valid(
                self.site.service_name, self.principal, token
            )
        return isinstance(token, str) and security.csrf_valid(
            self.site.secret(self.settings),
            self.site.service_name,
            self.request.cookies.get(self.csrf_cookie),
            token,
        )

    # a form kept across a sign-in ------------------------------------------------------------
    def keep_form(self, target: str, fields: dict[str, str]) -> None:
        """Keep a posted form's fields for its page `target` until the next sign-in."""
        value = prg.seal_form(self.site.secret(self.settings), target, fields)
        if value is not None:
            name = prg.kept_cookie_name(self.site.service_name)
            self.set_cookie(name, value, max_age=None, path=self.url("/"))

    @property
    def kept_form(self) -> dict[str, str] | None:
        """The fields kept for this page (read once: the cookie is then removed)."""
        if self._kept is False:
            name = prg.kept_cookie_name(self.site.service_name)
            value = self.request.cookies.get(name)
            here = self.prefix + self.request.url.path
            kept = None
            if value and self.request.method == "GET" and self.principal is not None:
                kept = prg.unseal_form(self.site.secret(self.settings), value, here)
                if kept is not None:
                    self.delete_cookie(name, path=self.url("/"))
            self._kept = kept
        return self._kept if isinstance(self._kept, dict) else None

    def kept(self, name: str, default: Any = "") -> Any:
        """A form field's kept value (after a sign-in), else `default`."""
        return prg.kept_value(self.kept_form, name, default)

    @property
    def form_waiting(self) -> bool:
        """True on the sign-in page when a typed form waits for the sign-in."""
        name = prg.kept_cookie_name(self.site.service_name)
        value = self.request.cookies.get(name)
        return self.principal is None and prg.form_waits(self.site.secret(self.settings), value)

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
