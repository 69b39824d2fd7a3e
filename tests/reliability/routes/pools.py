"""Who may call the pools routes (entries of the authorization matrix)."""

from __future__ import annotations

from typing import Final

from tests.reliability.matrix_roles import CLINICAL_WRITERS, READERS, Route

APPOINTMENTS: Final[dict[Route, frozenset[str] | None]] = {}
# Specimens, pools, pool results, retests: write integration, nurse, doctor, infection
# control; read those and the auditor and admin.
SCREENING: Final[dict[Route, frozenset[str] | None]] = {
    ("POST", "/specimens"): CLINICAL_WRITERS,
    ("GET", "/specimens/{specimen_id}/label.pdf"): READERS,
    ("POST", "/pools"): CLINICAL_WRITERS,
    ("GET", "/pools/{pool_id}"): READERS,
    ("POST", "/pools/{pool_id}/result"): CLINICAL_WRITERS,
    ("GET", "/retests"): READERS,
}
DISCHARGE: Final[dict[Route, frozenset[str] | None]] = {}
