"""Stored attempts as CSV text, a page of rows per chunk (safe to open in a spreadsheet)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from typing import Any

from services.discharge.models import Discharge

CSV_MEDIA_TYPE = "text/csv; charset=utf-8"
CSV_HEADERS = {"Content-Disposition": 'attachment; filename="discharges.csv"'}
CSV_COLUMNS = (
    "id",
    "created_at",
    "patient_external_id",
    "department",
    "ward",
    "disposition",
    "outcome",
    "reasons",
    "evidence",
    "reason",
    "actor",
    "admission_key",
    "rule_version",
)


def _cell(value: Any) -> str:
    text = "" if value is None else str(value)
    # Spreadsheet formula injection: a cell must never start like a formula.
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def _csv_row(d: Discharge) -> list[str]:
    evidence = ";".join(
        f"{e['test_type']}:{e.get('result')}:{e['result_external_id']}@{e['specimen_collected_at']}"
        for e in d.evidence
    )
    values = [
        d.id,
        d.created_at.isoformat(),
        d.patient_external_id,
        d.department,
        d.ward,
        d.disposition,
        d.outcome,
        ";".join(r["code"] for r in d.reasons),
        evidence,
        d.reason,
        d.actor,
        d.admission_key,
        d.rule_version,
    ]
    return [_cell(v) for v in values]


def csv_chunks(pages: Iterator[list[Discharge]]) -> Iterator[str]:
    """The header, then one chunk of CSV text per page of attempts."""
    # One chunk per page: the next page is read (in a short transaction of its own) only
    # once the client has taken this one, so a stalled client holds no connection and at
    # most one page of text.
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(CSV_COLUMNS)
    for page in pages:
        for discharge in page:
            writer.writerow(_csv_row(discharge))
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
    if buffer.tell():  # no matching row: the header alone
        yield buffer.getvalue()
