"""The appointments service's pages, as `ui_router` takes them."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter

from services.appointments.ui import (
    arrivals,
    booking,
    check_in,
    entrance,
    public_test_request,
    visits,
)
from shared.auth.roles import ADMIN, AUDITOR, WARD_STAFF
from shared.web.ui import N_, UiLink, ui_router
from shared.web.ui.audit_trail import AUDIT_LINK, audit_pages

HERE = Path(__file__).parent
LINKS = [
    UiLink(
        N_("Book an appointment"),
        "/book",
        frozenset(WARD_STAFF),
        N_("Pick a department and a day, see the free places per slot"),
    ),
    UiLink(
        N_("Today's arrivals"),
        "/arrivals",
        frozenset({*WARD_STAFF, AUDITOR, ADMIN}),
        N_("A department's appointments of the day, and check-in at the door"),
    ),
    UiLink(
        N_("Book a virtual visit"),
        "/virtual-visits/new",
        frozenset(WARD_STAFF),
        N_("A video visit to an inpatient (no visits on the ward)"),
    ),
    UiLink(
        N_("Entrance screening"),
        "/entrance",
        frozenset(WARD_STAFF),
        N_("At the door: scan the booking and the health code, temperature, mask; walk-ins"),
    ),
    AUDIT_LINK,
]


def appointments_pages() -> APIRouter:
    """The /ui/ router of the appointments service."""
    return ui_router(
        "appointments",
        pages=[
            booking.router,
            arrivals.router,
            check_in.router,
            entrance.router,
            public_test_request.router,
            visits.router,
            audit_pages,
        ],
        templates=[HERE / "templates"],
        locales=[HERE / "locale"],
        # The entrance desk's script and its vendored QR decoder (served as plain names).
        static=[HERE / "static", HERE / "static" / "vendor" / "jsqr"],
        links=LINKS,
    )
