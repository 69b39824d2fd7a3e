"""The downloadable template of each kind: its columns and one example row (CSV or XLSX)."""

from __future__ import annotations

import csv
import io

from services.screening.uploads.columns import LAYOUTS, UploadKind

CSV_TYPE = "text/csv; charset=utf-8"
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def template_csv(kind: UploadKind) -> bytes:
    """UTF-8 with a BOM, so that Excel opens the Chinese example correctly."""
    layout = LAYOUTS[kind]
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(layout.columns)
    writer.writerow([layout.example.get(c, "") for c in layout.columns])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def template_xlsx(kind: UploadKind) -> bytes:
    """One sheet: bold header, the example row, every cell formatted as text (so Excel keeps
    leading zeros of ids and does not turn times into its own date numbers)."""
    layout = LAYOUTS[kind]
    # openpyxl is imported on first use, not at startup (the service's memory budget).
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    sheet = book.active
    assert sheet is not None  # a new workbook has its sheet
    sheet.title = kind.value
    sheet.append(list(layout.columns))
    sheet.append([layout.example.get(c, "") for c in layout.columns])
    for index, name in enumerate(layout.columns, start=1):
        sheet.cell(row=1, column=index).font = Font(bold=True)
        for row in range(1, 3):
            sheet.cell(row=row, column=index).number_format = "@"
        letter = sheet.cell(row=1, column=index).column_letter
        sheet.column_dimensions[letter].width = max(14, len(name) + 4)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def template_name(kind: UploadKind, extension: str) -> str:
    """The file name a download is saved under."""
    return f"wardgate-{kind.value.replace('_', '-')}-template.{extension}"
