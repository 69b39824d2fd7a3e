"""The auditors' pages: the compliance dashboard, the discharges table and its CSV."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends
from fastapi.responses import Response, StreamingResponse

from services.discharge.discharges.reading import attempt_pages
from services.discharge.discharges.schemas import DischargeFilter
from services.discharge.discharges.service import list_discharges
from services.discharge.reports.service import discharge_compliance
from services.discharge.ui.attempts_csv import attempts_csv
from services.discharge.ui.records import names_of
from services.discharge.ui.words import OUTCOMES, reason_text, words
from shared.audit import Audit, AuditTrail
from shared.auth.roles import REPORT_READERS
from shared.db import DbSession
from shared.errors import Problem
from shared.vocabulary import Outcome
from shared.web.csv_export import CSV_MEDIA_TYPE, attachment
from shared.web.ui import N_, Ui, signed_in_as
from shared.web.ui.charts import ChartSeries, horizontal_bars, vertical_bars
from shared.web.ui.forms import attempt, clean_text, day_bounds, local_day
from shared.web.ui.vocabulary import words as vocabulary

router = APIRouter()
ReportReader = Annotated[Ui, Depends(signed_in_as(*REPORT_READERS))]
DEFAULT_DAYS = 30
CHART_MAX_DAYS = 92  # longer periods chart only the days with attempts
PAGE_ROWS = 100
SERIES = (
    ("discharged", N_("Discharged")),
    ("exceptions", N_("Exceptions")),
    ("blocked_attempts", N_("Blocked attempts")),
)


def _period(ui: Ui, from_day: str, to_day: str) -> tuple[date | None, date | None, dict[str, str]]:
    today = datetime.now(ui.settings.timezone).date()
    first = local_day(from_day) if from_day else today - timedelta(days=DEFAULT_DAYS - 1)
    last = local_day(to_day) if to_day else today
    errors = {}
    if first is None:
        errors["from_day"] = ui.gettext("Enter a date.")
    if last is None:
        errors["to_day"] = ui.gettext("Enter a date.")
    if first and last and first > last:
        errors["to_day"] = ui.gettext("The last day is before the first.")
    for name, day in (("from_day", first), ("to_day", last)):
        if day is not None and not 2000 <= day.year <= 2100:
            errors[name] = ui.gettext("Enter a date.")
    return first, last, errors


def _days(report: dict[str, Any], first: date, last: date) -> list[dict[str, Any]]:
    """Every day of the period (zeros where nothing happened), or only busy days when long."""
    by_day = {str(d["day"]): d for d in report["by_day"]}
    if (last - first).days >= CHART_MAX_DAYS:
        return [by_day[k] for k in sorted(by_day)]
    empty = {"total": 0, "discharged": 0, "exceptions": 0, "blocked_attempts": 0}
    span = range((last - first).days + 1)
    days = [(first + timedelta(days=n)).isoformat() for n in span]
    return [by_day.get(d, {**empty, "day": d}) for d in days]


def _charts(ui: Ui, days: list[dict[str, Any]], departments: list[dict[str, Any]]) -> Any:
    def series(rows: list[dict[str, Any]]) -> list[ChartSeries]:
        return [
            ChartSeries(ui.gettext(label), key.split("_")[0], [int(r[key]) for r in rows])
            for key, label in SERIES
        ]

    unknown = ui.gettext("Unknown department")
    names = [d["department"] or unknown for d in departments]
    return {
        "by_day": vertical_bars(
            [str(d["day"])[5:] for d in days], series(days), title=ui.gettext("Attempts by day")
        ),
        "by_department": horizontal_bars(
            names, series(departments), title=ui.gettext("Attempts by department")
        ),
    }


@router.get("/dashboard", summary="Discharge compliance dashboard")
def dashboard(
    ui: ReportReader, session: DbSession, audit: Audit, from_day: str = "", to_day: str = ""
) -> Response:
    """Discharges, blocked attempts, exceptions and discharges without evidence, charted."""
    first, last, errors = _period(ui, from_day, to_day)
    form = {"from_day": str(first or from_day[:10]), "to_day": str(last or to_day[:10])}
    if errors or first is None or last is None:
        return ui.render("discharge/dashboard.html", status=422, form=form, errors=errors)
    start, end = day_bounds(first, last, ui.settings.timezone)
    report = discharge_compliance(session, audit, start, end).model_dump(mode="json", by_alias=True)
    days = _days(report, first, last)
    query = urlencode({"from_day": first.isoformat(), "to_day": last.isoformat()})
    return ui.render(
        "discharge/dashboard.html",
        form=form,
        errors={},
        report=report,
        days=days,
        charts=_charts(ui, days, report["by_department"]),
        query=query,
        **words(),
    )


def _filters(ui: Ui, asked: dict[str, str]) -> tuple[DischargeFilter | None, dict[str, str]]:
    """The API's filter from the form (the days it covers written back), or the errors."""
    first, last, errors = _period(ui, asked["from_day"], asked["to_day"])
    department = clean_text(asked["department"], 200)
    if department is None:
        errors["department"] = ui.gettext("This value is not valid.")
    if asked["outcome"] and asked["outcome"] not in OUTCOMES:
        errors["outcome"] = ui.gettext("Choose one of the options.")
    if errors or first is None or last is None:
        return None, errors
    asked["from_day"], asked["to_day"] = first.isoformat(), last.isoformat()
    start, end = day_bounds(first, last, ui.settings.timezone)
    outcome = Outcome(asked["outcome"]) if asked["outcome"] else None
    return DischargeFilter(start, end, department or None, outcome, None), {}


def _asked(from_day: str, to_day: str, department: str, outcome: str) -> dict[str, str]:
    return {
        "from_day": from_day[:10],
        "to_day": to_day[:10],
        "department": department[:200],
        "outcome": outcome[:20],
    }


def _csv(ui: Ui, audit: AuditTrail, filters: DischargeFilter) -> Response:
    chunks = attempts_csv(ui, attempt_pages(ui.request.app.state.engine, audit, filters))
    headers = attachment("discharges.csv")
    return StreamingResponse(chunks, media_type=CSV_MEDIA_TYPE, headers=headers)


@router.get("/discharges", summary="Discharge attempts with filters")
def discharges_table(
    ui: ReportReader,
    session: DbSession,
    audit: Audit,
    from_day: str = "",
    to_day: str = "",
    department: str = "",
    outcome: str = "",
    cursor: str = "",
) -> Response:
    """The attempts of a period, newest last, filtered; a link downloads them as CSV."""
    asked = _asked(from_day, to_day, department, outcome)
    filters, errors = _filters(ui, asked)
    rows: list[dict[str, Any]] = []
    next_url, names = None, {}
    if filters is not None and "text/csv" in ui.request.headers.get("accept", ""):
        return _csv(ui, audit, filters)  # the browser asked for CSV itself
    if filters is not None:
        page = attempt(
            ui,
            session,
            lambda: list_discharges(session, audit, filters, PAGE_ROWS, cursor[:512] or None),
        )
        if isinstance(page, Problem):
            errors = {"": ui.gettext("This list has no further pages.")}
        else:
            rows = [item.model_dump(mode="json") for item in page.items]
            names = names_of(ui, [r["patient_external_id"] for r in rows])
            if page.next_cursor:
                next_url = "?" + urlencode({**asked, "cursor": page.next_cursor})
    return ui.render(
        "discharge/discharges.html",
        status=422 if errors else 200,
        form=asked,
        errors=errors,
        rows=rows,
        names=names,
        next_url=next_url,
        csv_url=ui.url("/discharges.csv") + "?" + urlencode(asked),
        reason_text=lambda reason: reason_text(ui, reason),
        **vocabulary(),
        **words(),
    )


@router.get("/discharges.csv", summary="Discharge attempts as CSV")
def discharges_download(
    ui: ReportReader,
    audit: Audit,
    from_day: str = "",
    to_day: str = "",
    department: str = "",
    outcome: str = "",
) -> Response:
    """The same rows as GET /discharges with Accept: text/csv (every row, unpaginated)."""
    filters, errors = _filters(ui, _asked(from_day, to_day, department, outcome))
    if filters is None:
        message = next(iter(errors.values()))
        return ui.error(Problem(message, status=422, code="validation_error"))
    return ui.finish(_csv(ui, audit, filters))
