"""A resident's person id in screening: a keyed hash of the ID number, never the number."""

from __future__ import annotations

import hashlib
import hmac

PREFIX = "pub-"


def normalised_id_number(id_number: str) -> str:
    """The ID number as compared: no spaces, letters upper case (a trailing x is X)."""
    return "".join(id_number.split()).upper()


def public_person_id(id_number: str, key: bytes) -> str:
    """`pub-` + 40 hex digits of HMAC-SHA256(key, ID number): the same number, the same id;
    without the key the id cannot be turned back into the number (a plain hash could be, by
    trying the few billion valid ID numbers)."""
    digest = hmac.new(key, normalised_id_number(id_number).encode(), hashlib.sha256)
    return PREFIX + digest.hexdigest()[:40]
