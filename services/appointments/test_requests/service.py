"""A resident's test request: the person upserted in screening, then a place in a slot."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session

from services.appointments.bookings.service import BookingRequest, take_place
from services.appointments.clients.screening import ScreeningClient
from services.appointments.departments.service import known_department, schedule_of
from services.appointments.domain.public_person import public_person_id
from services.appointments.domain.schedule import BookingRefused, check_bookable, slot_starting_at
from services.appointments.models import Department
from services.appointments.settings import AppointmentsSettings
from services.appointments.test_requests import repository
from services.appointments.test_requests.person_key import person_id_key
from services.appointments.test_requests.schemas import BookedTest, TestRequestIn, TestRequestPublic
from shared.audit import AuditTrail
from shared.auth.roles import INTEGRATION
from shared.auth.tokens import worker_credential
from shared.errors import NotFound, ServiceUnavailable, Unprocessable, field_error
from shared.vocabulary import Category

TESTING = "testing"
PUBLIC_BOOKER = "public"  # `created_by` of appointments residents made themselves
WORKER_SUBJECT = "service:public-test-requests"


def testing_site(session: Session, code: str) -> Department:
    """The department `code` when it is a collection site; 422 otherwise."""
    try:
        site: Department | None = known_department(session, code)
    except NotFound:
        site = None
    if site is None or site.kind != TESTING:
        detail = "There is no collection site with this code."
        raise Unprocessable(
            detail,
            code="not_a_testing_site",
            errors=[field_error("site", detail, "not_a_testing_site")],
        )
    return site


def _check_slot(
    site: Department, body: TestRequestIn, settings: AppointmentsSettings, now: datetime
) -> None:
    # Refused before screening is asked, so a bad time creates no person there.
    tz = settings.timezone
    schedule = schedule_of(site)
    try:
        check_bookable(schedule, slot_starting_at(schedule, body.slot_start, tz), now, tz)
    except BookingRefused as exc:
        raise Unprocessable(
            exc.detail, code=exc.code, errors=[field_error("slot_start", exc.detail, exc.code)]
        ) from exc


def _credential(settings: AppointmentsSettings) -> str:
    token = worker_credential(settings, WORKER_SUBJECT, INTEGRATION)
    if token is None:
        raise ServiceUnavailable(
            "No service credential for the screening service is configured "
            "(WARDGATE_SERVICE_TOKEN); nothing was booked.",
            code="screening_unavailable",
        )
    return token


def request_test(
    session: Session,
    audit: AuditTrail,
    screening: ScreeningClient,
    body: TestRequestIn,
    settings: AppointmentsSettings,
    now: datetime,
) -> TestRequestPublic:
    """Upsert the resident in screening (category public), then book the slot as
    `POST /appointments` does; screening down -> 503 and nothing is booked."""
    site = testing_site(session, body.site)
    _check_slot(site, body, settings, now)
    person_id = public_person_id(body.id_number, person_id_key(settings))
    person: dict[str, object] = {
        "name": body.name,
        "category": Category.PUBLIC.value,
        "department": site.code,
        "phone": body.phone,
        "id_number": body.id_number,
    }
    screening.upsert_person(person_id, person, _credential(settings))
    tz = settings.timezone
    booking = BookingRequest(
        department=site,
        slot_start=body.slot_start,
        patient_external_id=person_id,
        patient_name=body.name,
        phone=None,  # the phone is kept by screening's person (masked there), not twice
        booked_by=PUBLIC_BOOKER,
    )
    appointment = take_place(session, booking, now, tz)
    answer = TestRequestPublic(
        booking_code=appointment.booking_code,
        site=site.code,
        slot_start=appointment.slot_start.astimezone(tz),
        slot_end=appointment.slot_end.astimezone(tz),
    )
    audit.record(
        "test_request.book",
        f"appointment/{appointment.id}",
        site=site.code,
        slot_start=answer.model_dump(mode="json")["slot_start"],
        booking_code=appointment.booking_code,
        patient_external_id=person_id,
    )
    return answer


def booked_test(
    session: Session, audit: AuditTrail, code: str, settings: AppointmentsSettings
) -> BookedTest:
    """The appointment a booking code names at a testing site, for the collection desk;
    404 else (a clinic's booking codes are not test requests)."""
    found = repository.appointment_by_code(session, code.upper())
    if found is None or found[1].kind != TESTING:
        raise NotFound("There is no booking with this code.", code="unknown_booking_code")
    appointment, department = found
    tz = settings.timezone
    audit.record("test_request.read", f"appointment/{appointment.id}")
    return BookedTest(
        booking_code=appointment.booking_code,
        site=department.code,
        person_external_id=appointment.patient_external_id,
        name=appointment.patient_name,
        slot_start=appointment.slot_start.astimezone(tz),
        slot_end=appointment.slot_end.astimezone(tz),
        status=appointment.status,
    )
