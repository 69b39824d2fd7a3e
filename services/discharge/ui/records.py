"""One discharge attempt's record page: everything it relied on, printable for the file."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path
from fastapi.responses import Response

from services.discharge.discharges.service import read_discharge
from services.discharge.settings import DischargeSettings
from services.discharge.ui.names import patient_names_blocking
from services.discharge.ui.words import reason_text, words
from shared.audit import Audit
from shared.auth.roles import REPORT_READERS, WARD_STAFF
from shared.db import DbSession
from shared.errors import Problem
from shared.web.ui import Ui, signed_in_as
from shared.web.ui.forms import attempt, caller
from shared.web.ui.vocabulary import words as vocabulary

router = APIRouter()
# Ward staff land here after a discharge; infection control, auditors and admins read it.
RecordReader = Annotated[Ui, Depends(signed_in_as(*dict.fromkeys(WARD_STAFF + REPORT_READERS)))]
MAX_ID = 2**63 - 1


def names_of(ui: Ui, external_ids: list[str]) -> dict[str, str]:
    """The patients' names screening gives (the caller's token relayed), by external id."""
    settings: DischargeSettings = ui.request.app.state.settings
    client = ui.request.app.state.screening
    return patient_names_blocking(client, caller(ui), external_ids, settings.screening_timeout_s)


def admitted_at(admission_key: str) -> str | None:
    """The admission's start as stored with the attempt (None when it was not known)."""
    return admission_key if admission_key[:1].isdigit() else None


@router.get("/discharges/{discharge_id}", summary="One discharge attempt's record (printable)")
def record_page(
    ui: RecordReader,
    session: DbSession,
    audit: Audit,
    discharge_id: Annotated[int, Path(ge=1, le=MAX_ID)],
) -> Response:
    """The attempt exactly as stored: outcome, reasons, every result it relied on, who, when."""
    found = attempt(ui, session, lambda: read_discharge(session, audit, discharge_id))
    if isinstance(found, Problem):
        return ui.error(found)
    record: dict[str, Any] = found.model_dump(mode="json")
    names = names_of(ui, [found.patient_external_id])
    return ui.render(
        "discharge/record.html",
        d=record,
        patient_name=names.get(found.patient_external_id, ""),
        admitted_at=admitted_at(found.admission_key),
        reason_text=lambda reason: reason_text(ui, reason),
        **vocabulary(),
        **words(),
    )
