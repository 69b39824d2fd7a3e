"""Who may call the uploads routes (entries of the authorization matrix)."""

from __future__ import annotations

from typing import Final

from tests.reliability.matrix_roles import Route

APPOINTMENTS: Final[dict[Route, frozenset[str] | None]] = {}
SCREENING: Final[dict[Route, frozenset[str] | None]] = {}
DISCHARGE: Final[dict[Route, frozenset[str] | None]] = {}
