"""Who may call the public health routes (entries of the authorization matrix)."""

from __future__ import annotations

from typing import Final

from tests.reliability.matrix_roles import REPORT_READERS, Route

APPOINTMENTS: Final[dict[Route, frozenset[str] | None]] = {}
SCREENING: Final[dict[Route, frozenset[str] | None]] = {
    ("GET", "/reports"): REPORT_READERS,
    ("GET", "/compliance/reports"): REPORT_READERS,
}
DISCHARGE: Final[dict[Route, frozenset[str] | None]] = {}
