"""Reports to public health: the ledger (overdue first, names masked) and its compliance."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter
from fastapi.responses import Response

from services.screening.domain.reports import report_state
from services.screening.public_health.repository import ReportRow
from services.screening.public_health.service import reports_export, reports_view
from services.screening.ui.common import ComplianceReader, refusal
from services.screening.web import utc_now
from shared.audit import Audit
from shared.db import DbSession
from shared.errors import Problem
from shared.masking import mask_name
from shared.web.csv_export import CSV_MEDIA_TYPE, attachment, csv_text
from shared.web.ui import N_, Ui
from shared.web.ui.forms import attempt, day_bounds, local_day

router = APIRouter()
PAGE_ROWS = 200
CSV_ROWS = 50_000
DEFAULT_DAYS = 30

KINDS = {
    "initial": N_("First report"),
    "correction": N_("Correction"),
    "cancel": N_("Cancellation"),
}
# (words, tone of the badge)
STATES = {
    "overdue": (N_("Overdue"), "bad"),
    "failed": (N_("Failed, retrying"), "warn"),
    "pending": (N_("Waiting to send"), "info"),
    "delivered": (N_("Delivered"), "good"),
}
CSV_COLUMNS = (
    "report_id",
    "result_external_id",
    "result_version",
    "person_external_id",
    "person_name_masked",
    "kind",
    "received_at",
    "due_at",
    "delivered_at",
    "attempts",
    "state",
    "last_error",
)


def _window(ui: Ui, first: str, last: str) -> tuple[dict[str, str], dict[str, str], Any]:
    """The days asked for (the last 30 by default, hospital time), their errors, bounds."""
    today = utc_now().astimezone(ui.settings.timezone).date()
    errors: dict[str, str] = {}
    chosen: dict[str, date] = {}
    for name, text, default in (
        ("first", first, today - timedelta(days=DEFAULT_DAYS - 1)),
        ("last", last, today),
    ):
        day = local_day(text) if text.strip() else default
        if day is None:
            errors[name] = ui.gettext("Enter a date.")
            day = default
        chosen[name] = day
    if not errors and chosen["first"] > chosen["last"]:
        errors["first"] = ui.gettext("The first day must not be after the last day.")
    form = {k: v.isoformat() for k, v in chosen.items()}
    return form, errors, day_bounds(chosen["first"], chosen["last"], ui.settings.timezone)


def _shown(row: ReportRow, now: Any) -> dict[str, Any]:
    state = report_state(
        delivered_at=row.delivered_at, due_at=row.due_at, attempts=row.attempts, now=now
    )
    return {"row": row, "state": state.value, "name": mask_name(row.person_name) or ""}


@router.get("/public-health", summary="Reports to public health: the ledger and its compliance")
def public_health(
    ui: ComplianceReader, session: DbSession, audit: Audit, first: str = "", last: str = ""
) -> Response:
    """Reports not yet delivered (overdue first), the latest delivered, and the figures."""
    form, errors, (start, end) = _window(ui, first[:10], last[:10])
    context: dict[str, Any] = {"form": form, "KINDS": KINDS, "STATES": STATES}
    if errors:
        return ui.render("screening/public_health.html", status=422, errors=errors, **context)
    now = utc_now()
    view = attempt(ui, session, lambda: reports_view(session, audit, start, end, now, PAGE_ROWS))
    if isinstance(view, Problem):
        return ui.render(
            "screening/public_health.html",
            status=view.status,
            errors={"": refusal(ui, view)},
            **context,
        )
    return ui.render(
        "screening/public_health.html",
        errors={},
        open=[_shown(r, now) for r in view.open],
        delivered=[_shown(r, now) for r in view.delivered],
        figures=view.figures,
        csv_url=ui.url("/public-health.csv") + "?" + urlencode(form),
        **context,
    )


@router.get("/public-health.csv", summary="Reports to public health as CSV")
def public_health_csv(
    ui: ComplianceReader, session: DbSession, audit: Audit, first: str = "", last: str = ""
) -> Response:
    """Every report whose result arrived in the days chosen, oldest first (names masked)."""
    form, errors, (start, end) = _window(ui, first[:10], last[:10])
    if errors:
        return ui.render(
            "screening/public_health.html",
            status=422,
            errors=errors,
            form=form,
            KINDS=KINDS,
            STATES=STATES,
        )
    now = utc_now()
    rows = reports_export(session, audit, start, end, CSV_ROWS)
    lines = []
    for r in rows:
        shown = _shown(r, now)
        lines.append(
            [
                r.id,
                r.result_external_id,
                r.result_version,
                r.person_external_id,
                shown["name"],
                r.kind,
                r.received_at,
                r.due_at,
                r.delivered_at,
                r.attempts,
                shown["state"],
                r.last_error,
            ]
        )
    return Response(
        csv_text(CSV_COLUMNS, lines, ui.settings.timezone),
        media_type=CSV_MEDIA_TYPE,
        headers=attachment(f"public-health-reports-{form['first']}-{form['last']}.csv"),
    )
