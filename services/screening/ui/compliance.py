"""Who is out of screening compliance, department by department (a code nobody has is said
to be unknown, never shown as everyone compliant)."""

from __future__ import annotations

from dataclasses import dataclass
from itertools import groupby
from urllib.parse import urlencode

from fastapi import APIRouter
from fastapi.responses import Response

from services.screening.results.reading import known_departments
from services.screening.status.schemas import ComplianceItem, ComplianceState
from services.screening.status.service import compliance
from services.screening.ui.common import ComplianceReader, department_names, refusal
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
    names = department_names(ui)  # before the session is used (see attempt_on_loop)
    known = known_departments(session)
    errors = {}
    department = department.strip()
    if department and not is_identifier(department):  # same shape as an id: a code
        errors["department"] = ui.gettext("This is not in the expected format.")
    elif department and department not in known and department not in names:
        errors["department"] = ui.gettext(
            "There is no department with this code. Choose one of the known departments."
        )
    if category and category not in tuple(Category):
        errors["category"] = ui.gettext("Choose one of the options.")
    form = {"department": department[:64], "category": category[:20]}
    shown = Shown(form, names, _choices(ui, known, names))
    if errors:
        return _page(ui, shown, errors, [], None, status=422)
    if department and department not in known:  # appointments knows it; nobody is in it
        return _page(ui, shown, {}, [], None, nobody_in=department)
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
        return _page(ui, shown, {"": refusal(ui, page)}, [], None, status=page.status)
    next_url = None
    if page.next_cursor:
        next_url = ui.url("/compliance") + "?" + urlencode({**form, "cursor": page.next_cursor})
    return _page(ui, shown, {}, page.items, next_url)


@dataclass(frozen=True)
class Shown:
    """What the filters show: the values asked for, department names, the known departments."""

    form: dict[str, str]
    names: dict[str, str]
    departments: list[tuple[str, str]]


def _choices(ui: Ui, known: list[str], names: dict[str, str]) -> list[tuple[str, str]]:
    """(code, "name (code)") of every known department: some person's, or appointments'."""
    codes = sorted(set(known) | set(names))
    return [
        (c, ui.gettext("%(name)s (%(code)s)", name=names[c], code=c) if c in names else c)
        for c in codes
    ]


def _page(
    ui: Ui,
    shown: Shown,
    errors: dict[str, str],
    items: list[ComplianceItem],
    next_url: str | None,
    status: int = 200,
    nobody_in: str | None = None,
) -> Response:
    ordered = sorted(items, key=lambda i: (i.department, i.external_id))
    groups = [(d, list(rows)) for d, rows in groupby(ordered, key=lambda i: i.department)]
    return ui.render(
        "screening/compliance.html",
        status=status,
        form=shown.form,
        departments=shown.departments,
        department_names=shown.names,
        errors=errors,
        groups=groups,
        total=len(items),
        next_url=next_url,
        nobody_in=nobody_in,
        categories=list(Category),
        **words(),
    )
