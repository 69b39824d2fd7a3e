"""Spreadsheet uploads: check every row, then store all of them in one go (or none).

Results go through `results.service.record_batch` (the batch API's rules, in chunks of the
batch API's size, all in the caller's one transaction); pool results through
`pools.service.record_pool_result`, one row after the other in the same transaction. Any row
refused at storing time (a concurrent writer) raises, so the caller's transaction rolls back
and nothing of the sheet is kept.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ValidationError
from sqlmodel import Session

from services.screening.domain.versions import (
    DUPLICATE,
    REJECTED,
    StoredVersion,
    content_hash,
    place_result,
)
from services.screening.persons import repository as persons
from services.screening.pools import repository as pools_repo
from services.screening.pools import service as pools
from services.screening.pools.schemas import PoolResultCreate
from services.screening.results import repository as results
from services.screening.results.schemas import CLOCK_SKEW, IN_THE_FUTURE, ResultCreate
from services.screening.results.service import AuditLog, record_batch
from services.screening.uploads.columns import (
    CellError,
    UploadKind,
    cell_errors,
    formula_errors,
    header_errors,
    problem_errors,
    row_body,
)
from services.screening.uploads.sheets import Sheet, SheetRefused, read_sheet
from shared.errors import PayloadTooLarge, Problem, Unprocessable, field_error, validation_errors
from shared.fields import is_identifier

MAX_SHOWN_ERRORS = 1000
BATCH_SIZE = 5000  # the batch API's bound: each chunk is one record_batch call


@dataclass
class Checked:
    """A sheet's rows checked: its errors (none: ready to store) and the parsed items."""

    kind: UploadKind
    rows: int
    header: list[str] = field(default_factory=list)
    errors: list[CellError] = field(default_factory=list)
    items: list[tuple[int, Any]] = field(default_factory=list)

    def summary(self) -> dict[str, Any]:
        """What the check answers: counts and the first errors, by row and column."""
        return {
            "kind": self.kind.value,
            "rows": self.rows,
            "ready": not self.errors,
            "error_count": len(self.errors),
            "errors": [e.as_dict() for e in self.errors[:MAX_SHOWN_ERRORS]],
        }


@dataclass
class Stored:
    """What storing a sheet did."""

    kind: UploadKind
    rows: int
    accepted: int
    duplicates: int


def sheet_of(data: bytes) -> Sheet:
    """The sheet in an uploaded file; 413 or 422 problems for a file that is not one."""
    try:
        return read_sheet(data)
    except SheetRefused as refused:
        if refused.too_large:
            raise PayloadTooLarge(refused.detail, code=refused.code) from None
        raise Unprocessable(refused.detail, code=refused.code) from None


def _model_rows(
    sheet: Sheet, model: type[BaseModel], zone: ZoneInfo, errors: list[CellError]
) -> list[tuple[int, dict[str, Any], Any]]:
    """Each row as its body and validated model; rows that do not validate add errors."""
    parsed = []
    for number, cells in sheet.rows:
        body, problems = row_body(sheet.header, cells, zone)
        if problems:
            errors.extend(problem_errors(sheet.header, number, problems))
            continue
        pool_id = body.pop("pool_id", None)
        try:
            item = model.model_validate(body)
        except ValidationError as exc:
            errors.extend(cell_errors(sheet.header, number, validation_errors(exc)))
            continue
        parsed.append((number, {"pool_id": pool_id}, item))
    return parsed


def _check_results(
    session: Session, sheet: Sheet, zone: ZoneInfo, now: datetime, errors: list[CellError]
) -> list[tuple[int, Any]]:
    items: list[tuple[int, ResultCreate]] = []
    for number, _extra, item in _model_rows(sheet, ResultCreate, zone, errors):
        problems = item.problems(now)
        if problems:
            errors.extend(cell_errors(sheet.header, number, problems))
        else:
            items.append((number, item))
    known = persons.persons_by_id(session, (item.person_external_id for _, item in items))
    history = results.histories(session, (item.external_id for _, item in items))
    for number, item in items:
        if item.person_external_id not in known:
            problem = field_error("person_external_id", "unknown person", "unknown_person")
            errors.extend(cell_errors(sheet.header, number, [problem]))
            continue
        _place(sheet, number, item, history[item.external_id], errors)
    return list(items)


def _place(
    sheet: Sheet,
    number: int,
    item: ResultCreate,
    versions: list[StoredVersion],
    errors: list[CellError],
) -> None:
    """Place the row among its stored versions and those of the rows above it (as the batch
    API does): a retry changes nothing, a refusal is the row's error, else a new version."""
    digest = content_hash(item.content())
    placement = place_result(
        versions,
        status=item.status,
        digest=digest,
        person_external_id=item.person_external_id,
        test_type=item.test_type,
    )
    if placement.kind == REJECTED:
        problem = field_error("external_id", placement.detail, placement.code)
        errors.extend(cell_errors(sheet.header, number, [problem]))
    elif placement.kind != DUPLICATE:
        versions.append(
            StoredVersion(
                placement.version, item.status, digest, item.person_external_id, item.test_type
            )
        )


def _pool_problem(
    pool_id: Any, item: PoolResultCreate, known: set[str], now: datetime
) -> dict[str, Any] | None:
    if pool_id is None:
        return field_error("pool_id", "Field required", "missing")
    if not isinstance(pool_id, str) or not is_identifier(pool_id):
        return field_error("pool_id", "is not a valid identifier", "string_pattern_mismatch")
    if pool_id not in known:
        return field_error("pool_id", "unknown pool", "unknown_pool")
    if item.resulted_at is not None and item.resulted_at > now + CLOCK_SKEW:
        return field_error("resulted_at", "is in the future", IN_THE_FUTURE)
    return None


def _check_pool_results(
    session: Session, sheet: Sheet, zone: ZoneInfo, now: datetime, errors: list[CellError]
) -> list[tuple[int, Any]]:
    """Rows as (number, (pool_id, body, is_retry)); placed among their stored versions."""
    rows = _model_rows(sheet, PoolResultCreate, zone, errors)
    wanted = sorted({extra["pool_id"] for _, extra, _ in rows if extra["pool_id"]})
    known: set[str] = set()
    for start in range(0, len(wanted), 1000):
        known |= pools_repo.known_pools(session, wanted[start : start + 1000])
    history: dict[str, list[StoredVersion]] = {}
    items: list[tuple[int, Any]] = []
    for number, extra, item in rows:
        pool_id = extra["pool_id"]
        problem = _pool_problem(pool_id, item, known, now)
        if problem is None:
            content = item.content(pool_id)
            digest = content_hash(content)
            if item.external_id not in history:
                history[item.external_id] = pools_repo.pool_result_history(
                    session, item.external_id
                )
            versions = history[item.external_id]
            placement = place_result(
                versions,
                status=content["status"],
                digest=digest,
                person_external_id=pool_id,
                test_type="nucleic_acid",
            )
            if placement.kind != REJECTED:
                retry = placement.kind == DUPLICATE
                if not retry:
                    stored = StoredVersion(
                        placement.version, content["status"], digest, pool_id, "nucleic_acid"
                    )
                    versions.append(stored)
                items.append((number, (pool_id, item, retry)))
                continue
            problem = field_error("external_id", placement.detail, placement.code)
        errors.extend(cell_errors(sheet.header, number, [problem]))
    return items


_CHECKS: dict[
    UploadKind,
    Callable[[Session, Sheet, ZoneInfo, datetime, list[CellError]], list[tuple[int, Any]]],
] = {
    UploadKind.results: _check_results,
    UploadKind.pool_results: _check_pool_results,
}


def _checked(
    session: Session, kind: UploadKind, data: bytes, zone: ZoneInfo, now: datetime
) -> Checked:
    sheet = sheet_of(data)
    checked = Checked(kind, len(sheet.rows), sheet.header)
    checked.errors = header_errors(kind, sheet.header)
    if checked.errors:  # rows under a wrong header would only repeat the header's errors
        return checked
    if not sheet.rows:
        checked.errors.append(CellError(2, None, None, "the sheet has no data rows", "no_rows"))
        return checked
    checked.errors.extend(formula_errors(sheet))
    checked.items = _CHECKS[kind](session, sheet, zone, now, checked.errors)
    checked.errors.sort(key=lambda e: (e.row, e.letter or ""))
    return checked


def check_upload(
    session: Session,
    kind: UploadKind,
    data: bytes,
    actor: str,
    audit: AuditLog,
    zone: ZoneInfo,
    now: datetime,
) -> Checked:
    """Every row of the sheet checked against the API's rules; nothing stored. Audited."""
    checked = _checked(session, kind, data, zone, now)
    audit.record(
        "upload.check", f"uploads/{kind.value}", rows=checked.rows, errors=len(checked.errors)
    )
    return checked


def _refused(checked: Checked) -> Unprocessable:
    summary = checked.summary()
    return Unprocessable(
        f"{summary['error_count']} error(s) in the sheet; nothing was stored.",
        code="upload_invalid",
        errors=summary["errors"],
        extra={"rows": checked.rows, "error_count": summary["error_count"]},
    )


def _store_results(
    session: Session, checked: Checked, actor: str, audit: AuditLog, now: datetime
) -> tuple[int, int]:
    accepted = duplicates = 0
    for start in range(0, len(checked.items), BATCH_SIZE):
        chunk = checked.items[start : start + BATCH_SIZE]
        tally = record_batch(session, [item for _, item in chunk], actor, audit, now)
        for rejection in tally.rejected:  # a concurrent writer took a version meanwhile
            number = chunk[rejection["index"]][0]
            checked.errors.extend(cell_errors(checked.header, number, rejection["errors"]))
        accepted += tally.accepted
        duplicates += tally.duplicates
    return accepted, duplicates


def _store_pool_results(
    session: Session, checked: Checked, actor: str, audit: AuditLog, now: datetime
) -> tuple[int, int]:
    retries = 0
    for number, (pool_id, item, retry) in checked.items:
        try:
            pools.record_pool_result(session, pool_id, item, actor, audit, now)
        except Problem as problem:
            found = [dict(e) for e in problem.errors or []]
            found = found or [field_error("external_id", problem.detail, problem.code)]
            checked.errors.extend(cell_errors(checked.header, number, found))
        retries += retry
    return len(checked.items) - retries, retries


_STORES = {UploadKind.results: _store_results, UploadKind.pool_results: _store_pool_results}


def store_upload(
    session: Session,
    kind: UploadKind,
    data: bytes,
    actor: str,
    audit: AuditLog,
    zone: ZoneInfo,
    now: datetime,
) -> Stored:
    """Check every row, then store them all in the caller's transaction; audited.

    Raises Unprocessable `upload_invalid` (errors by row and column) when any row has an
    error, before or while storing: the caller's transaction then rolls back, so nothing of
    the sheet is kept. PayloadTooLarge / Unprocessable for a file that is not a sheet.
    """
    checked = _checked(session, kind, data, zone, now)
    if checked.errors:
        raise _refused(checked)
    accepted, duplicates = _STORES[kind](session, checked, actor, audit, now)
    if checked.errors:
        checked.errors.sort(key=lambda e: (e.row, e.letter or ""))
        raise _refused(checked)
    audit.record(
        "upload.store",
        f"uploads/{kind.value}",
        rows=checked.rows,
        accepted=accepted,
        duplicates=duplicates,
    )
    return Stored(kind, checked.rows, accepted, duplicates)
