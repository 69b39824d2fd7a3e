"""The resident's result lookup (public) and the collection desk's booking-code read."""

from __future__ import annotations

from collections.abc import Mapping

from sqlmodel import Session

from services.screening.clients.appointments import AppointmentsClient, BookedTestRecord
from services.screening.domain.result_lookup import NOT_COLLECTED, digits_match, lookup_state
from services.screening.persons import repository as persons
from services.screening.pools import repository as pools
from services.screening.public_testing import repository
from services.screening.public_testing.schemas import LookupAnswer, LookupIn
from services.screening.settings import ScreeningSettings
from shared.audit import AuditTrail
from shared.auth.roles import INTEGRATION
from shared.auth.tokens import worker_credential
from shared.errors import NotFound, ServiceUnavailable
from shared.masking import mask_name

WORKER_SUBJECT = "service:result-lookup"
NO_SUCH_BOOKING = (
    "No test was found for this booking code and these digits. Check both and try again."
)


def not_found() -> NotFound:
    """The one answer for an unknown code and for wrong digits alike."""
    return NotFound(NO_SUCH_BOOKING, code="unknown_booking")


def service_headers(settings: ScreeningSettings) -> dict[str, str]:
    """The screening service's own credential for the appointments service."""
    token = worker_credential(settings, WORKER_SUBJECT, INTEGRATION)
    if token is None:
        raise ServiceUnavailable(
            "No service credential for the appointments service is configured "
            "(WARDGATE_SERVICE_TOKEN).",
            code="appointments_unavailable",
        )
    return {"Authorization": f"Bearer {token}"}


def booking_person(
    session: Session,
    appointments: AppointmentsClient,
    code: str,
    headers: Mapping[str, str],
) -> BookedTestRecord | None:
    """Whom a booking code names, asked of the appointments service (its owner). The read
    transaction is ended first: nothing is held open while another service is asked."""
    session.rollback()
    return appointments.booked_test(code, headers)


def look_up_result(
    session: Session,
    audit: AuditTrail,
    appointments: AppointmentsClient,
    body: LookupIn,
    settings: ScreeningSettings,
) -> LookupAnswer | None:
    """The state of the test a booking code names, or None (unknown code or wrong digits:
    the router answers the same 404). Every lookup is audited, found or not."""
    code = body.booking_code.upper()
    specimen = pools.specimen_by_booking_code(session, code)
    person_id: str | None = specimen.person_external_id if specimen else None
    if specimen is None:
        booked = booking_person(session, appointments, code, service_headers(settings))
        person_id = booked.person_external_id if booked else None
    person = persons.get_person(session, person_id) if person_id else None
    if person is None or not digits_match(person.id_number, body.id_number_last4):
        audit.record("test_result.lookup", f"booking/{code}", outcome="not_found")
        return None
    tz = settings.timezone
    name_masked = mask_name(person.name) or ""
    audit.record("test_result.lookup", f"booking/{code}", person=person.external_id)
    if specimen is None:
        return LookupAnswer(state=NOT_COLLECTED, name_masked=name_masked)
    found = lookup_state(
        repository.nucleic_acid_versions(session, person.external_id), specimen.collected_at
    )
    return LookupAnswer(
        state=found.state,  # a result word or pending
        collected_at=specimen.collected_at.astimezone(tz),
        resulted_at=found.resulted_at.astimezone(tz) if found.resulted_at else None,
        name_masked=name_masked,
    )
