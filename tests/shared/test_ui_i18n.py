"""The web pages' languages: complete catalogues, up to date with the code, and negotiation."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po

from shared.web.ui.i18n import LOCALE_DIR, LOCALES, from_accept_language, supported_locale

ROOT = Path(__file__).resolve().parents[2]
UI_DIR = ROOT / "shared" / "web" / "ui"
PLACEHOLDER = re.compile(r"%\((\w+)\)[sd]")


def _catalog(path: Path, locale: str | None = None):
    with path.open("rb") as fh:
        return read_po(fh, locale=locale)


def _extracted() -> set[str]:
    with (ROOT / "babel.cfg").open() as fh:
        method_map, options_map = parse_mapping_cfg(fh)
    return {
        message[2] if isinstance(message[2], str) else message[2][0]
        for message in extract_from_dir(str(UI_DIR), method_map, options_map)
    }


def test_the_template_holds_every_message_the_code_and_templates_use():
    template = {m.id for m in _catalog(LOCALE_DIR / "messages.pot") if m.id}
    assert _extracted() == template, "run the pybabel commands in babel.cfg"


@pytest.mark.parametrize("locale", LOCALES)
def test_every_message_is_translated(locale):
    template = {m.id for m in _catalog(LOCALE_DIR / "messages.pot") if m.id}
    catalog = _catalog(LOCALE_DIR / locale / "LC_MESSAGES" / "messages.po", locale)
    translated = {m.id: m.string for m in catalog if m.id and m.string and not m.fuzzy}
    assert set(translated) == template
    for msgid, text in translated.items():
        assert sorted(PLACEHOLDER.findall(text)) == sorted(PLACEHOLDER.findall(msgid)), msgid


def test_chinese_messages_are_chinese():
    catalog = _catalog(LOCALE_DIR / "zh_CN" / "LC_MESSAGES" / "messages.po", "zh_CN")
    for message in catalog:
        if message.id:
            assert re.search(r"[\u4e00-\u9fff]", message.string), message.id


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("zh-CN,zh;q=0.9,en;q=0.8", "zh_CN"),
        ("en-US,en;q=0.9", "en"),
        ("zh-TW", "zh_CN"),
        ("zh-Hans-CN", "zh_CN"),
        ("en;q=0.3, zh;q=0.7", "zh_CN"),
        ("fr-FR, de;q=0.9, en;q=0.1", "en"),
        ("fr-FR, de;q=0.9", None),
        ("zh;q=0, en;q=0.5", "en"),
        ("en;q=banana", None),
        ("", None),
        (None, None),
    ],
)
def test_accept_language(header, expected):
    assert from_accept_language(header) == expected


@pytest.mark.parametrize(
    ("tag", "expected"),
    [
        ("zh_CN", "zh_CN"),
        ("zh", "zh_CN"),
        ("EN", "en"),
        ("en-gb", "en"),
        ("ja", None),
        ("", None),
        ("zh-cn\x00", "zh_CN"),
    ],
)
def test_supported_locale(tag, expected):
    assert supported_locale(tag) == expected
