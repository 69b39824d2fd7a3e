"""Booking codes patients can read out: 8 characters without 0/O/1/I."""

from __future__ import annotations

import secrets

ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
LENGTH = 8


def new_booking_code() -> str:
    """A random code from an alphabet with no look-alike characters (40 bits)."""
    return "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))
