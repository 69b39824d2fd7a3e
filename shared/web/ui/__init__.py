"""The web pages every service shares: layout, sign-in, languages, CSRF.

A service adds its pages with `ui_router(name, pages=[router], templates=[...], ...)`;
a page takes `SignedIn` (or `Depends(signed_in_as(...))`) and answers `ui.render(...)`;
forms post `csrf_token` and their routes depend on `csrf_protected`.
"""

from shared.web.ui.context import Ui
from shared.web.ui.dependencies import (
    FormExpired,
    PageForbidden,
    SignedIn,
    SignInRequired,
    UiContext,
    csrf_protected,
    signed_in,
    signed_in_as,
    ui_context,
)
from shared.web.ui.i18n import N_
from shared.web.ui.router import install_ui_handlers, ui_router
from shared.web.ui.site import UiLink, UiSite

__all__ = [
    "N_",
    "FormExpired",
    "PageForbidden",
    "SignInRequired",
    "SignedIn",
    "Ui",
    "UiContext",
    "UiLink",
    "UiSite",
    "csrf_protected",
    "install_ui_handlers",
    "signed_in",
    "signed_in_as",
    "ui_context",
    "ui_router",
]
