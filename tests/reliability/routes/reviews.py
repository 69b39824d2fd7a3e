"""Who may call the reviews routes (entries of the authorization matrix)."""

from __future__ import annotations

from typing import Final

from tests.reliability.matrix_roles import (
    ADMIN,
    AUDITOR,
    INFECTION_CONTROL,
    INTEGRATION,
    REPORT_READERS,
    Route,
)

APPOINTMENTS: Final[dict[Route, frozenset[str] | None]] = {}
SCREENING: Final[dict[Route, frozenset[str] | None]] = {
    # Silent: the discharge service follows it with its integration credential; those who
    # read every report may read it too. Ward staff read results per person instead.
    ("GET", "/result-changes"): frozenset({INTEGRATION, INFECTION_CONTROL, AUDITOR, ADMIN}),
}
DISCHARGE: Final[dict[Route, frozenset[str] | None]] = {
    # Written out in the contract.
    ("GET", "/discharge-reviews"): REPORT_READERS,
    ("POST", "/discharge-reviews/{review_id}/close"): frozenset({INFECTION_CONTROL}),
}
