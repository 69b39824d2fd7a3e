"""The audit trail page every service offers auditors: GET /ui/audit with filters, and CSV.

It reads through the same functions as `GET /audit`, so both show the same rows; newest
first, actions and outcomes in words, details compact (key: value).
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends
from fastapi.responses import Response, StreamingResponse

from shared.audit.export import AuditFilter
from shared.audit.router import audit_page, export_csv
from shared.auth.roles import AUDIT_READERS
from shared.db import DbSession
from shared.errors import Problem
from shared.pagination import row_id_after
from shared.web.csv_export import CSV_MEDIA_TYPE, attachment
from shared.web.ui.context import Ui
from shared.web.ui.dependencies import signed_in_as
from shared.web.ui.forms import clean_text, day_bounds, local_day
from shared.web.ui.i18n import N_, role_labels
from shared.web.ui.site import UiLink
from shared.web.ui.vocabulary import AUDIT_ACTIONS, AUDIT_OUTCOMES

PAGE_ROWS = 100
SHORT_DETAIL = 90  # characters of details shown before "more"
AUDIT_LINK = UiLink(
    N_("Audit trail"),
    "/audit",
    frozenset(AUDIT_READERS),
    N_("Who did what, when, on this service"),
)
AuditReader = Annotated[Ui, Depends(signed_in_as(*AUDIT_READERS))]
FILTER_FIELDS = ("from_day", "to_day", "person", "resource", "actor", "action")
TEXT_LIMITS = {"person": 64, "resource": 300, "actor": 200, "action": 100}

audit_pages = APIRouter()


def _filters(ui: Ui, asked: dict[str, str]) -> tuple[AuditFilter, dict[str, str], dict[str, str]]:
    """The filter, the values to refill the form with, and the errors by field."""
    today = datetime.now(ui.settings.timezone).date()
    first = local_day(asked["from_day"]) if asked["from_day"] else today - timedelta(days=6)
    last = local_day(asked["to_day"]) if asked["to_day"] else today
    errors: dict[str, str] = {}
    if first is None:
        errors["from_day"] = ui.gettext("Enter a date.")
    if last is None:
        errors["to_day"] = ui.gettext("Enter a date.")
    if first and last and first > last:
        errors["to_day"] = ui.gettext("The last day must not be before the first day.")
    texts = {name: clean_text(asked[name], limit) for name, limit in TEXT_LIMITS.items()}
    for name, value in texts.items():
        if value is None:
            errors[name] = ui.gettext("This value is not valid.")
    start, end = day_bounds(first, last, ui.settings.timezone)
    form = {
        "from_day": first.isoformat() if first else asked["from_day"][:10],
        "to_day": last.isoformat() if last else asked["to_day"][:10],
        **{name: value or "" for name, value in texts.items()},
    }
    filters = AuditFilter(
        start,
        end,
        actor=texts["actor"] or None,
        action=texts["action"] or None,
        resource=texts["resource"] or None,
        order="desc",
        person=texts["person"] or None,
    )
    return filters, form, errors


def _cursor(text: str) -> str | None:
    """A cursor of this page's own making (an audit row id), else None."""
    if not text or len(text) > 500:
        return None
    try:
        row_id_after(text)
    except Problem:
        return None
    return text


def _detail_items(text: str) -> list[tuple[str, str]]:
    """A row's details as (key, value) pairs; text that is not a JSON object stays whole."""
    try:
        value = json.loads(text) if text else {}
    except ValueError:
        return [("", text)]
    if not isinstance(value, dict):
        return [("", text)]
    shown = []
    for key, item in value.items():
        plain = item if isinstance(item, str) else json.dumps(item, ensure_ascii=False)
        shown.append((str(key), plain))
    return shown


def _shown_row(ui: Ui, row: dict[str, Any]) -> dict[str, Any]:
    """One trail row with its action, outcome and details in words."""
    outcome, _, why = str(row["outcome"]).partition(":")
    words, tone = AUDIT_OUTCOMES.get(outcome, (None, "info"))
    items = _detail_items(row["detail"])
    flat = " · ".join(f"{k}: {v}" if k else v for k, v in items)
    action = row["action"]
    return {
        **row,
        "action_words": ui.gettext(AUDIT_ACTIONS[action]) if action in AUDIT_ACTIONS else "",
        "outcome_words": ui.gettext(words) if words else row["outcome"],
        "outcome_code": why,
        "tone": tone,
        "role_words": role_labels(row["roles"], ui.translations),
        "details": items,
        "details_short": flat if len(flat) <= SHORT_DETAIL else flat[:SHORT_DETAIL] + "…",
        "details_long": len(flat) > SHORT_DETAIL,
    }


def _asked(
    from_day: str = "",
    to_day: str = "",
    person: str = "",
    resource: str = "",
    actor: str = "",
    action: str = "",
) -> dict[str, str]:
    """The page's filters as typed (the page and its CSV take the same ones)."""
    typed = (from_day, to_day, person, resource, actor, action)
    return dict(zip(FILTER_FIELDS, typed, strict=True))


Asked = Annotated[dict[str, str], Depends(_asked)]


def _query(form: dict[str, str], **more: str) -> str:
    return urlencode({**{k: form[k] for k in FILTER_FIELDS if form.get(k)}, **more})


@audit_pages.get("/audit", summary="The audit trail, filtered")
def audit_trail_page(
    ui: AuditReader, session: DbSession, asked: Asked, cursor: str = ""
) -> Response:
    """Rows of this service's trail for a period, newest first, with their words."""
    filters, form, errors = _filters(ui, asked)
    rows: list[dict[str, Any]] = []
    next_url = None
    if not errors:
        page = audit_page(ui.request, session, filters, PAGE_ROWS, _cursor(cursor))
        rows = [_shown_row(ui, row) for row in page["items"]]
        if page["next_cursor"]:
            next_url = ui.url("/audit") + "?" + _query(form, cursor=page["next_cursor"])
    actions = sorted(
        ((code, ui.gettext(words)) for code, words in AUDIT_ACTIONS.items()),
        key=lambda pair: pair[1],
    )
    return ui.render(
        "audit_trail.html",
        status=422 if errors else 200,
        form=form,
        errors=errors,
        rows=rows,
        actions=actions,
        action_known=form["action"] in AUDIT_ACTIONS,
        next_url=next_url,
        csv_url=ui.url("/audit.csv") + "?" + _query(form),
    )


@audit_pages.get("/audit.csv", summary="The audit trail, filtered, as CSV")
def audit_trail_csv(ui: AuditReader, asked: Asked) -> Response:
    """Every row the page's filters match, newest first, with words in the page's language."""
    filters, _, errors = _filters(ui, asked)
    if errors:
        problem = Problem(" ".join(errors.values()), status=422, code="validation_error")
        return ui.error(problem)

    def words(row: dict[str, Any]) -> list[str]:
        shown = _shown_row(ui, row)
        return [shown["action_words"], shown["outcome_words"]]

    columns = (ui.gettext("Action (words)"), ui.gettext("Outcome (words)"))
    chunks = export_csv(ui.request, filters, columns, words)
    service = ui.site.service_name
    headers = attachment(f"audit-{service}-{form_day(filters)}.csv")
    return ui.finish(StreamingResponse(chunks, media_type=CSV_MEDIA_TYPE, headers=headers))


def form_day(filters: AuditFilter) -> str:
    """The first day of the filter, for the download's name."""
    return filters.start.date().isoformat() if filters.start else "all"
