"""Infection control's way in: a day's positive results, the open alerts, each exposure list."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter
from fastapi.responses import Response

from services.screening.alerts.reading import OPEN_ALERT_DAYS, open_alerts
from services.screening.results.reading import ReceivedFilter, received_results
from services.screening.ui.common import Tracer, department_names, refusal
from services.screening.web import utc_now
from shared.audit import Audit
from shared.db import DbSession
from shared.errors import Problem
from shared.vocabulary import ResultValue
from shared.web.ui import Ui
from shared.web.ui.forms import attempt, day_bounds, local_day
from shared.web.ui.vocabulary import words

router = APIRouter()
PAGE_ROWS = 200


def _day(ui: Ui, day: str) -> tuple[str, dict[str, str], tuple[datetime, datetime]]:
    """The day asked for (today in hospital time by default), its errors and its bounds."""
    zone = ui.settings.timezone
    today = utc_now().astimezone(zone).date()
    chosen = local_day(day) if day else today
    errors = {}
    if chosen is None:
        errors["day"] = ui.gettext("Enter a date.")
        chosen = today
    start, end = day_bounds(chosen, chosen, zone)
    return chosen.isoformat(), errors, (start, end)


@router.get("/infection-control", summary="A day's positive results and the open alerts")
def infection_control(
    ui: Tracer, session: DbSession, audit: Audit, day: str = "", cursor: str = ""
) -> Response:
    """Positives received that day (newest first) with exposure-list links; open alerts."""
    shown_day, errors, (start, end) = _day(ui, day[:10])
    today = shown_day == _day(ui, "")[0]
    context: dict[str, Any] = {"form": {"day": shown_day}, "today": today}
    if errors:
        return ui.render("screening/infection_control.html", status=422, errors=errors, **context)
    names = department_names(ui)  # before the session is used (see attempt_on_loop)
    who = ReceivedFilter(result=ResultValue.POSITIVE, start=start, end=end)
    positives = attempt(
        ui,
        session,
        lambda: received_results(session, audit, who, size=PAGE_ROWS, cursor=cursor[:512] or None),
    )
    if isinstance(positives, Problem):
        return ui.render(
            "screening/infection_control.html",
            status=positives.status,
            errors={"": refusal(ui, positives)},
            **context,
        )
    alerts = open_alerts(session, audit, utc_now())
    next_url = None
    if positives.next_cursor:
        query = urlencode({"day": shown_day, "cursor": positives.next_cursor})
        next_url = ui.url("/infection-control") + "?" + query
    return ui.render(
        "screening/infection_control.html",
        errors={},
        positives=positives.items,
        alerts=alerts,
        alert_days=OPEN_ALERT_DAYS,
        departments=names,
        names_missing=not names,
        next_url=next_url,
        previous_day=(datetime.fromisoformat(shown_day) - timedelta(days=1)).date().isoformat(),
        **context,
        **words(),
    )
