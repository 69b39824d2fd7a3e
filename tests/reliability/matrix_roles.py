"""The contract's roles and the groups the authorization matrix names (see authorization_matrix)."""

from __future__ import annotations

from typing import Final

INTEGRATION, NURSE, DOCTOR = "integration", "nurse", "doctor"
INFECTION_CONTROL, AUDITOR, ADMIN = "infection_control", "auditor", "admin"
ROLES: Final = (INTEGRATION, NURSE, DOCTOR, INFECTION_CONTROL, AUDITOR, ADMIN)

EVERYONE: Final = frozenset(ROLES)
# "book and cancel appointments and virtual visits, upsert persons, post results, run
# discharge checks, record home/transfer discharges": integration, nurse, doctor, IC.
CLINICAL_WRITERS: Final = frozenset({INTEGRATION, NURSE, DOCTOR, INFECTION_CONTROL})
# Clinical records are read by the writers, the auditor and the admin ("read everything").
READERS: Final = CLINICAL_WRITERS | {AUDITOR, ADMIN}
# "nurse: ... check patients in"; doctor and infection control as nurse. Machines do not.
WARD_STAFF: Final = frozenset({NURSE, DOCTOR, INFECTION_CONTROL})
# Reports, stored discharges: "infection_control: read every report", auditor, admin.
REPORT_READERS: Final = frozenset({INFECTION_CONTROL, AUDITOR, ADMIN})
AUDIT_READERS: Final = frozenset({AUDITOR, ADMIN})
FEEDS: Final = frozenset({INTEGRATION})  # "nurse: all of the above except FHIR/HL7 feeds"

Route = tuple[str, str]  # (METHOD, OpenAPI path template)
