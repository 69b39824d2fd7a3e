"""Tracing a person's exposures: the use case behind `GET /persons/{id}/exposures` and the
exposure list in positive-result alerts.

Rules come from `domain.exposure`, persons and compliance from the repository, check-ins from
the appointments service; this module only sequences them. Every query is set-based: one for
the person and their results, one for ward mates and escorts, a few for everyone's status.
"""

from __future__ import annotations

from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlmodel import Session

from services.screening.clients.appointments import INCLUSIVE, AppointmentsClient
from services.screening.domain.exposure import (
    Contact,
    ExposureWindow,
    Visit,
    department_spans,
    exposure_status,
    exposure_window,
    link_contacts,
    merge_contacts,
    visit_contacts,
)
from services.screening.domain.policy import ScreeningPolicy
from services.screening.repository import results
from services.screening.repository.compliance import RequiredTest, compliance_of
from services.screening.repository.exposure import linked_persons

# Department spans asked of the appointments service at once (its pool allows 50).
_PARALLEL_CALLS = 8


@dataclass(frozen=True)
class ExposureList:
    """The traced list: window, one item per exposed person, and whether it is complete."""

    index_external_id: str
    window: ExposureWindow
    items: list[dict[str, Any]]
    complete: bool = True
    incomplete_reason: str | None = None


@dataclass(frozen=True)
class VisitSource:
    """Where check-ins come from: the client and the Authorization to send it."""

    client: AppointmentsClient
    headers: Mapping[str, str]


def policy_rows(policy: ScreeningPolicy, now: datetime) -> list[RequiredTest]:
    """The active policy as the compliance SQL reads it."""
    return [
        RequiredTest(category, req.test_type, now - req.valid_for, n)
        for category in policy.requirements
        for n, req in enumerate(policy.required(category))
    ]


def _items(
    session: Session, policy: ScreeningPolicy, contacts: list[Contact], index: str, now: datetime
) -> list[dict[str, Any]]:
    exposures = merge_contacts(contacts, index)
    known = compliance_of(session, policy_rows(policy, now), [e.external_id for e in exposures])
    items = []
    for e in exposures:
        person = known.get(e.external_id)
        lacking = person["lacking"] if person else []
        status = exposure_status(person is not None, lacking)
        items.append(
            {
                "external_id": e.external_id,
                "name": person["name"] if person else e.name,
                "category": person["category"] if person else None,
                "why": list(e.why),
                "when": e.when,
                "status": status,
                "lacking": lacking if status == "noncompliant" else None,
            }
        )
    return items


@dataclass(frozen=True)
class TraceStart:
    """What the screening database alone tells: the window, ward mates and escorts."""

    index_external_id: str
    window: ExposureWindow
    contacts: list[Contact]


def begin_trace(
    session: Session,
    person: dict[str, Any],
    *,
    now: datetime,
    start: datetime | None = None,
    end: datetime | None = None,
) -> TraceStart:
    """The window (from the person's results) and the ward and escort contacts."""
    index = person["external_id"]
    window = exposure_window(results.result_versions(session, index), now, start=start, end=end)
    linked = linked_persons(session, person)
    return TraceStart(index, window, link_contacts(linked, window, person.get("admitted_at")))


def visit_exposures(source: VisitSource, begun: TraceStart, reach: timedelta) -> list[Contact]:
    """Same-department contacts: the person's own check-ins in the window, then each
    department's check-ins around them (one call per merged span, asked side by side, every
    page followed). Raises `AppointmentsUnavailable` if any call fails; called with no
    database transaction open."""
    own = source.client.check_ins(
        source.headers,
        start=begun.window.start,
        end=begun.window.end,
        patient_external_id=begun.index_external_id,
    )
    spans = department_spans(own, reach)
    around: list[Visit] = []
    if spans:
        with ThreadPoolExecutor(max_workers=min(len(spans), _PARALLEL_CALLS)) as pool:
            asked = [
                pool.submit(
                    source.client.check_ins,
                    source.headers,
                    start=lo,
                    end=hi + INCLUSIVE,
                    department=department,
                )
                for department, lo, hi in spans
            ]
            for answer in asked:
                around += answer.result()  # the first failure fails the whole list
    return visit_contacts(own, around, begun.index_external_id, reach)


def finish_trace(
    session: Session,
    begun: TraceStart,
    policy: ScreeningPolicy,
    visits: list[Contact] | None,
    *,
    now: datetime,
    missing_visits: str | None = None,
) -> ExposureList:
    """Merge every contact, add each person's status; without `visits` (alerts only) the
    list is marked incomplete with `missing_visits` as the reason."""
    contacts = begun.contacts + (visits or [])
    return ExposureList(
        index_external_id=begun.index_external_id,
        window=begun.window,
        items=_items(session, policy, contacts, begun.index_external_id, now),
        complete=visits is not None,
        incomplete_reason=None if visits is not None else missing_visits,
    )
