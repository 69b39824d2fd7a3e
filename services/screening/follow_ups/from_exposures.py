"""Opening follow-ups for contacts chosen from a person's exposure list."""

from __future__ import annotations

from collections.abc import Sequence

from sqlmodel import Session

from services.screening.domain.follow_up import DEFAULT_DAYS
from services.screening.exposures.service import TracingSources, read_exposures
from services.screening.follow_ups.service import Clock, Opened, Opening, open_for_contacts
from shared.audit import AuditTrail
from shared.auth import Principal
from shared.errors import Unprocessable, field_error


def open_from_exposures(
    session: Session,
    audit: AuditTrail,
    principal: Principal,
    index: str,
    chosen: Sequence[str],
    sources: TracingSources,
    clock: Clock,
) -> list[Opened]:
    """Trace `index`'s exposure list (default window), then open (or extend) a follow-up for
    each chosen contact; an id not on the list is 422 `not_on_exposure_list` (none opened).
    Raises AppointmentsUnavailable like the list itself."""
    traced = read_exposures(session, audit, principal, index, (None, None), sources, now=clock.now)
    listed = {item.external_id: item for item in traced.items}
    strangers = sorted({c for c in chosen if c not in listed})
    if strangers:
        detail = "Only contacts on this person's exposure list can be followed up."
        raise Unprocessable(
            detail,
            code="not_on_exposure_list",
            errors=[
                field_error("external_ids", f"{s}: not on the list", "not_on_exposure_list")
                for s in strangers
            ],
        )
    openings = [
        Opening(
            person_external_id=c,
            index_external_id=index,
            reason=",".join(listed[c].why),
            days=DEFAULT_DAYS,
        )
        for c in dict.fromkeys(chosen)  # once each, in the order chosen
    ]
    return open_for_contacts(session, audit, principal, openings, clock)
