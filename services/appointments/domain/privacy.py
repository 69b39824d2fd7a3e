"""What personal data may be shown: phones are masked in every answer."""

from __future__ import annotations


def mask_phone(phone: str | None) -> str | None:
    """Only the last four digits stay readable."""
    if not phone:
        return phone
    digits = [c for c in phone if c.isdigit()]
    return "*" * max(0, len(digits) - 4) + "".join(digits[-4:])
