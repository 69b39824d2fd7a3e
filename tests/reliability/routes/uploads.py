"""Who may call the uploads routes (entries of the authorization matrix)."""

from __future__ import annotations

from typing import Final

from tests.reliability.matrix_roles import CLINICAL_WRITERS, Route

APPOINTMENTS: Final[dict[Route, frozenset[str] | None]] = {}
# Spreadsheets of results and pool results: the result writers (as POST /results/batch).
SCREENING: Final[dict[Route, frozenset[str] | None]] = {
    ("POST", "/uploads/check"): CLINICAL_WRITERS,
    ("POST", "/uploads"): CLINICAL_WRITERS,
    ("GET", "/uploads/template"): CLINICAL_WRITERS,
}
DISCHARGE: Final[dict[Route, frozenset[str] | None]] = {}
