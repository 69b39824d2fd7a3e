"""The one masking rule for personal data in lists, logs, audit rows and pages
(docs/security.md): phone `138****5678`, identity number `1101********1234`."""

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
