"""The discharge service's pages, as `ui_router` takes them."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter

from services.discharge.ui import gate, records, reports, reviews
from shared.auth.roles import REPORT_READERS, WARD_STAFF
from shared.web.ui import N_, UiLink, ui_router
from shared.web.ui.audit_trail import AUDIT_LINK, audit_pages

HERE = Path(__file__).parent
LINKS = [
    UiLink(
        N_("Discharge check"),
        "/check",
        frozenset(WARD_STAFF),
        N_("May this patient leave now? Every reason in words, with the evidence"),
    ),
    UiLink(
        N_("Compliance dashboard"),
        "/dashboard",
        frozenset(REPORT_READERS),
        N_("Discharges, blocked attempts and exceptions by day and department"),
    ),
    UiLink(
        N_("Discharge attempts"),
        "/discharges",
        frozenset(REPORT_READERS),
        N_("Every attempt with its reasons and evidence; CSV download"),
    ),
    UiLink(
        N_("Discharge reviews"),
        "/reviews",
        frozenset(REPORT_READERS),
        N_("Discharges a later result put in doubt: open reviews and how they were closed"),
    ),
    AUDIT_LINK,
]


def discharge_pages() -> APIRouter:
    """The /ui/ router of the discharge service."""
    return ui_router(
        "discharge",
        pages=[gate.router, reports.router, records.router, reviews.router, audit_pages],
        templates=[HERE / "templates"],
        locales=[HERE / "locale"],
        links=LINKS,
    )
