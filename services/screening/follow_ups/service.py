"""Contact follow-up: open (one at a time, re-exposure extends), daily checks, the team's
lists, complete and cancel (audited). Dates are the hospital's local dates."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlmodel import Session

from services.screening.domain.follow_up import (
    FollowUpState,
    Symptom,
    is_due,
    missed_days,
    period,
    within,
)
from services.screening.domain.isolation import INDIVIDUAL, counting
from services.screening.follow_ups import repository
from services.screening.follow_ups.repository import CheckRow, FollowUpFilter, FollowUpRow
from services.screening.isolation.repository import nucleic_acid_versions
from services.screening.persons.repository import person_exists
from shared.audit import AuditTrail
from shared.auth import Principal
from shared.errors import Conflict, NotFound, Unprocessable, field_error
from shared.pagination import Position, next_cursor, row_id_after
from shared.vocabulary import ResultValue


@dataclass(frozen=True)
class FollowUp:
    """A follow-up with its checks and the days it missed, as of `today`."""

    row: FollowUpRow
    checks: list[CheckRow]
    missed_days: int
    due_today: bool


@dataclass(frozen=True)
class Opening:
    """What opening asks for: who, why, for how long."""

    person_external_id: str
    index_external_id: str | None
    reason: str
    days: int


@dataclass(frozen=True)
class Opened:
    """A follow-up as opened (or the active one it extended) and whether it is new."""

    follow_up: FollowUp
    created: bool


@dataclass(frozen=True)
class Clock:
    """Now, and the hospital's local date of now."""

    now: datetime
    zone: ZoneInfo
    today: date = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "today", self.now.astimezone(self.zone).date())


def _with_checks(session: Session, rows: Sequence[FollowUpRow], today: date) -> list[FollowUp]:
    checks = repository.checks_of(session, [r.id for r in rows])
    out = []
    for r in rows:
        mine = checks.get(r.id, [])
        days = [c.day for c in mine]
        missed = missed_days(r.start, r.end, today, days)
        out.append(FollowUp(r, mine, missed, is_due(r.state, r.start, r.end, today, days)))
    return out


def _one(session: Session, follow_up_id: int, today: date) -> FollowUp:
    row = repository.follow_up(session, follow_up_id)
    if row is None:
        raise NotFound("No follow-up with this id.", code="unknown_follow_up")
    return _with_checks(session, [row], today)[0]


def _open(session: Session, principal: Principal, opening: Opening, clock: Clock) -> Opened:
    start, end = period(clock.today, opening.days)
    for _attempt in range(2):  # a concurrent opening wins the unique index: then extend it
        active = repository.active_of(session, opening.person_external_id)
        if active is not None:
            repository.extend_to(session, active.id, end)
            return Opened(_one(session, active.id, clock.today), created=False)
        new_id = repository.insert_follow_up(
            session,
            person_external_id=opening.person_external_id,
            index_external_id=opening.index_external_id,
            reason=opening.reason,
            start=start,
            end=end,
            opened_at=clock.now,
            opened_by=principal.sub,
        )
        if new_id is not None:
            return Opened(_one(session, new_id, clock.today), created=True)
    raise Conflict("The follow-up changed meanwhile; try again.", code="conflict")


def open_follow_up(
    session: Session, audit: AuditTrail, principal: Principal, opening: Opening, clock: Clock
) -> Opened:
    """Open a follow-up for a registered person, or extend their active one (audited)."""
    if not person_exists(session, opening.person_external_id):
        detail = "person_external_id must name a registered person."
        raise Unprocessable(
            detail,
            code="unknown_person",
            errors=[field_error("person_external_id", detail, "unknown_person")],
        )
    opened = _open(session, principal, opening, clock)
    _audit_opened(audit, opened)
    return opened


def _audit_opened(audit: AuditTrail, opened: Opened) -> None:
    row = opened.follow_up.row
    audit.record(
        "follow_up.open" if opened.created else "follow_up.extend",
        f"follow-up/{row.id}",
        person=row.person_external_id,
        end=row.end.isoformat(),
    )


def open_for_contacts(
    session: Session,
    audit: AuditTrail,
    principal: Principal,
    openings: Sequence[Opening],
    clock: Clock,
) -> list[Opened]:
    """One follow-up for each contact of an exposure list (checked by the caller)."""
    done = []
    for opening in openings:
        opened = _open(session, principal, opening, clock)
        _audit_opened(audit, opened)
        done.append(opened)
    return done


@dataclass(frozen=True)
class DailyCheck:
    """One day's check as a nurse records it."""

    day: date
    temperature_c: float
    symptoms: list[Symptom]
    note: str | None


def record_check(
    session: Session,
    audit: AuditTrail,
    principal: Principal,
    follow_up_id: int,
    check: DailyCheck,
    clock: Clock,
) -> FollowUp:
    """Record a day's check (audited): one per date, within the follow-up, while active."""
    current = _one(session, follow_up_id, clock.today)
    row = current.row
    if row.state != FollowUpState.ACTIVE:
        raise Conflict(f"The follow-up is {row.state}.", code="follow_up_closed")
    if not within(check.day, row.start, row.end) or check.day > clock.today:
        detail = "The date must be a day of the follow-up, not after today."
        raise Unprocessable(
            detail, code="date_outside_follow_up", errors=[field_error("date", detail)]
        )
    added = repository.add_check(
        session,
        follow_up_id=row.id,
        day=check.day,
        temperature_c=check.temperature_c,
        symptoms=sorted({s.value for s in check.symptoms}),
        note=check.note,
        recorded_at=clock.now,
        recorded_by=principal.sub,
    )
    if not added:
        raise Conflict("This day has a check already.", code="check_exists")
    audit.record("follow_up.check", f"follow-up/{row.id}", date=check.day.isoformat())
    return _one(session, follow_up_id, clock.today)


def has_negative_since(session: Session, person: str, first: date, zone: ZoneInfo) -> bool:
    """True with an individual negative nucleic acid (final/corrected) collected on or after
    the local date `first`."""
    since = datetime.combine(first, datetime.min.time(), zone)
    return any(
        v.result == ResultValue.NEGATIVE and v.method == INDIVIDUAL and v.collected_at >= since
        for v in counting(nucleic_acid_versions(session, person))
    )


def complete(
    session: Session, audit: AuditTrail, principal: Principal, follow_up_id: int, clock: Clock
) -> FollowUp:
    """Complete a follow-up: needs a negative collected on or after its last day (audited)."""
    row = _one(session, follow_up_id, clock.today).row
    if row.state != FollowUpState.ACTIVE:
        raise Conflict(f"The follow-up is {row.state}.", code="follow_up_closed")
    if not has_negative_since(session, row.person_external_id, row.end, clock.zone):
        audit.record("follow_up.complete", f"follow-up/{row.id}", "refused")
        raise Conflict(
            "An individual negative nucleic acid result collected on or after the last day "
            f"({row.end.isoformat()}) is needed.",
            code="negative_result_required",
        )
    return _close(session, audit, principal, row.id, FollowUpState.COMPLETED, None, clock)


def cancel(
    session: Session,
    audit: AuditTrail,
    principal: Principal,
    follow_up_id: int,
    reason: str,
    clock: Clock,
) -> FollowUp:
    """Cancel an active follow-up with a reason (audited)."""
    _one(session, follow_up_id, clock.today)
    return _close(session, audit, principal, follow_up_id, FollowUpState.CANCELLED, reason, clock)


def _close(
    session: Session,
    audit: AuditTrail,
    principal: Principal,
    follow_up_id: int,
    state: FollowUpState,
    reason: str | None,
    clock: Clock,
) -> FollowUp:
    if not repository.close(session, follow_up_id, state, principal.sub, reason, clock.now):
        current = _one(session, follow_up_id, clock.today).row.state
        raise Conflict(f"The follow-up is {current}.", code="follow_up_closed")
    audit.record(
        f"follow_up.{'complete' if state == 'completed' else 'cancel'}", f"follow-up/{follow_up_id}"
    )
    return _one(session, follow_up_id, clock.today)


@dataclass(frozen=True)
class FollowUpPage:
    """A page of follow-ups and the cursor of the next."""

    items: list[FollowUp]
    next_cursor: str | None


def list_follow_ups(
    session: Session,
    audit: AuditTrail,
    *,
    state: FollowUpState | None,
    due_today: bool,
    size: int,
    cursor: str | None,
    clock: Clock,
) -> FollowUpPage:
    """A page of follow-ups by id (due today: active, running today, no check yet), audited."""
    which = FollowUpFilter(state, clock.today if due_today else None)
    rows = repository.list_follow_ups(session, which, size=size, after=row_id_after(cursor))
    rows, nxt = next_cursor(rows, size, lambda r: Position(r.id))
    audit.record("follow_up.list", "follow-ups", state=state, due="today" if due_today else None)
    return FollowUpPage(_with_checks(session, rows, clock.today), nxt)
