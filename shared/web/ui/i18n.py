"""Languages of the web pages: Simplified Chinese and English, from gettext catalogues.

The catalogues are Babel `.po` files read at startup (no compiled `.mo` to build or commit):
`shared/web/ui/locale/<locale>/LC_MESSAGES/messages.po`, plus any a service adds.
"""

from __future__ import annotations

import io
from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations

LOCALES = ("zh_CN", "en")
LOCALE_DIR = Path(__file__).parent / "locale"
LANG_COOKIE = "wardgate_lang"
LANG_NAMES = {"zh_CN": "简体中文", "en": "English"}
HTML_LANG = {"zh_CN": "zh-Hans", "en": "en"}


def N_(message: str) -> str:
    """Mark a message for translation where it is defined; it is translated when shown."""
    return message


ROLE_LABELS = {
    "nurse": N_("Nurse"),
    "doctor": N_("Doctor"),
    "infection_control": N_("Infection control"),
    "auditor": N_("Auditor"),
    "admin": N_("Administrator"),
    "integration": N_("Integration client"),
}


def supported_locale(value: str | None) -> str | None:
    """The supported locale a tag such as `zh-CN`, `zh_Hans` or `en-GB` means, else None."""
    if not value:
        return None
    tag = value.strip().replace("_", "-").lower()
    if tag == "zh" or tag.startswith("zh-"):
        return "zh_CN"
    if tag == "en" or tag.startswith("en-"):
        return "en"
    return None


def from_accept_language(header: str | None) -> str | None:
    """The best supported locale of an Accept-Language header (q-values honoured)."""
    if not header:
        return None
    ranked: list[tuple[float, int, str]] = []
    for position, part in enumerate(header.split(",")[:20]):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                quality = 0.0
        ranked.append((-quality, position, tag))
    for negative_q, _, tag in sorted(ranked):
        locale = supported_locale(tag)
        if locale and negative_q < 0:
            return locale
    return None


def _load_po(path: Path, locale: str) -> Translations:
    with path.open("rb") as fh:
        catalog = read_po(fh, locale=locale)
    buffer = io.BytesIO()
    write_mo(buffer, catalog, use_fuzzy=False)
    buffer.seek(0)
    return Translations(buffer)


@lru_cache(maxsize=32)
def translations(locale: str, extra_dirs: tuple[Path, ...] = ()) -> Translations:
    """The shared catalogue for `locale`, merged with each extra locale directory's."""
    merged = _load_po(LOCALE_DIR / locale / "LC_MESSAGES" / "messages.po", locale)
    for directory in extra_dirs:
        po = directory / locale / "LC_MESSAGES" / "messages.po"
        if po.exists():
            merged.merge(_load_po(po, locale))
    return merged


def role_labels(roles: Iterable[str], gettext: Translations) -> list[str]:
    """The roles in words (unknown roles as they are), sorted as the labels read."""
    return sorted(gettext.gettext(ROLE_LABELS[r]) if r in ROLE_LABELS else r for r in roles)
