"""Reading an uploaded spreadsheet (CSV or XLSX) into numbered rows of text, within bounds.

A sheet is read as a person sees it in Excel: the header is row 1, data starts at row 2, and
columns are letters. CSV is UTF-8 (with or without the BOM Excel writes) or, failing that,
GB18030 (what Chinese Excel saves as "CSV"). XLSX is read with openpyxl in read-only mode after
the zip's declared sizes are checked, so a zip bomb is refused before anything is unpacked.
Formula cells are refused (a formula's cached value is not what the laboratory typed).
"""

from __future__ import annotations

import csv
import io
import zipfile
from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import Any

MAX_FILE_BYTES = 10 * 1024 * 1024
MAX_ROWS = 50_000
MAX_COLUMNS = 40
MAX_CELL_CHARS = 4000
# An XLSX packs text about ten to one; more than this unpacked is not a results sheet.
MAX_UNPACKED_BYTES = 200 * 1024 * 1024
MAX_ZIP_MEMBERS = 2000
_ZIP_MAGIC = b"PK\x03\x04"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0"  # the old binary .xls
FORMULA = "formula"


class SheetRefused(Exception):
    """The file as a whole cannot be read: too large, not a sheet, damaged."""

    def __init__(self, code: str, detail: str, *, too_large: bool = False) -> None:
        super().__init__(detail)
        self.code = code
        self.detail = detail
        self.too_large = too_large


@dataclass
class Sheet:
    """The header (row 1) and the non-blank data rows, each with its row number."""

    header: list[str]
    rows: list[tuple[int, list[str]]] = field(default_factory=list)
    formulas: list[tuple[int, int]] = field(default_factory=list)  # (row, column index)


def column_letter(index: int) -> str:
    """The sheet's letter of the 0-based column `index` (0 -> A, 26 -> AA)."""
    from openpyxl.utils import get_column_letter  # on first use: the memory budget

    return str(get_column_letter(index + 1))


def read_sheet(data: bytes) -> Sheet:
    """The sheet in `data` (XLSX by its zip signature, else CSV text)."""
    if len(data) > MAX_FILE_BYTES:
        raise SheetRefused("file_too_large", "The file is larger than 10 MiB.", too_large=True)
    if not data.strip():
        raise SheetRefused("empty_file", "The file is empty.")
    if data.startswith(_OLE_MAGIC):
        raise SheetRefused("unreadable_file", "Old .xls files are not read: save as .xlsx or CSV.")
    if data.startswith(_ZIP_MAGIC):
        return _read_xlsx(data)
    return _read_csv(_decode(data))


def _decode(data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("gb18030")
    except UnicodeDecodeError:
        raise SheetRefused(
            "unreadable_file", "The file is neither UTF-8 nor GB18030 text, nor an XLSX workbook."
        ) from None


def _delimiter(text: str) -> str:
    first = text.split("\n", 1)[0]
    counts = {d: first.count(d) for d in (",", ";", "\t")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


def _read_csv(text: str) -> Sheet:
    if "\x00" in text:
        raise SheetRefused("unreadable_file", "The file holds NUL characters: not a CSV sheet.")
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(text))
    sheet: Sheet | None = None
    try:
        for number, raw in enumerate(reader, start=1):
            cells = [c.strip() for c in raw]
            if sheet is None:
                sheet = Sheet(header=_header(cells))
                continue
            _add_row(sheet, number, cells, [i for i, c in enumerate(cells) if c[:1] == "="])
    except csv.Error as exc:
        raise SheetRefused("unreadable_file", f"The CSV cannot be read: {exc}.") from None
    if sheet is None:
        raise SheetRefused("empty_file", "The file is empty.")
    return sheet


def _header(cells: list[str]) -> list[str]:
    while cells and not cells[-1]:
        cells.pop()
    if len(cells) > MAX_COLUMNS:
        raise SheetRefused("too_many_columns", f"The sheet has more than {MAX_COLUMNS} columns.")
    return [c.strip().lower() for c in cells]


def _add_row(sheet: Sheet, number: int, cells: list[str], formulas: list[int]) -> None:
    if not any(cells):
        return
    if len(sheet.rows) >= MAX_ROWS:
        raise SheetRefused(
            "too_many_rows", f"The sheet has more than {MAX_ROWS:,} rows.", too_large=True
        )
    if any(len(c) > MAX_CELL_CHARS for c in cells):
        raise SheetRefused(
            "cell_too_long", f"Row {number} has a cell longer than {MAX_CELL_CHARS} characters."
        )
    sheet.rows.append((number, cells))
    sheet.formulas.extend((number, i) for i in formulas)


def _check_zip(data: bytes) -> None:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, ValueError, OSError):
        raise SheetRefused("unreadable_file", "The XLSX workbook is damaged.") from None
    if len(members) > MAX_ZIP_MEMBERS:
        raise SheetRefused("unreadable_file", "The XLSX workbook has too many parts.")
    if sum(m.file_size for m in members) > MAX_UNPACKED_BYTES:
        raise SheetRefused(
            "sheet_too_large",
            "The XLSX workbook unpacks to more than 200 MiB: not a results sheet.",
            too_large=True,
        )


def _read_xlsx(data: bytes) -> Sheet:
    _check_zip(data)
    try:
        from openpyxl import load_workbook  # on first use: the memory budget

        book = load_workbook(io.BytesIO(data), read_only=True, data_only=False)
    except Exception:  # openpyxl raises many kinds for a damaged or foreign workbook
        raise SheetRefused("unreadable_file", "The XLSX workbook cannot be read.") from None
    try:
        return _first_sheet(book)
    except SheetRefused:
        raise
    except Exception:
        raise SheetRefused("unreadable_file", "The XLSX workbook cannot be read.") from None
    finally:
        book.close()


def _first_sheet(book: Any) -> Sheet:
    sheet: Sheet | None = None
    rows = book.worksheets[0].iter_rows(max_row=MAX_ROWS + 2, max_col=MAX_COLUMNS + 1)
    for number, cells in enumerate(rows, start=1):
        texts = [_cell_text(c.value) for c in cells]
        if sheet is None:
            sheet = Sheet(header=_header(texts))
            continue
        formulas = [i for i, c in enumerate(cells) if getattr(c, "data_type", None) == "f"]
        _add_row(sheet, number, texts[: MAX_COLUMNS + 1], formulas)
    if sheet is None:
        raise SheetRefused("empty_file", "The workbook's first sheet is empty.")
    declared = book.worksheets[0].max_row
    if isinstance(declared, int) and declared > MAX_ROWS + 1 and len(sheet.rows) >= MAX_ROWS:
        raise SheetRefused(
            "too_many_rows", f"The sheet has more than {MAX_ROWS:,} rows.", too_large=True
        )
    return sheet


def _cell_text(value: Any) -> str:
    """A cell as the text a person reads in it (dates in ISO form, whole numbers without .0)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, time):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    return str(value).strip()
