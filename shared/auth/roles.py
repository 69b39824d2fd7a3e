"""Role names from the contract and the groups the services authorize with."""

from __future__ import annotations

INTEGRATION = "integration"
NURSE = "nurse"
DOCTOR = "doctor"
INFECTION_CONTROL = "infection_control"
AUDITOR = "auditor"
ADMIN = "admin"

ALL_ROLES = frozenset({INTEGRATION, NURSE, DOCTOR, INFECTION_CONTROL, AUDITOR, ADMIN})

# Clinical writers: persons, results, bookings, discharge checks, home/transfer discharges.
CLINICAL_WRITERS = (INTEGRATION, NURSE, DOCTOR, INFECTION_CONTROL)
# Ward staff at a desk: check-in, the web pages. Machines (integration) are not here.
WARD_STAFF = (NURSE, DOCTOR, INFECTION_CONTROL)
# Everyone who may read clinical records.
READERS = (INTEGRATION, NURSE, DOCTOR, INFECTION_CONTROL, AUDITOR, ADMIN)
# Reports and the audit trail.
REPORT_READERS = (INFECTION_CONTROL, AUDITOR, ADMIN)
AUDIT_READERS = (AUDITOR, ADMIN)
