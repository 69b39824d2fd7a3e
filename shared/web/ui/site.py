"""One service's web pages: its templates, catalogues, static files and links."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape

from shared.auth import Principal
from shared.settings import WardGateSettings
from shared.web.ui import i18n, security

UI_DIR = Path(__file__).parent


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
    """One service's web pages: templates, catalogues, static files, links."""

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
