"""Spreadsheet upload of results, checked row by row before anything is stored.

One form (kind, file) with two buttons: Check (errors by row and column, or "N rows ready")
and Store (checks again and stores every row, or none). It works without JavaScript; with it,
`uploads.js` sends the same form with an upload progress bar and swaps in the outcome, so the
chosen file stays chosen for Store.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from starlette.datastructures import UploadFile

from services.screening.ui.common import WardStaff
from services.screening.uploads.blanks import (
    CSV_TYPE,
    XLSX_TYPE,
    template_csv,
    template_name,
    template_xlsx,
)
from services.screening.uploads.columns import LAYOUTS, UploadKind
from services.screening.uploads.service import Checked, Stored, check_upload, store_upload
from services.screening.uploads.sheets import MAX_FILE_BYTES, MAX_ROWS
from services.screening.web import utc_now
from shared.audit import Audit
from shared.db import DbSession
from shared.errors import Problem
from shared.web.ui import N_, Ui, csrf_protected
from shared.web.ui.forms import attempt, caller

router = APIRouter()

KINDS = {
    UploadKind.results: N_("Results (one person's test per row)"),
    UploadKind.pool_results: N_("Pool results (one pooled tube per row)"),
}
# Error types a nurse meets, in words; others show the API's English message.
ERROR_WORDS = {
    "unknown_person": N_("No person has this id."),
    "unknown_pool": N_("No pool has this id."),
    "formula": N_("The cell holds a formula; paste its value instead."),
    "missing_column": N_("This column is missing from row 1."),
    "unknown_column": N_("This is not a column of the template."),
    "repeated_column": N_("This column appears twice."),
    "unnamed_column": N_("A value stands in a column without a name."),
    "missing": N_("This cell must be filled in."),
    "enum": N_("This is not one of the allowed words (see the template)."),
    "in_the_future": N_("This time is in the future."),
    "before_2000": N_("This time is too far in the past."),
    "before_specimen": N_("The result time is before the specimen was collected."),
    "result_required": N_("A final or corrected result needs a result."),
    "result_not_of_test": N_("This result does not belong to this test type."),
    "result_conflict": N_("A different result is already stored under this number."),
    "unknown_result": N_("There is no stored result with this number to correct."),
    "datetime_from_date_parsing": N_("Write a date and time, e.g. 2026-12-07 08:30."),
    "datetime_parsing": N_("Write a date and time, e.g. 2026-12-07 08:30."),
    "timezone_aware": N_("Write a date and time, e.g. 2026-12-07 08:30."),
    "string_pattern_mismatch": N_(
        "Use letters, digits and . _ : - / only, starting with a letter or digit."
    ),
    "string_too_long": N_("This text is too long."),
    "no_rows": N_("The sheet has no data rows."),
    "json_invalid": N_("This cell must hold JSON."),
}
SHEET_WORDS = {
    "file_too_large": N_("The file is larger than 10 MiB. Split it into smaller sheets."),
    "payload_too_large": N_("The file is larger than 10 MiB. Split it into smaller sheets."),
    "too_many_rows": N_("The sheet has more than 50,000 rows. Split it into smaller sheets."),
    "sheet_too_large": N_(
        "The workbook is far too large when unpacked; it is not a results sheet."
    ),
    "unreadable_file": N_("The file cannot be read. Save it as CSV (UTF-8) or XLSX."),
    "empty_file": N_("The file is empty."),
    "too_many_columns": N_("The sheet has too many columns. Use the template."),
    "cell_too_long": N_("A cell is too long."),
}


@dataclass(frozen=True)
class SheetForm:
    """The posted form: kind, button pressed, and the chosen file's bytes (None: no file)."""

    kind: str
    action: str
    data: bytes | None


async def posted_sheet(request: Request) -> SheetForm:
    """The posted multipart form, the file read up to one byte past the limit."""
    form = await request.form()
    kind, action, upload = form.get("kind"), form.get("action"), form.get("file")
    data = None
    if isinstance(upload, UploadFile) and upload.filename:
        data = await upload.read(MAX_FILE_BYTES + 1)
    return SheetForm(
        kind if isinstance(kind, str) else "", action if isinstance(action, str) else "", data
    )


PostedSheet = Annotated[SheetForm, Depends(posted_sheet)]


def _render(ui: Ui, status: int = 200, **context: Any) -> Response:
    context.setdefault("kind", UploadKind.results.value)
    context.setdefault("message", "")
    return ui.render(
        "screening/uploads.html",
        status=status,
        kinds=[(k.value, ui.gettext(words)) for k, words in KINDS.items()],
        columns={k.value: LAYOUTS[k].columns for k in UploadKind},
        required={k.value: LAYOUTS[k].required for k in UploadKind},
        max_rows=MAX_ROWS,
        **context,
    )


def _error_rows(ui: Ui, checked: dict[str, Any]) -> list[dict[str, Any]]:
    rows = []
    for error in checked["errors"]:
        words = ERROR_WORDS.get(error["type"])
        rows.append({**error, "words": ui.gettext(words) if words else error["msg"]})
    return rows


@router.get("/uploads", summary="Upload a spreadsheet of results (form)")
def upload_form(ui: WardStaff) -> Response:
    """The empty form, with the template links."""
    return _render(ui)


@router.get("/uploads/template/{kind}.{fmt}", summary="A blank sheet to fill in")
def upload_template(ui: WardStaff, kind: str, fmt: str) -> Response:
    """The template of `kind` as CSV or XLSX (the API's `GET /uploads/template`)."""
    if kind not in UploadKind.__members__ or fmt not in ("csv", "xlsx"):
        return _render(ui, 404, message=ui.gettext("There is no such template."))
    chosen = UploadKind(kind)
    body = template_xlsx(chosen) if fmt == "xlsx" else template_csv(chosen)
    name = template_name(chosen, fmt)
    return ui.finish(
        Response(
            body,
            media_type=XLSX_TYPE if fmt == "xlsx" else CSV_TYPE,
            headers={"Content-Disposition": f'attachment; filename="{name}"'},
        )
    )


def _problem_words(ui: Ui, problem: Problem) -> str:
    words = SHEET_WORDS.get(problem.code)
    return ui.gettext(words) if words else problem.detail


@router.post(
    "/uploads",
    summary="Check or store an uploaded spreadsheet",
    dependencies=[Depends(csrf_protected)],
)
def post_upload(ui: WardStaff, session: DbSession, audit: Audit, posted: PostedSheet) -> Response:
    """Check (action=check) or check-and-store (action=store); errors by row and column."""
    raw_kind, action, data = posted.kind, posted.action, posted.data
    if raw_kind not in UploadKind.__members__:
        return _render(ui, 422, kind="", message=ui.gettext("Choose what the sheet holds."))
    kind = UploadKind(raw_kind)
    if data is None:
        message = ui.gettext("Choose the file (again) before you press the button.")
        return _render(ui, 422, kind=kind.value, message=message, file_error=True)
    zone, who, now = ui.settings.timezone, caller(ui).sub, utc_now()

    def use_case() -> Checked | Stored:
        if action == "store":
            return store_upload(session, kind, data, who, audit, zone, now)
        return check_upload(session, kind, data, who, audit, zone, now)

    outcome = attempt(ui, session, use_case)
    return _outcome(ui, kind, outcome)


def _outcome(ui: Ui, kind: UploadKind, outcome: Checked | Stored | Problem) -> Response:
    if isinstance(outcome, Stored):
        return _render(ui, kind=kind.value, stored=outcome)
    if isinstance(outcome, Checked):
        summary = outcome.summary()
        return _render(ui, kind=kind.value, checked=summary, errors=_error_rows(ui, summary))
    if outcome.code == "upload_invalid":
        summary = {**outcome.extra, "errors": outcome.errors or [], "ready": False}
        return _render(ui, 422, kind=kind.value, checked=summary, errors=_error_rows(ui, summary))
    return _render(ui, outcome.status, kind=kind.value, message=_problem_words(ui, outcome))
