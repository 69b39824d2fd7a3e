"""Each service's page catalogue: up to date with its code and templates, fully translated."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po

from shared.web.ui.i18n import LOCALE_DIR, LOCALES

ROOT = Path(__file__).resolve().parents[2]
SERVICES = ("screening", "appointments", "discharge")
PLACEHOLDER = re.compile(r"%\((\w+)\)[sd]")


def _catalog(path: Path, locale: str | None = None):
    with path.open("rb") as fh:
        return read_po(fh, locale=locale)


def _extracted(directory: Path) -> set[str]:
    with (ROOT / "babel.cfg").open() as fh:
        method_map, options_map = parse_mapping_cfg(fh)
    return {
        message[2] if isinstance(message[2], str) else message[2][0]
        for message in extract_from_dir(str(directory), method_map, options_map)
    }


def _ui(service: str) -> Path:
    return ROOT / "services" / service / "ui"


@pytest.mark.parametrize("service", SERVICES)
def test_the_template_holds_every_message_of_the_service_pages(service):
    template = {m.id for m in _catalog(_ui(service) / "locale" / "messages.pot") if m.id}
    assert _extracted(_ui(service)) == template, "run the pybabel commands in babel.cfg"


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize("service", SERVICES)
def test_every_page_message_is_translated(service, locale):
    template = {m.id for m in _catalog(_ui(service) / "locale" / "messages.pot") if m.id}
    path = _ui(service) / "locale" / locale / "LC_MESSAGES" / "messages.po"
    catalog = _catalog(path, locale)
    translated = {m.id: m.string for m in catalog if m.id and m.string and not m.fuzzy}
    assert set(translated) == template
    for msgid, text in translated.items():
        assert sorted(PLACEHOLDER.findall(text)) == sorted(PLACEHOLDER.findall(msgid)), msgid
        if locale == "zh_CN":
            assert re.search(r"[\u4e00-\u9fff]", text), msgid


@pytest.mark.parametrize("service", SERVICES)
def test_a_message_shared_with_the_foundation_reads_the_same(service):
    shared = {
        m.id: m.string for m in _catalog(LOCALE_DIR / "zh_CN" / "LC_MESSAGES" / "messages.po")
    }
    path = _ui(service) / "locale" / "zh_CN" / "LC_MESSAGES" / "messages.po"
    for message in _catalog(path, "zh_CN"):
        if message.id and message.id in shared:
            assert message.string == shared[message.id], message.id
