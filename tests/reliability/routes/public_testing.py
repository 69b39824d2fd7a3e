"""Who may call the public testing routes (entries of the authorization matrix)."""

from __future__ import annotations

from typing import Final

from tests.reliability.matrix_roles import READERS, Route

APPOINTMENTS: Final[dict[Route, frozenset[str] | None]] = {
    ("POST", "/test-requests"): None,  # public: a resident, no sign-in (rate-limited)
    ("GET", "/test-requests/{booking_code}"): READERS,  # the collection desk
}
SCREENING: Final[dict[Route, frozenset[str] | None]] = {
    ("POST", "/test-results/lookup"): None,  # public: a resident, no sign-in (rate-limited)
}
DISCHARGE: Final[dict[Route, frozenset[str] | None]] = {}
