"""The discharge check and the discharge itself, for ward staff at a desk."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form
from fastapi.responses import Response

from services.discharge.checks.schemas import DischargeCheckCreate
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
from services.discharge.ui.words import REFUSALS, reason_text, words
from shared.audit import Audit
from shared.audit.trail import AsyncAuditTrail
from shared.auth.roles import INFECTION_CONTROL, WARD_STAFF
from shared.db import DbSession
from shared.errors import Problem
from shared.web.ui import N_, Ui, csrf_protected, signed_in_as
from shared.web.ui.forms import attempt_async, build, caller, field_errors, retry_key
from shared.web.ui.vocabulary import words as vocabulary

router = APIRouter()
REASON_NEEDED = N_("A discharge to a designated hospital or after death needs a reason.")
WardStaff = Annotated[Ui, Depends(signed_in_as(*WARD_STAFF))]


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
    """The discharge check: reasons in words, the evidence; a discharge form if eligible."""
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
    return ui.render(
        "discharge/check_result.html",
        **_context(ui, check=check.model_dump(mode="json"), retry_key=retry_key(), errors={}),
    )


def _shown(answer: DischargeAnswer) -> tuple[int, dict[str, Any]]:
    """The answer's status and the document the result page shows."""
    if isinstance(answer, Discharged):
        return 201, answer.discharge.model_dump(mode="json")
    if isinstance(answer, Refused):
        return answer.problem.status, answer.problem.body()
    document = answer.document()
    return answer.status, document if isinstance(document, dict) else {}


@router.post("/discharge", summary="Discharge a patient", dependencies=[Depends(csrf_protected)])
async def discharge(
    ui: WardStaff,
    session: DbSession,
    audit: Audit,
    patient_external_id: Annotated[str, Form()] = "",
    disposition: Annotated[str, Form()] = "",
    reason: Annotated[str, Form()] = "",
    retry: Annotated[str, Form()] = "",
) -> Response:
    """The discharge: the rule is evaluated again now; the outcome shown big and clear."""
    data = {
        "patient_external_id": patient_external_id.strip(),
        "disposition": disposition,
        "reason": reason.strip() or None,
    }
    body, problems = build(DischargeCreate, data)
    if body is None:
        errors = field_errors(ui, problems)
        if "reason" in errors:
            errors[""] = ui.gettext(REASON_NEEDED)
        return _check_form(ui, patient_external_id, errors, status=422)
    principal = caller(ui)
    key = retry if retry.startswith("ui-") and len(retry) <= 64 else None
    zone = ui.settings.timezone
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
        return _check_form(ui, patient_external_id, errors, status=outcome.status)
    status, shown = _shown(outcome)
    ok = 200 <= status < 300
    return ui.render(
        "discharge/discharge_result.html",
        status=200 if ok else status,
        **_context(ui, answer=shown, patient=body.patient_external_id, ok=ok),
    )
