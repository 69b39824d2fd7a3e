"""The entrance's day on the arrivals page: outcomes by hour, verified or hand-read codes,
fever, and per department booked / arrived / not yet (charts drawn on the server)."""

from __future__ import annotations

from datetime import date
from typing import Any

from services.appointments.entrance.service import entrance_summary
from services.appointments.ui.booking import department_names, settings_of
from services.appointments.ui.words import department_label
from shared.audit import Audit
from shared.errors import Problem
from shared.web.ui import N_, Ui
from shared.web.ui.charts import ChartSeries, horizontal_bars, vertical_bars
from shared.web.ui.forms import attempt

OUTCOME_SERIES = (
    ("admitted", N_("Admitted")),
    ("redirected_fever_clinic", N_("Sent to the fever clinic")),
    ("refused", N_("Not admitted")),
)
DEPARTMENT_SERIES = (("arrived", N_("Arrived")), ("not_yet", N_("Not yet arrived")))
CLINIC_HOURS = (8, 17)  # the hours the chart always shows, so one busy hour is not a wall


def _busy_hours(by_hour: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The clinic day (08:00 to 17:00), widened to the first and last hour with an attempt;
    none when nothing happened at the door."""
    busy = [h["hour"] for h in by_hour if any(h[key] for key, _ in OUTCOME_SERIES)]
    if not busy:
        return []
    first, last = min(busy[0], CLINIC_HOURS[0]), max(busy[-1], CLINIC_HOURS[1])
    return [h for h in by_hour if first <= h["hour"] <= last]


def door_day(ui: Ui, session: Any, audit: Audit, day: date) -> dict[str, Any] | None:
    """The day's entrance summary (every department) with its charts, or None."""
    tz = settings_of(ui).timezone
    found = attempt(ui, session, lambda: entrance_summary(session, audit, day, None, tz))
    if isinstance(found, Problem):
        return None
    summary = found.model_dump(mode="json")
    hours = _busy_hours(summary["by_hour"])
    names = department_names(ui, session)
    departments = [
        {**d, "label": department_label(names, d["department"])} for d in summary["by_department"]
    ]

    def series(rows: list[dict[str, Any]], keys: tuple[tuple[str, str], ...]) -> list[ChartSeries]:
        return [
            ChartSeries(ui.gettext(label), key, [int(r[key]) for r in rows]) for key, label in keys
        ]

    by_hour = vertical_bars(
        [f"{h['hour']:02d}:00" for h in hours],
        series(hours, OUTCOME_SERIES),
        title=ui.gettext("Check-ins at the entrance by hour"),
    )
    by_department = horizontal_bars(
        [d["department"] for d in departments],
        series(departments, DEPARTMENT_SERIES),
        title=ui.gettext("Appointments by department: arrived and not yet"),
    )
    return {
        **summary,
        "hours": hours,
        "departments": departments,
        "attempts": sum(summary["by_outcome"].values()),
        "chart_by_hour": by_hour if hours else None,
        "chart_by_department": by_department if departments else None,
    }
