"""HTTP in and out: spreadsheet upload of results and pool results (CSV, XLSX)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, File, Form, Request, UploadFile
from fastapi.responses import Response
from pydantic import BaseModel

from services.screening.uploads import service
from services.screening.uploads.blanks import (
    CSV_TYPE,
    XLSX_TYPE,
    template_csv,
    template_name,
    template_xlsx,
)
from services.screening.uploads.columns import LAYOUTS, UploadKind
from services.screening.uploads.sheets import MAX_FILE_BYTES, MAX_ROWS
from services.screening.web import utc_now
from shared.audit import Audit
from shared.auth import Principal, require
from shared.auth.roles import CLINICAL_WRITERS
from shared.auth.routes import AuthorizedRoute
from shared.db import DbSession

router = APIRouter(tags=["uploads"], route_class=AuthorizedRoute)
Writer = Annotated[Principal, Depends(require(*CLINICAL_WRITERS))]

SheetFile = Annotated[
    UploadFile,
    File(description="The sheet: CSV (UTF-8, with or without BOM, or GB18030) or XLSX."),
]
KindField = Annotated[UploadKind, Form(description="`results` or `pool_results`.")]

_COLUMNS = "; ".join(f"`{k.value}`: {', '.join(v.columns)}" for k, v in LAYOUTS.items())
_SHEET_RULES = (
    "Multipart form: `file` and `kind`. Row 1 names the columns (any order; "
    f"{_COLUMNS}); data from row 2; blank rows are skipped. A time without an offset is "
    "hospital local time (WARDGATE_TIMEZONE). Errors name the row and column as in the sheet "
    "(`row`, `column`, `cell` such as `D7`, `msg`, `type`); at most 1,000 are listed, "
    f"`error_count` counts them all. At most {MAX_ROWS:,} rows and "
    f"{MAX_FILE_BYTES // (1024 * 1024)} MiB; formula cells are refused."
)
_FILE_REFUSALS: dict[int | str, dict[str, Any]] = {
    413: {
        "description": "`payload_too_large`, `file_too_large`, `too_many_rows` or "
        "`sheet_too_large` (an XLSX unpacking to more than 200 MiB)"
    },
    422: {
        "description": "`validation_error` (no `file`, unknown `kind`), `unreadable_file`, "
        "`empty_file`, `too_many_columns`, `cell_too_long`"
    },
}


class CellErrorPublic(BaseModel):
    """One error as found in the sheet."""

    row: int
    column: str | None
    cell: str | None
    field: str
    msg: str
    type: str


class UploadCheckPublic(BaseModel):
    """A checked sheet: ready when it has no error."""

    kind: UploadKind
    rows: int
    ready: bool
    error_count: int
    errors: list[CellErrorPublic]


class UploadStoredPublic(BaseModel):
    """A stored sheet."""

    kind: UploadKind
    rows: int
    accepted: int
    duplicates: int


def _read(file: UploadFile) -> bytes:
    return file.file.read(MAX_FILE_BYTES + 1)


@router.post(
    "/uploads/check",
    response_model=UploadCheckPublic,
    summary="Check a spreadsheet of results or pool results (nothing stored)",
    description="Every row is checked as the API would check it, against what is stored "
    "(unknown persons or pools, conflicting versions). 200 whether or not it has errors. "
    + _SHEET_RULES,
    responses=_FILE_REFUSALS,
)
def check_upload(
    request: Request,
    session: DbSession,
    audit: Audit,
    principal: Writer,
    file: SheetFile,
    kind: KindField,
) -> dict[str, Any]:
    zone = request.app.state.settings.timezone
    checked = service.check_upload(
        session, kind, _read(file), principal.sub, audit, zone, utc_now()
    )
    return checked.summary()


@router.post(
    "/uploads",
    response_model=UploadStoredPublic,
    summary="Store a spreadsheet of results or pool results: all rows or none",
    description="Checks every row first; with any error, 422 `upload_invalid` lists them "
    "(`errors`, `error_count`, `rows`) and nothing is stored. Otherwise every row is stored "
    "in one transaction through the batch rules (`POST /results/batch` for results, "
    "`POST /pools/{pool_id}/result` for pool results): `accepted` new versions, "
    "`duplicates` safe retries of stored content. " + _SHEET_RULES,
    responses={
        **_FILE_REFUSALS,
        422: {
            "description": "`upload_invalid` (errors by row and column; nothing stored), "
            + _FILE_REFUSALS[422]["description"]
        },
    },
)
def store_upload(
    request: Request,
    session: DbSession,
    audit: Audit,
    principal: Writer,
    file: SheetFile,
    kind: KindField,
) -> UploadStoredPublic:
    zone = request.app.state.settings.timezone
    stored = service.store_upload(session, kind, _read(file), principal.sub, audit, zone, utc_now())
    return UploadStoredPublic(
        kind=stored.kind, rows=stored.rows, accepted=stored.accepted, duplicates=stored.duplicates
    )


@router.get(
    "/uploads/template",
    summary="A blank sheet of a kind: its columns and one example row",
    description="`format=csv` (UTF-8 with BOM, as Excel opens it) or `xlsx`.",
    response_class=Response,
    responses={
        200: {"content": {CSV_TYPE: {}, XLSX_TYPE: {}}, "description": "The template"},
        422: {"description": "`validation_error` (unknown `kind` or `format`)"},
    },
    dependencies=[Depends(require(*CLINICAL_WRITERS))],
)
def upload_template(kind: UploadKind, format: Literal["csv", "xlsx"] = "csv") -> Response:
    if format == "xlsx":
        body, media = template_xlsx(kind), XLSX_TYPE
    else:
        body, media = template_csv(kind), CSV_TYPE
    name = template_name(kind, format)
    return Response(
        body, media_type=media, headers={"Content-Disposition": f'attachment; filename="{name}"'}
    )
