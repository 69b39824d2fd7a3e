"""The two kinds of upload, their columns, and a sheet row as the API body it stands for.

The columns are the fields of the API's own input models (`POST /results` and
`POST /pools/{pool_id}/result`, plus `pool_id`), so a sheet says what the API says. A time
without an offset (an Excel date cell, or text such as `2026/12/7 9:30`) is hospital local
time, as for HL7 v2; the API's JSON refuses such times, a spreadsheet has no other kind.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo

from pydantic import BaseModel

from services.screening.pools.schemas import PoolResultCreate
from services.screening.results.schemas import ResultCreate
from services.screening.uploads.sheets import FORMULA, Sheet, column_letter
from shared.errors import field_error


class UploadKind(StrEnum):
    """What a sheet holds."""

    results = "results"
    pool_results = "pool_results"


@dataclass(frozen=True)
class Layout:
    """A kind's columns: all of them in template order, and those every row must fill."""

    columns: tuple[str, ...]
    required: tuple[str, ...]
    example: dict[str, str]


def _fields(model: type[BaseModel]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    names = tuple(model.model_fields)
    required = tuple(n for n, f in model.model_fields.items() if f.is_required())
    return names, required


_RESULT_COLS, _RESULT_REQUIRED = _fields(ResultCreate)
_POOL_COLS, _POOL_REQUIRED = _fields(PoolResultCreate)
TIME_COLUMNS = frozenset({"specimen_collected_at", "resulted_at"})
JSON_COLUMNS = frozenset({"values"})

LAYOUTS = {
    UploadKind.results: Layout(
        _RESULT_COLS,
        _RESULT_REQUIRED,
        {
            "external_id": "LAB-2026-000123",
            "person_external_id": "P1001",
            "test_type": "nucleic_acid",
            "result": "negative",
            "status": "final",
            "specimen_collected_at": "2026-12-07T08:30:00+08:00",
            "resulted_at": "2026-12-07T14:05:00+08:00",
            "performer": "检验科 王敏",
        },
    ),
    UploadKind.pool_results: Layout(
        ("pool_id", *_POOL_COLS),
        ("pool_id", *_POOL_REQUIRED),
        {
            "pool_id": "POOL-20261207-0001",
            "external_id": "LAB-POOL-000045",
            "result": "negative",
            "status": "final",
            "resulted_at": "2026-12-07T14:05:00+08:00",
            "performer": "检验科 王敏",
        },
    ),
}


@dataclass
class CellError:
    """One error as a person finds it in the sheet: row number, column letter and name."""

    row: int
    column: str | None
    letter: str | None
    msg: str
    type: str

    def as_dict(self) -> dict[str, Any]:
        cell = f"{self.letter}{self.row}" if self.letter else None
        doc = field_error(self.column or "", self.msg, self.type)
        return {"row": self.row, "column": self.column, "cell": cell, **doc}


def header_errors(kind: UploadKind, header: list[str]) -> list[CellError]:
    """Unknown, repeated or missing columns in row 1."""
    layout = LAYOUTS[kind]
    errors: list[CellError] = []
    seen: set[str] = set()
    for index, name in enumerate(header):
        letter = column_letter(index)
        if not name:
            errors.append(CellError(1, None, letter, "a column without a name", "unnamed_column"))
        elif name not in layout.columns:
            errors.append(CellError(1, name[:64], letter, "is not a column", "unknown_column"))
        elif name in seen:
            errors.append(CellError(1, name, letter, "appears twice", "repeated_column"))
        seen.add(name)
    for name in layout.required:
        if name not in seen:
            errors.append(CellError(1, name, None, "the column is missing", "missing_column"))
    return errors


def local_time(text: str, zone: ZoneInfo) -> str:
    """`text` with hospital local time's offset added when it has none (else unchanged)."""
    candidate = text.strip().replace("/", "-")
    parsed: datetime | None
    try:
        parsed = datetime.fromisoformat(candidate)
    except ValueError:
        parsed = _loose_time(candidate)
    if parsed is None:
        return text
    if parsed.tzinfo is not None:
        return text
    if len(candidate) <= 10:  # a date without a time: left for the validator to refuse
        return text
    return parsed.replace(tzinfo=zone).isoformat()


def _loose_time(text: str) -> datetime | None:
    """Excel's short forms such as `2026-12-7 9:30` (no zero padding)."""
    for pattern in ("%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S"):
        try:
            return datetime.strptime(text, pattern)
        except ValueError:
            continue
    return None


def row_body(
    header: list[str], cells: list[str], zone: ZoneInfo
) -> tuple[dict[str, Any], list[tuple[int, str, str]]]:
    """The API body a row stands for (blank cells left out), and the cell problems found on
    the way as (column index, message, type)."""
    body: dict[str, Any] = {}
    problems: list[tuple[int, str, str]] = []
    for index, text in enumerate(cells):
        name = header[index] if index < len(header) else ""
        if not text:
            continue
        if not name:
            problems.append((index, "a value outside the named columns", "unnamed_column"))
        elif name in TIME_COLUMNS:
            body[name] = local_time(text, zone)
        elif name in JSON_COLUMNS:
            try:
                body[name] = json.loads(text)
            except ValueError:
                problems.append((index, "is not JSON", "json_invalid"))
        else:
            body[name] = text
    return body, problems


def problem_errors(
    header: list[str], row: int, problems: list[tuple[int, str, str]]
) -> list[CellError]:
    """Cell problems of `row_body` as sheet errors."""
    return [
        CellError(row, (header[i] if i < len(header) else None) or None, column_letter(i), m, t)
        for i, m, t in problems
    ]


def formula_errors(sheet: Sheet) -> list[CellError]:
    """A formula cell is refused: what the sheet computed is not what the laboratory reported."""
    errors = []
    for row, index in sheet.formulas:
        name = sheet.header[index] if index < len(sheet.header) else None
        msg = "holds a formula; paste its value instead"
        errors.append(CellError(row, name, column_letter(index), msg, FORMULA))
    return errors


def cell_errors(header: list[str], row: int, problems: list[dict[str, Any]]) -> list[CellError]:
    """API per-field errors of one row, placed at their cells (field `values.wbc` -> `values`)."""
    positions = {name: index for index, name in enumerate(header) if name}
    placed = []
    for problem in problems:
        loc = problem.get("loc") or [problem.get("field", "")]
        name = str(loc[0]) if loc else ""
        index = positions.get(name)
        letter = column_letter(index) if index is not None else None
        column = name if name else None
        placed.append(CellError(row, column, letter, str(problem["msg"]), str(problem["type"])))
    return placed
