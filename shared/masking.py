"""The one masking rule for personal data in lists, logs, audit rows and pages
(docs/security.md): phone `138****5678`, identity number `1101********1234`, and a name
held in the inbox `Z**** S***`."""

from __future__ import annotations


def mask_id_number(value: str | None) -> str | None:
    """'110101199001011234' -> '1101********1234' (short values are masked entirely)."""
    if value is None:
        return None
    if len(value) < 10:
        return "*" * 8
    return value[:4] + "*" * 8 + value[-4:]


def mask_phone(value: str | None) -> str | None:
    """'13812345678' -> '138****5678' (short values are masked entirely)."""
    if value is None:
        return None
    if len(value) < 8:
        return "*" * 4
    return value[:3] + "*" * 4 + value[-4:]


def mask_name(name: str | None) -> str | None:
    """'Zhang San' -> 'Z**** S***': enough to recognise, not to read."""
    if not name:
        return None
    return " ".join(part[:1] + "*" * max(len(part) - 1, 1) for part in name.split())
