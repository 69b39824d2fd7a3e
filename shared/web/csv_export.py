"""CSV for the people who open it: Excel-safe UTF-8, hospital local time, no formulas.

Every CSV download of WardGate is built here: a byte-order mark first (Excel opens UTF-8
without one as the local ANSI code page, so Chinese names turn to mojibake), times in the
hospital's local time with its offset, and no cell that a spreadsheet would run as a formula.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

BOM = "\ufeff"
CSV_MEDIA_TYPE = "text/csv; charset=utf-8"
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def cell(value: Any, timezone: ZoneInfo | None = None) -> str:
    """One cell: times in local time with offset (when `timezone` is given), never a formula."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        text = (value.astimezone(timezone) if timezone else value).isoformat(timespec="seconds")
    else:
        text = str(value)
    # A leading =, +, -, @ would make a spreadsheet run the cell as a formula.
    return "'" + text if text.startswith(_FORMULA_STARTS) else text


def csv_text(
    columns: Sequence[str], rows: Iterable[Sequence[Any]], timezone: ZoneInfo | None = None
) -> str:
    """A whole CSV document (BOM, header, rows) as text."""
    return "".join(csv_chunks(columns, [rows], timezone))


def csv_chunks(
    columns: Sequence[str],
    pages: Iterable[Iterable[Sequence[Any]]],
    timezone: ZoneInfo | None = None,
) -> Iterator[str]:
    """The BOM and header, then one chunk of CSV text per page of rows (for streaming)."""
    buffer = io.StringIO()
    buffer.write(BOM)
    writer = csv.writer(buffer)
    writer.writerow(columns)
    for page in pages:
        for row in page:
            writer.writerow([cell(v, timezone) for v in row])
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
    if buffer.tell():  # no page at all: the header alone
        yield buffer.getvalue()


def attachment(filename: str) -> dict[str, str]:
    """The Content-Disposition header of a download named `filename` (made filesystem-safe)."""
    safe = re.sub(r"[^A-Za-z0-9._-]", "_", filename)
    return {"Content-Disposition": f'attachment; filename="{safe}"'}
