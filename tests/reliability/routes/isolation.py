"""Who may call the isolation routes (entries of the authorization matrix)."""

from __future__ import annotations

from typing import Final

from tests.reliability.matrix_roles import (
    ADMIN,
    AUDITOR,
    DOCTOR,
    INFECTION_CONTROL,
    READERS,
    WARD_STAFF,
    Route,
)

APPOINTMENTS: Final[dict[Route, frozenset[str] | None]] = {}
SCREENING: Final[dict[Route, frozenset[str] | None]] = {
    # Written out in the contract: isolate by hand infection_control and doctor, release
    # infection_control alone.
    ("POST", "/persons/{external_id}/isolation"): frozenset({INFECTION_CONTROL, DOCTOR}),
    ("POST", "/persons/{external_id}/isolation/release"): frozenset({INFECTION_CONTROL}),
    # Silent: who is isolated is read like other clinical records (the gate and the HIS
    # need it as much as the wards).
    ("GET", "/isolations"): READERS,
    # "infection_control opens and closes, nurses record checks" (doctors as nurses).
    ("POST", "/follow-ups"): frozenset({INFECTION_CONTROL}),
    ("POST", "/persons/{external_id}/exposures/follow-ups"): frozenset({INFECTION_CONTROL}),
    ("POST", "/follow-ups/{follow_up_id}/complete"): frozenset({INFECTION_CONTROL}),
    ("POST", "/follow-ups/{follow_up_id}/cancel"): frozenset({INFECTION_CONTROL}),
    ("POST", "/follow-ups/{follow_up_id}/checks"): WARD_STAFF,
    # Silent: the follow-up team (ward staff) reads its list; auditors and admins read all.
    ("GET", "/follow-ups"): WARD_STAFF | {AUDITOR, ADMIN},
}
DISCHARGE: Final[dict[Route, frozenset[str] | None]] = {}
