"""The exposure list as a CSV download (the API's `Accept: text/csv` and the page's link)."""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC

from starlette.responses import Response

from services.screening.exposures.service import ExposureList

CSV_COLUMNS = ("external_id", "name", "category", "why", "when", "status", "lacking")


def _cell(value: str) -> str:
    # A leading =, +, -, @ would make a spreadsheet run the cell as a formula.
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


def exposures_csv(traced: ExposureList) -> Response:
    """The list as a CSV download (one row per exposed person)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(CSV_COLUMNS)
    for item in traced.items:
        lacking = ";".join(f"{x.test_type}:{x.state}" for x in item.lacking or ())
        row = (
            item.external_id,
            item.name or "",
            item.category or "",
            ";".join(item.why),
            item.when.astimezone(UTC).isoformat(),
            item.status,
            lacking,
        )
        writer.writerow([_cell(str(v)) for v in row])
    name = re.sub(r"[^A-Za-z0-9._-]", "_", traced.index_external_id)
    return Response(
        buffer.getvalue(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="exposures-{name}.csv"'},
    )
