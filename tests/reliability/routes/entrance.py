"""Who may call the entrance routes (entries of the authorization matrix)."""

from __future__ import annotations

from typing import Final

from tests.reliability.matrix_roles import ADMIN, AUDITOR, READERS, WARD_STAFF, Route

APPOINTMENTS: Final[dict[Route, frozenset[str] | None]] = {
    # The contract names nurse, infection_control, auditor, admin; doctor is "as nurse".
    ("GET", "/entrance/summary"): WARD_STAFF | {AUDITOR, ADMIN},
    # Finding a booking at the door reads appointments: as `GET /appointments`.
    ("GET", "/entrance/arrivals"): READERS,
    # Booking and checking in at the door in one step: check-in's roles (people at a desk).
    ("POST", "/entrance/walk-ins"): WARD_STAFF,
}
SCREENING: Final[dict[Route, frozenset[str] | None]] = {}
DISCHARGE: Final[dict[Route, frozenset[str] | None]] = {}
