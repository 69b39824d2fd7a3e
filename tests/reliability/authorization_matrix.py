"""Who may call what: the declared authorization matrix of all three services.

This table is the specification, written from the contract's role table (CONTRACT.md,
"Authentication"), not generated from the code: the tests check the code against it. Where
the contract is silent the choice is written next to the entry. Every route in a service's
OpenAPI document must have an entry here (a new route without one fails the tests).

Roles: integration (HIS/LIS machines), nurse, doctor (as nurse), infection_control (as
doctor, plus exception discharges and every report), auditor (read-only), admin (configures
departments and policy, reads everything).
"""

from __future__ import annotations

from typing import Final

from tests.reliability.matrix_roles import (
    ADMIN,
    AUDIT_READERS,
    AUDITOR,
    CLINICAL_WRITERS,
    DOCTOR,
    EVERYONE,
    FEEDS,
    INFECTION_CONTROL,
    INTEGRATION,
    READERS,
    REPORT_READERS,
    WARD_STAFF,
    Route,
)
from tests.reliability.routes import (
    entrance,
    isolation,
    pools,
    public_health,
    public_testing,
    reviews,
    uploads,
)

SYSTEM: Final[dict[Route, frozenset[str] | None]] = {
    ("GET", "/health"): None,  # None: public, answered without a token
    ("GET", "/metrics"): None,
    ("GET", "/audit"): AUDIT_READERS,
}

APPOINTMENTS: Final[dict[Route, frozenset[str] | None]] = {
    **SYSTEM,
    ("PUT", "/departments/{code}"): frozenset({ADMIN}),
    # Silent in the contract: schedules are not personal data and every caller books against
    # them, so every role may read departments and slots.
    ("GET", "/departments"): EVERYONE,
    ("GET", "/departments/{code}"): EVERYONE,
    ("GET", "/departments/{code}/slots"): EVERYONE,
    ("POST", "/appointments"): CLINICAL_WRITERS,
    # Silent for appointments: read like other clinical records (auditors read check-ins,
    # which name the appointment, so they read appointments too).
    ("GET", "/appointments"): READERS,
    ("GET", "/appointments/{appointment_id}"): READERS,
    ("POST", "/appointments/{appointment_id}/cancel"): CLINICAL_WRITERS,
    ("POST", "/appointments/{appointment_id}/reschedule"): CLINICAL_WRITERS,
    ("POST", "/appointments/{appointment_id}/no-show"): CLINICAL_WRITERS,
    ("POST", "/appointments/{appointment_id}/complete"): CLINICAL_WRITERS,
    ("POST", "/appointments/{appointment_id}/check-in"): WARD_STAFF,
    # Written out in the contract: nurse, doctor, infection_control, auditor, admin.
    ("GET", "/check-ins"): WARD_STAFF | {AUDITOR, ADMIN},
    ("POST", "/virtual-visits"): CLINICAL_WRITERS,
    ("GET", "/virtual-visits"): READERS,
    ("GET", "/virtual-visits/{visit_id}"): READERS,
    ("POST", "/virtual-visits/{visit_id}/cancel"): CLINICAL_WRITERS,
    # Routes of the features added in December, one module each (tests/reliability/routes/).
    **entrance.APPOINTMENTS,
    **pools.APPOINTMENTS,
    **public_testing.APPOINTMENTS,
    **uploads.APPOINTMENTS,
    **isolation.APPOINTMENTS,
    **public_health.APPOINTMENTS,
    **reviews.APPOINTMENTS,
}

SCREENING: Final[dict[Route, frozenset[str] | None]] = {
    **SYSTEM,
    ("PUT", "/persons/{external_id}"): CLINICAL_WRITERS,
    ("GET", "/persons/{external_id}"): READERS,
    ("GET", "/persons"): READERS,
    ("POST", "/results"): CLINICAL_WRITERS,
    ("POST", "/results/batch"): CLINICAL_WRITERS,
    ("GET", "/persons/{external_id}/results"): READERS,
    ("GET", "/persons/{external_id}/screening-status"): READERS,
    ("GET", "/compliance"): READERS,
    ("GET", "/policy"): READERS,  # read by all; set only by the admin's policy file
    ("POST", "/fhir/Observation"): FEEDS,
    ("POST", "/fhir"): FEEDS,
    ("GET", "/fhir/Observation"): FEEDS,
    ("GET", "/fhir/metadata"): FEEDS,
    ("POST", "/hl7/v2"): FEEDS,
    # Silent for the inbox of held feed results: matching one stores a result, so clinical
    # staff (not machines, not the admin); auditors and admins read.
    ("GET", "/inbox"): WARD_STAFF | {AUDITOR, ADMIN},
    ("POST", "/inbox/{item_id}/match"): WARD_STAFF,
    # Written out in the contract: infection_control, doctor, admin.
    ("GET", "/persons/{external_id}/exposures"): frozenset({INFECTION_CONTROL, DOCTOR, ADMIN}),
    ("GET", "/results"): frozenset({DOCTOR, INFECTION_CONTROL, AUDITOR, ADMIN}),
    ("POST", "/admission-ends"): frozenset({INTEGRATION}),
    # Routes of the features added in December, one module each (tests/reliability/routes/).
    **entrance.SCREENING,
    **pools.SCREENING,
    **public_testing.SCREENING,
    **uploads.SCREENING,
    **isolation.SCREENING,
    **public_health.SCREENING,
    **reviews.SCREENING,
}

DISCHARGE: Final[dict[Route, frozenset[str] | None]] = {
    **SYSTEM,
    ("POST", "/discharge-checks"): CLINICAL_WRITERS,
    # home/transfer: the clinical writers; designated_hospital/death: infection_control only
    # (an object-level rule on the body, see EXCEPTION_DISCHARGERS).
    ("POST", "/discharges"): CLINICAL_WRITERS,
    ("GET", "/discharges"): REPORT_READERS,
    ("GET", "/discharge-checks"): REPORT_READERS,
    ("GET", "/discharges/{discharge_id}"): REPORT_READERS,
    ("GET", "/compliance/discharges"): REPORT_READERS,
    # Routes of the features added in December, one module each (tests/reliability/routes/).
    **entrance.DISCHARGE,
    **pools.DISCHARGE,
    **public_testing.DISCHARGE,
    **uploads.DISCHARGE,
    **isolation.DISCHARGE,
    **public_health.DISCHARGE,
    **reviews.DISCHARGE,
}
EXCEPTION_DISCHARGERS: Final = frozenset({INFECTION_CONTROL})

MATRIX: Final[dict[str, dict[Route, frozenset[str] | None]]] = {
    "appointments": APPOINTMENTS,
    "screening": SCREENING,
    "discharge": DISCHARGE,
}
