"""The screening service's pages, as `ui_router` takes them."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter

from services.screening.ui import (
    collection,
    compliance,
    exposures,
    follow_ups,
    infection_control,
    isolations,
    persons,
    public_health,
    public_result,
    results,
    uploads,
)
from services.screening.ui.common import PERSON_PAGE_ROLES, TRACERS
from shared.auth.roles import REPORT_READERS, WARD_STAFF
from shared.web.ui import N_, UiLink, ui_router
from shared.web.ui.audit_trail import AUDIT_LINK, audit_pages

HERE = Path(__file__).parent
LINKS = [
    UiLink(
        N_("Infection control"),
        "/infection-control",
        frozenset(TRACERS),
        N_("Today's positives, open alerts and exposure lists"),
    ),
    UiLink(
        N_("Find a person"),
        "/persons",
        frozenset(PERSON_PAGE_ROLES),
        N_("By external id or name: screening status in plain words"),
    ),
    UiLink(
        N_("Register a person"),
        "/persons/new",
        frozenset(WARD_STAFF),
        N_("Staff, inpatients, outpatients and caregivers"),
    ),
    UiLink(
        N_("Out of screening compliance"),
        "/compliance",
        frozenset(REPORT_READERS),
        N_("Who lacks a required test, by department"),
    ),
    UiLink(
        N_("Reports to public health"),
        "/public-health",
        frozenset(REPORT_READERS),
        N_("Positive results reported, overdue first, and reporting on time"),
    ),
    UiLink(
        N_("Upload results from a spreadsheet"),
        "/uploads",
        frozenset(WARD_STAFF),
        N_("CSV or Excel from a laboratory or collection site, checked before storing"),
    ),
    UiLink(
        N_("Collection desk"),
        "/collection",
        frozenset(WARD_STAFF),
        N_("Scan the booking code and the tube, fill the pool; open retests"),
    ),
    UiLink(
        N_("Isolation"),
        "/isolations",
        frozenset(PERSON_PAGE_ROLES),
        N_("Who is isolated now, staff first; isolate and release"),
    ),
    UiLink(
        N_("Contact follow-up"),
        "/follow-ups",
        frozenset(PERSON_PAGE_ROLES),
        N_("Who is due a check today, who missed days; record today's check"),
    ),
    AUDIT_LINK,
]


def screening_pages() -> APIRouter:
    """The /ui/ router of the screening service."""
    return ui_router(
        "screening",
        pages=[
            persons.router,
            results.router,
            compliance.router,
            exposures.router,
            infection_control.router,
            collection.router,
            public_result.router,
            uploads.router,
            isolations.router,
            follow_ups.router,
            public_health.router,
            audit_pages,
        ],
        templates=[HERE / "templates"],
        static=[HERE / "static"],
        locales=[HERE / "locale"],
        links=LINKS,
    )
