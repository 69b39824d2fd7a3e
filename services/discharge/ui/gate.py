"""The discharge check and the discharge itself, for ward staff at a desk.

Post/redirect/get: a check is run by a POST that answers 303 to the stored check's own page
(reloading it shows the same stored check, never a new one); a discharge is a POST that
answers 303 to the stored attempt's record page, whatever its outcome.
"""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, Path
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from services.discharge.checks.reading import read_check
from services.discharge.checks.schemas import DischargeCheckCreate, DischargeCheckPublic
from services.discharge.checks.service import check_discharge
from services.discharge.clients.screening import ScreeningClient
from services.discharge.discharges.schemas import DischargeCreate
from services.discharge.discharges.service import (
    DischargeAnswer,
    Discharged,
    Refused,
    record_discharge,
)
from services.discharge.domain.discharge_rule import RuleWindows
from services.discharge.settings import DischargeSettings
from services.discharge.ui.records import names_of
from services.discharge.ui.words import NO_EXCEPTION_FOR, REFUSALS, reason_text, words
from shared.audit import Audit
from shared.audit.trail import AsyncAuditTrail
from shared.auth.roles import INFECTION_CONTROL, WARD_STAFF
from shared.db import DbSession
from shared.errors import Problem
from shared.web.ui import N_, Ui, csrf_protected, signed_in_as
from shared.web.ui.forms import attempt, attempt_async, build, caller, field_errors
from shared.web.ui.vocabulary import words as vocabulary

router = APIRouter()
REASON_NEEDED = N_("A discharge to a designated hospital or after death needs a reason.")
WardStaff = Annotated[Ui, Depends(signed_in_as(*WARD_STAFF))]
MAX_ID = 2**63 - 1
CheckId = Annotated[int, Path(ge=1, le=MAX_ID)]


def _windows(ui: Ui) -> RuleWindows:
    settings: DischargeSettings = ui.request.app.state.settings
    return settings.rule_windows()


def _screening(ui: Ui) -> ScreeningClient:
    client: ScreeningClient = ui.request.app.state.screening
    return client


def _context(ui: Ui, **context: Any) -> dict[str, Any]:
    principal = caller(ui)
    return {
        "reason_text": lambda reason: reason_text(ui, reason),
        "may_record_exceptions": INFECTION_CONTROL in principal.roles,
        "screening_url": ui.settings.public_urls()["screening"],
        **vocabulary(),
        **words(),
        **context,
    }


def _check_form(ui: Ui, patient: str, errors: dict[str, str], status: int = 200) -> Response:
    return ui.render(
        "discharge/check_form.html",
        status=status,
        **_context(ui, patient=patient[:64], errors=errors),
    )


@router.get("/check", summary="Discharge check (form)")
def check_form(ui: WardStaff, patient: str = "") -> Response:
    """Ask for the patient's external id (filled in when coming from the status page)."""
    return _check_form(ui, patient, {})


@router.post("/check", summary="Run a discharge check", dependencies=[Depends(csrf_protected)])
async def run_check(ui: WardStaff, patient_external_id: Annotated[str, Form()] = "") -> Response:
    """Run and store the check, then 303 to its page (a reload never runs it again)."""
    body, problems = build(
        DischargeCheckCreate, {"patient_external_id": patient_external_id.strip()}
    )
    if body is None:
        errors = field_errors(ui, problems)
        return _check_form(ui, patient_external_id, errors, status=422)
    check = await check_discharge(
        ui.request.app.state.db,
        AsyncAuditTrail(ui.request),
        caller(ui),
        _screening(ui),
        _windows(ui),
        body.patient_external_id,
    )
    return ui.redirect(ui.url(f"/checks/{check.check_id}"))


def _check_page(
    ui: Ui, check: DischargeCheckPublic, errors: dict[str, str], typed: str = "", status: int = 200
) -> Response:
    codes = {r.code for r in check.reasons}
    names = names_of(ui, [check.patient_external_id])
    return ui.render(
        "discharge/check_result.html",
        status=status,
        **_context(
            ui,
            check=check.model_dump(mode="json"),
            patient_name=names.get(check.patient_external_id, ""),
            offers_exception=not codes & NO_EXCEPTION_FOR,
            retry_key=f"ui-check-{check.check_id}",
            errors=errors,
            typed_reason=typed[:2000],
        ),
    )


@router.get("/checks/{check_id}", summary="One stored discharge check")
def check_page(ui: WardStaff, session: DbSession, audit: Audit, check_id: CheckId) -> Response:
    """The stored check: reasons in words, the evidence; a discharge form only if eligible."""
    check = attempt(ui, session, lambda: read_check(session, audit, check_id))
    if isinstance(check, Problem):
        return ui.error(check)
    return _check_page(ui, check, {})


def _record_id(answer: DischargeAnswer) -> int | None:
    """The stored attempt the answer is about (discharged, blocked or replayed)."""
    if isinstance(answer, Discharged):
        return answer.discharge.id
    document = answer.problem.body() if isinstance(answer, Refused) else answer.document()
    if not isinstance(document, dict):
        return None
    found = document.get("id", document.get("attempt_id"))
    return found if isinstance(found, int) and not isinstance(found, bool) else None


def _refused_form(
    ui: Ui,
    session: DbSession,
    audit: Audit,
    form: dict[str, str],
    errors: dict[str, str],
    status: int,
) -> Response:
    """The check page again with the refusal (the typed reason kept), else the id form."""
    check_id = form["check"]
    if check_id.isdigit() and 0 < int(check_id) <= MAX_ID:
        check = attempt(ui, session, lambda: read_check(session, audit, int(check_id)))
        if not isinstance(check, Problem) and check.patient_external_id == form["patient"]:
            return _check_page(ui, check, errors, form["reason"], status)
    general = {"": errors[""]} if "" in errors else errors
    return _check_form(ui, form["patient"], general, status=status)


@router.post("/discharge", summary="Discharge a patient", dependencies=[Depends(csrf_protected)])
async def discharge(
    ui: WardStaff,
    session: DbSession,
    audit: Audit,
    patient_external_id: Annotated[str, Form()] = "",
    disposition: Annotated[str, Form()] = "",
    reason: Annotated[str, Form()] = "",
    retry: Annotated[str, Form()] = "",
    check_id: Annotated[str, Form()] = "",
) -> Response:
    """The discharge (the rule evaluated again now), then 303 to the attempt's record."""
    form = {"patient": patient_external_id.strip(), "reason": reason, "check": check_id[:20]}
    data = {"patient_external_id": form["patient"], "disposition": disposition}
    body, problems = build(DischargeCreate, {**data, "reason": reason.strip() or None})
    if body is None:
        errors = field_errors(ui, problems)
        if "reason" in errors:
            errors[""] = errors["reason"] = ui.gettext(REASON_NEEDED)
        return await _refuse(ui, session, audit, form, errors, 422)
    principal, zone = caller(ui), ui.settings.timezone
    key = f"{retry}-{body.disposition}" if retry.startswith("ui-") and len(retry) <= 40 else None
    outcome = await attempt_async(
        ui,
        session,
        lambda: record_discharge(
            session, audit, principal, _screening(ui), _windows(ui), zone, body, key
        ),
    )
    if isinstance(outcome, Problem):
        errors = field_errors(ui, outcome.errors or [])
        message = REASON_NEEDED if "reason" in errors else REFUSALS.get(outcome.code)
        errors[""] = ui.gettext(message) if message else outcome.detail
        return await _refuse(ui, session, audit, form, errors, outcome.status)
    if isinstance(outcome, Discharged):  # committed: carry the admission's end to screening now
        ui.request.app.state.admission_sync.wake()
    record = _record_id(outcome)
    if record is not None:
        return ui.redirect(ui.url(f"/discharges/{record}"))
    # An answer naming no stored attempt (none is known): back to the check of this patient.
    return ui.redirect(ui.url("/check") + "?" + urlencode({"patient": body.patient_external_id}))


async def _refuse(
    ui: Ui,
    session: DbSession,
    audit: Audit,
    form: dict[str, str],
    errors: dict[str, str],
    status: int,
) -> Response:
    """`_refused_form` in a worker thread (it reads the stored check)."""
    return await run_in_threadpool(_refused_form, ui, session, audit, form, errors, status)
