"""What the screening pages share: who may use them, refusals in words."""

from __future__ import annotations

from typing import Annotated

import anyio
from fastapi import Depends
from fastapi.responses import Response

from services.screening.clients.records import Gap
from services.screening.ui.person_timeline import record_sources
from shared.auth.roles import ADMIN, AUDITOR, DOCTOR, INFECTION_CONTROL, REPORT_READERS, WARD_STAFF
from shared.errors import NotFound, Problem
from shared.service_client import relay_headers
from shared.web.ui import N_, Ui, signed_in_as
from shared.web.ui.forms import caller

PERSON_PAGE_ROLES = (*WARD_STAFF, AUDITOR, ADMIN)
# People at a desk look persons up; auditors and admins read them too.
PersonReader = Annotated[Ui, Depends(signed_in_as(*PERSON_PAGE_ROLES))]
# Ward staff register persons and record results (machines use the API).
WardStaff = Annotated[Ui, Depends(signed_in_as(*WARD_STAFF))]
ComplianceReader = Annotated[Ui, Depends(signed_in_as(*REPORT_READERS))]
# The contract's roles for exposure lists; infection control's page is for them too.
TRACERS = (INFECTION_CONTROL, DOCTOR, ADMIN)
Tracer = Annotated[Ui, Depends(signed_in_as(*TRACERS))]

REFUSALS = {
    "unknown_person": N_("There is no person with this id."),
    "unknown_patient": N_("The escorted patient must be a registered inpatient."),
    "result_conflict": N_(
        "A different result is already stored under this result number. Use another number, "
        "or record it as a correction."
    ),
    "unknown_result": N_("There is no result with this number to correct."),
    "validation_error": N_("Please correct the marked fields."),
    "database_busy": N_("The database is busy. Please try again in a moment."),
}


def refusal(ui: Ui, problem: Problem) -> str:
    """A refusal in words (the API's English detail only for codes this page does not know)."""
    msgid = REFUSALS.get(problem.code)
    return ui.gettext(msgid) if msgid else problem.detail


def no_such_person(ui: Ui) -> Response:
    """The 404 page for a person id that names nobody."""
    return ui.error(NotFound(ui.gettext(REFUSALS["unknown_person"]), code="unknown_person"))


def department_names(ui: Ui) -> dict[str, str]:
    """Department names by code, asked of appointments with the caller's token; empty when
    it cannot answer (the pages then show the codes alone). Call it from a page's thread."""
    found = anyio.from_thread.run(record_sources(ui).departments, relay_headers(caller(ui)))
    return {} if isinstance(found, Gap) else {d.code: d.name for d in found}
