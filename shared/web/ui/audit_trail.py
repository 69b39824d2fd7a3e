"""The audit trail page every service offers auditors: GET /ui/audit with filters.

It reads through the same function as `GET /audit`, so both show the same rows.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends
from fastapi.responses import Response

from shared.audit.router import list_audit
from shared.auth.roles import AUDIT_READERS
from shared.db import DbSession
from shared.errors import Problem
from shared.pagination import row_id_after
from shared.web.ui.context import Ui
from shared.web.ui.dependencies import signed_in_as
from shared.web.ui.forms import clean_text, day_bounds, local_day
from shared.web.ui.i18n import N_
from shared.web.ui.site import UiLink

PAGE_ROWS = 100
AUDIT_LINK = UiLink(
    N_("Audit trail"),
    "/audit",
    frozenset(AUDIT_READERS),
    N_("Who did what, when, on this service"),
)
AuditReader = Annotated[Ui, Depends(signed_in_as(*AUDIT_READERS))]

audit_pages = APIRouter()


def _filters(ui: Ui, **asked: str) -> tuple[dict[str, Any], dict[str, str]]:
    """The filters as `list_audit` takes them, and what to refill the form with."""
    today = datetime.now(ui.settings.timezone).date()
    first = local_day(asked["from_day"]) if asked["from_day"] else today - timedelta(days=6)
    last = local_day(asked["to_day"]) if asked["to_day"] else today
    errors = {}
    if first is None:
        errors["from_day"] = ui.gettext("Enter a date.")
    if last is None:
        errors["to_day"] = ui.gettext("Enter a date.")
    start, end = day_bounds(first, last, ui.settings.timezone)
    actor = clean_text(asked["actor"], 200)
    action = clean_text(asked["action"], 100)
    if actor is None:
        errors["actor"] = ui.gettext("This value is not valid.")
    if action is None:
        errors["action"] = ui.gettext("This value is not valid.")
    form = {
        "from_day": first.isoformat() if first else asked["from_day"][:10],
        "to_day": last.isoformat() if last else asked["to_day"][:10],
        "actor": actor or "",
        "action": action or "",
    }
    query = {"from_": start, "to": end, "actor": actor or None, "action": action or None}
    return query, {**form, **{f"error_{k}": v for k, v in errors.items()}}


def _cursor(text: str) -> str | None:
    """A cursor of this page's own making (an audit row id), else None."""
    if not text or len(text) > 500:
        return None
    try:
        row_id_after(text)
    except Problem:
        return None
    return text


@audit_pages.get("/audit", summary="The audit trail, filtered")
def audit_trail_page(
    ui: AuditReader,
    session: DbSession,
    from_day: str = "",
    to_day: str = "",
    actor: str = "",
    action: str = "",
    cursor: str = "",
) -> Response:
    """Rows of this service's trail for a period, by actor and action, oldest first."""
    query, form = _filters(ui, from_day=from_day, to_day=to_day, actor=actor, action=action)
    errors = {k[6:]: v for k, v in form.items() if k.startswith("error_")}
    rows: list[dict[str, Any]] = []
    next_url = None
    if not errors:
        page = list_audit(ui.request, session, limit=PAGE_ROWS, cursor=_cursor(cursor), **query)
        rows = page["items"]
        if page["next_cursor"]:
            fields = {k: v for k, v in form.items() if not k.startswith("error_")}
            next_url = ui.url("/audit") + "?" + urlencode({**fields, "cursor": page["next_cursor"]})
    status = 422 if errors else 200
    return ui.render(
        "audit_trail.html", status=status, form=form, errors=errors, rows=rows, next_url=next_url
    )
