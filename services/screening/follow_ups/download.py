"""The follow-up team's CSV: one row per follow-up, hospital local time."""

from __future__ import annotations

from collections.abc import Sequence
from zoneinfo import ZoneInfo

from fastapi.responses import Response

from services.screening.follow_ups.service import FollowUp
from shared.masking import mask_name, mask_phone
from shared.web.csv_export import CSV_MEDIA_TYPE, attachment, csv_text

CSV_COLUMNS = (
    "id",
    "person_external_id",
    "name",
    "phone",
    "index_external_id",
    "reason",
    "start",
    "end",
    "state",
    "checks",
    "last_check_date",
    "last_temperature_c",
    "last_symptoms",
    "missed_days",
    "due_today",
    "opened_at",
)


def follow_ups_csv(found: Sequence[FollowUp], timezone: ZoneInfo, *, in_full: bool) -> Response:
    """The follow-ups as a CSV download (names and phones masked unless `in_full`)."""
    name = (lambda v: v) if in_full else mask_name
    phone = (lambda v: v) if in_full else mask_phone
    rows = []
    for f in found:
        r, last = f.row, (f.checks[-1] if f.checks else None)
        rows.append(
            (
                r.id,
                r.person_external_id,
                name(r.name),
                phone(r.phone),
                r.index_external_id,
                r.reason,
                r.start.isoformat(),
                r.end.isoformat(),
                r.state,
                len(f.checks),
                last.day.isoformat() if last else None,
                last.temperature_c if last else None,
                " ".join(last.symptoms) if last else None,
                f.missed_days,
                "yes" if f.due_today else "no",
                r.opened_at,
            )
        )
    return Response(
        csv_text(CSV_COLUMNS, rows, timezone),
        media_type=CSV_MEDIA_TYPE,
        headers=attachment("follow-ups.csv"),
    )
