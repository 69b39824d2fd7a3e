"""Who is out of screening compliance, department by department."""

from __future__ import annotations

from itertools import groupby
from urllib.parse import urlencode

from fastapi import APIRouter
from fastapi.responses import Response

from services.screening.status.schemas import ComplianceItem, ComplianceState
from services.screening.status.service import compliance
from services.screening.ui.common import ComplianceReader, refusal
from services.screening.web import utc_now
from shared.audit import Audit
from shared.db import DbSession
from shared.errors import Problem
from shared.fields import is_identifier
from shared.vocabulary import Category
from shared.web.ui import Ui
from shared.web.ui.forms import attempt
from shared.web.ui.vocabulary import words

router = APIRouter()
PAGE_ROWS = 500


@router.get("/compliance", summary="Who is out of screening compliance, by department")
def noncompliance(
    ui: ComplianceReader,
    session: DbSession,
    audit: Audit,
    department: str = "",
    category: str = "",
    cursor: str = "",
) -> Response:
    """Persons lacking a required test, grouped by department, with what each lacks."""
    errors = {}
    department = department.strip()
    if department and not is_identifier(department):  # same shape as an id: a code
        errors["department"] = ui.gettext("This is not in the expected format.")
    if category and category not in tuple(Category):
        errors["category"] = ui.gettext("Choose one of the options.")
    form = {"department": department[:64], "category": category[:20]}
    if errors:
        return _page(ui, form, errors, [], None, status=422)
    policy = ui.request.app.state.policy
    page = attempt(
        ui,
        session,
        lambda: compliance(
            session,
            audit,
            policy,
            category=Category(category) if category else None,
            department=department or None,
            state=ComplianceState.NONCOMPLIANT,
            size=PAGE_ROWS,
            cursor=cursor[:512] or None,
            now=utc_now(),
        ),
    )
    if isinstance(page, Problem):
        return _page(ui, form, {"": refusal(ui, page)}, [], None, status=page.status)
    next_url = None
    if page.next_cursor:
        next_url = ui.url("/compliance") + "?" + urlencode({**form, "cursor": page.next_cursor})
    return _page(ui, form, {}, page.items, next_url)


def _page(
    ui: Ui,
    form: dict[str, str],
    errors: dict[str, str],
    items: list[ComplianceItem],
    next_url: str | None,
    status: int = 200,
) -> Response:
    ordered = sorted(items, key=lambda i: (i.department, i.external_id))
    groups = [(d, list(rows)) for d, rows in groupby(ordered, key=lambda i: i.department)]
    return ui.render(
        "screening/compliance.html",
        status=status,
        form=form,
        errors=errors,
        groups=groups,
        total=len(items),
        next_url=next_url,
        categories=list(Category),
        **words(),
    )
