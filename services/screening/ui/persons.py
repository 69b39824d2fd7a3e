"""Finding a person, their screening status, registering and updating them."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Annotated, Any
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Depends, Form
from fastapi.responses import Response

from services.screening.persons import service as persons
from services.screening.persons.schemas import (
    ADMISSION_NOT_INPATIENT,
    CAREGIVER_WITHOUT_PATIENT,
    PATIENT_NOT_CAREGIVER,
    PersonPublic,
    PersonUpsert,
)
from services.screening.status.service import screening_status_of
from services.screening.timeline.service import person_timeline
from services.screening.ui.common import PersonReader, WardStaff, no_such_person, refusal
from services.screening.ui.person_timeline import (
    department_names,
    record_sources,
    timeline_words,
)
from services.screening.web import utc_now
from shared.audit import Audit
from shared.audit.trail import AsyncAuditTrail
from shared.auth.roles import ADMIN, DOCTOR, INFECTION_CONTROL, WARD_STAFF
from shared.db import DbSession
from shared.errors import Problem
from shared.fields import is_identifier
from shared.web.ui import N_, Ui, csrf_protected
from shared.web.ui.forms import (
    attempt,
    attempt_on_loop,
    browser_time,
    build,
    caller,
    clean_text,
    field_errors,
    local_datetime,
)
from shared.web.ui.vocabulary import words

router = APIRouter()
SEARCH_LIMIT = 50
PERSON_FIELDS = ("name", "category", "department", "ward", "admitted_at", "patient_external_id")
OPTIONAL = ("ward", "patient_external_id", "phone", "id_number")
# Model rules the form explains next to the field they concern.
KNOWN_RULES = {
    ADMISSION_NOT_INPATIENT: ("admitted_at", N_("Only inpatients have an admission time.")),
    CAREGIVER_WITHOUT_PATIENT: (
        "patient_external_id",
        N_("A caregiver needs the id of the patient they escort."),
    ),
    PATIENT_NOT_CAREGIVER: ("patient_external_id", N_("Only caregivers escort a patient.")),
}


def _person_url(ui: Ui, external_id: str, **query: str) -> str:
    url = ui.url("/persons/" + quote(external_id, safe=""))
    return url + ("?" + urlencode(query) if query else "")


@router.get("/persons", summary="Find a person by external id or name")
def find_person(ui: PersonReader, session: DbSession, audit: Audit, q: str = "") -> Response:
    """The search form and, for a query, the persons it finds (an exact id goes straight there)."""
    text = clean_text(q, 200)
    if text is None:
        message = ui.gettext("Search for at most 200 letters, without control characters.")
        return ui.render("screening/persons.html", status=422, query="", found=None, error=message)
    found = None
    names: dict[str, str] = {}
    if text:
        found = persons.find_persons(session, audit, text, SEARCH_LIMIT)
        if len(found) == 1 and found[0].external_id == text:
            return ui.redirect(_person_url(ui, text))
        names = department_names(ui) if found else {}
    return ui.render(
        "screening/persons.html",
        query=text,
        found=found,
        error=None,
        limit=SEARCH_LIMIT,
        department=_department_label(names),
        **words(),
    )


@router.get("/persons/new", summary="Register a person (form)")
def new_person(ui: WardStaff) -> Response:
    """An empty registration form."""
    return _person_form(ui, {"category": "inpatient"}, {}, editing=False)


@router.get("/persons/{external_id}", summary="A person's screening status and timeline")
async def person_status(ui: PersonReader, external_id: str, saved: str = "") -> Response:
    """Who the person is, each required test's state, every result and the whole timeline."""
    if not is_identifier(external_id):
        return no_such_person(ui)
    state = ui.request.app.state
    try:
        status = await screening_status_of(
            state.db, AsyncAuditTrail(ui.request), state.policy, external_id, utc_now()
        )
        story = await person_timeline(
            state.db, AsyncAuditTrail(ui.request), caller(ui), record_sources(ui), external_id
        )
    except Problem:
        return no_such_person(ui)
    roles = caller(ui).roles
    return ui.render(
        "screening/person.html",
        person=story.person,
        screening=status,
        story=story,
        department=_department_label(story.departments),
        zone=_zone_label(ui),
        saved=saved if saved in ("created", "updated", "result") else "",
        may_write=not roles.isdisjoint(WARD_STAFF),
        **_links(ui, external_id),
        **words(),
        **timeline_words(),
    )


def _links(ui: Ui, external_id: str) -> dict[str, Any]:
    """The other services' pages for this person, and the exposure list where allowed."""
    urls = ui.settings.public_urls()
    return {
        "discharge_url": f"{urls['discharge']}/ui/check?" + urlencode({"patient": external_id}),
        "visit_url": f"{urls['appointments']}/ui/virtual-visits/new?"
        + urlencode({"patient": external_id}),
        "exposures_url": _exposures_url(ui, external_id),
    }


def _department_label(names: dict[str, str]) -> Callable[[str | None], str]:
    """A department code with its name beside it ("Respiratory (RESP)"), when known."""
    folded = {code.casefold(): name for code, name in names.items()}

    def label(code: str | None) -> str:
        if not code:
            return ""
        name = names.get(code) or folded.get(code.casefold())
        return f"{name} ({code})" if name else code

    return label


def _zone_label(ui: Ui) -> str:
    """The hospital's time zone and its offset now ("Asia/Shanghai, UTC+08:00")."""
    zone = ui.settings.timezone
    offset = utc_now().astimezone(zone).strftime("%z")
    return f"{zone.key}, UTC{offset[:3]}:{offset[3:]}"


def _read(ui: Ui, external_id: str) -> Coroutine[Any, Any, PersonPublic]:
    """The person read of the API, as this page's caller (audited)."""
    db, trail = ui.request.app.state.db, AsyncAuditTrail(ui.request)
    return persons.read_person(db, trail, caller(ui), external_id)


def _exposures_url(ui: Ui, external_id: str) -> str | None:
    """The exposure list page of this person, for the roles that may read it."""
    assert ui.principal is not None
    if ui.principal.roles.isdisjoint({INFECTION_CONTROL, DOCTOR, ADMIN}):
        return None
    return ui.url("/persons/" + quote(external_id, safe="") + "/exposures")


@router.get("/persons/{external_id}/edit", summary="Update a person (form)")
def edit_person(ui: WardStaff, session: DbSession, audit: Audit, external_id: str) -> Response:
    """The registration form filled with the person's current details."""
    if not is_identifier(external_id):
        return no_such_person(ui)
    assert ui.principal is not None
    person = attempt_on_loop(ui, lambda: _read(ui, external_id))
    if isinstance(person, Problem):
        return no_such_person(ui)
    values = {k: getattr(person, k) or "" for k in (*PERSON_FIELDS, "phone", "id_number")}
    values["external_id"] = external_id
    if person.admitted_at:
        values["admitted_at"] = browser_time(person.admitted_at, ui.settings.timezone)
    return _person_form(ui, values, {}, editing=True)


def _person_form(
    ui: Ui, values: dict[str, Any], errors: dict[str, str], *, editing: bool, status: int = 200
) -> Response:
    return ui.render(
        "screening/person_form.html",
        status=status,
        values=values,
        errors=errors,
        editing=editing,
        show_identity=ui.principal is not None and persons.sees_identity(ui.principal),
        departments=department_names(ui),  # offered as choices; any code may still be typed
        **words(),
    )


def _upsert_body(form: dict[str, str], ui: Ui) -> tuple[PersonUpsert | None, dict[str, str]]:
    """The API's input model from the form, or the errors by field."""
    data: dict[str, Any] = {k: form[k].strip() for k in ("name", "category", "department")}
    for name in OPTIONAL:
        data[name] = form[name].strip() or None
    errors: dict[str, str] = {}
    if form["admitted_at"].strip():
        data["admitted_at"] = local_datetime(form["admitted_at"], ui.settings.timezone)
        if data["admitted_at"] is None:
            errors["admitted_at"] = ui.gettext("Enter a date and time.")
    body, problems = build(PersonUpsert, data)
    errors = {**field_errors(ui, problems, KNOWN_RULES), **errors}
    return (body if not errors else None), errors


@router.post(
    "/persons", summary="Register or update a person", dependencies=[Depends(csrf_protected)]
)
def save_person(
    ui: WardStaff,
    session: DbSession,
    audit: Audit,
    external_id: Annotated[str, Form()] = "",
    name: Annotated[str, Form()] = "",
    category: Annotated[str, Form()] = "",
    department: Annotated[str, Form()] = "",
    ward: Annotated[str, Form()] = "",
    admitted_at: Annotated[str, Form()] = "",
    patient_external_id: Annotated[str, Form()] = "",
    phone: Annotated[str, Form()] = "",
    id_number: Annotated[str, Form()] = "",
    editing: Annotated[str, Form()] = "",
) -> Response:
    """PUT /persons/{external_id} from the form; the status page on success."""
    form = {
        "external_id": external_id.strip(),
        "name": name,
        "category": category,
        "department": department,
        "ward": ward,
        "admitted_at": admitted_at,
        "patient_external_id": patient_external_id,
        "phone": phone,
        "id_number": id_number,
    }
    body, errors = _upsert_body(form, ui)
    if not is_identifier(form["external_id"]):
        errors["external_id"] = ui.gettext("Use letters, digits and . _ : - / (at most 64).")
    if body is None or errors:
        return _person_form(ui, _shown(form), errors, editing=bool(editing), status=422)
    principal = caller(ui)
    saved = attempt(
        ui,
        session,
        lambda: persons.save_person(
            session, audit, principal, form["external_id"], body, utc_now()
        ),
    )
    if isinstance(saved, Problem):
        errors = field_errors(ui, saved.errors or [], KNOWN_RULES)
        errors.setdefault("", refusal(ui, saved))
        return _person_form(ui, _shown(form), errors, editing=bool(editing), status=saved.status)
    outcome = "created" if saved.created else "updated"
    return ui.redirect(_person_url(ui, form["external_id"], saved=outcome))


def _shown(form: dict[str, str]) -> dict[str, str]:
    """Form values to show again (bounded, so a huge post is not echoed back whole)."""
    return {k: v[:300] for k, v in form.items()}
