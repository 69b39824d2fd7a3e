"""All SQL of screening status: one person with every version, and compliance in one
statement (the counting rule per person and required test, paged).

The statement mirrors `shared.counting` and `domain.status` (tests hold the two to the same
answers): latest version of each result, entered-in-error ones void, newest final/corrected by
specimen time (the more severe on a tie) counts, a newer preliminary makes it pending.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    Integer,
    String,
    and_,
    bindparam,
    case,
    column,
    exists,
    func,
    or_,
    select,
    values,
)
from sqlalchemy.sql import ColumnElement
from sqlmodel import Session

from services.screening.domain.policy import ScreeningPolicy
from services.screening.models import person_table as P
from services.screening.models import result_table as R
from services.screening.persons.repository import ended_admission
from shared.async_db import Query
from shared.counting import ResultVersion
from shared.db import UtcDateTime
from shared.vocabulary import (
    COUNTING_STATUSES,
    Category,
    ResultMethod,
    ResultStatus,
    ResultValue,
    ScreeningState,
)

# Built and compiled once: on the status hot path, building a statement cost more than running it.
PERSON_WITH_VERSIONS = Query(
    select(
        P.c.category,
        R.c.external_id,
        R.c.version,
        R.c.test_type,
        R.c.result,
        R.c.status,
        R.c.specimen_collected_at,
        R.c.method,
    )
    .select_from(P.outerjoin(R, R.c.person_external_id == P.c.external_id))
    .where(P.c.external_id == bindparam("person"))
)


def category_and_versions(rows: list[tuple[Any, ...]]) -> tuple[str | None, list[ResultVersion]]:
    """A person's category and every version of their results, from PERSON_WITH_VERSIONS."""
    if not rows:
        return None, []
    return rows[0][0], [ResultVersion(*r[1:]) for r in rows if r[1] is not None]


@dataclass(frozen=True)
class RequiredTest:
    """One row of the policy for SQL: a category's test and the oldest specimen that counts."""

    category: str
    test_type: str
    cutoff: datetime
    position: int
    pooled_counts: bool = False


def required_tests(
    policy: ScreeningPolicy, now: datetime, category: Category | None = None
) -> list[RequiredTest]:
    """The active policy as the compliance SQL reads it (one category's, or every one's)."""
    return [
        RequiredTest(cat, req.test_type, now - req.valid_for, n, policy.pooled_counts(cat))
        for cat in policy.requirements
        if category is None or cat == category
        for n, req in enumerate(policy.required(cat))
    ]


@dataclass(frozen=True, slots=True)
class Lacking:
    """A required test a person lacks, and its state."""

    test_type: str
    state: str


@dataclass(frozen=True, slots=True)
class ComplianceRow:
    """One person judged against the policy, with every required test they lack."""

    external_id: str
    name: str
    category: str
    department: str
    ward: str | None
    lacking: tuple[Lacking, ...]


def _state(counting: Any, prelim: Any, required: Any) -> ColumnElement[str]:
    return case(
        (
            and_(
                prelim.c.latest_prelim.is_not(None),
                (counting.c.specimen_collected_at.is_(None))
                | (prelim.c.latest_prelim > counting.c.specimen_collected_at),
            ),
            ScreeningState.PENDING.value,
        ),
        (counting.c.external_id.is_(None), ScreeningState.MISSING.value),
        (counting.c.specimen_collected_at < required.c.cutoff, ScreeningState.EXPIRED.value),
        (counting.c.result == ResultValue.POSITIVE.value, ScreeningState.POSITIVE.value),
        (counting.c.result == ResultValue.INDETERMINATE.value, ScreeningState.INDETERMINATE.value),
        (counting.c.result == ResultValue.ABNORMAL.value, ScreeningState.ABNORMAL.value),
        else_=ScreeningState.OK.value,
    )


def _required(policy_rows: Sequence[RequiredTest]) -> Any:
    """The policy as a table: (category, test_type, cutoff, position)."""
    return (
        values(
            column("category", String),
            column("test_type", String),
            column("cutoff", UtcDateTime()),
            column("position", Integer),
            name="required",
        )
        .data([(r.category, r.test_type, r.cutoff, r.position) for r in policy_rows])
        .cte("required")
    )


def _live(candidates: Any, pooled_categories: Sequence[str]) -> Any:
    """The latest version of each of the candidates' results, voided ones left out, pooled
    ones as the policy reads them (`domain.status.pooled_as_counted`): a pooled positive or
    indeterminate reads as preliminary; other pooled ones count only in `pooled_categories`."""
    eie, pooled = ResultStatus.ENTERED_IN_ERROR.value, ResultMethod.POOLED.value
    asks_retest = R.c.result.in_((ResultValue.POSITIVE.value, ResultValue.INDETERMINATE.value))
    reads_pending = and_(R.c.method == pooled, asks_retest, R.c.status != eie)
    status = case((reads_pending, ResultStatus.PRELIMINARY.value), else_=R.c.status)
    latest = (
        select(
            R.c.person_external_id,
            R.c.test_type,
            R.c.external_id,
            R.c.result,
            status.label("status"),
            R.c.specimen_collected_at,
            R.c.method,
            func.row_number()
            .over(partition_by=R.c.external_id, order_by=R.c.version.desc())
            .label("rn"),
        )
        .where(R.c.person_external_id.in_(select(candidates.c.external_id)))
        .cte("latest")
    )
    counted = candidates.c.category.in_(list(pooled_categories))
    counts = or_(
        latest.c.method != pooled,
        latest.c.status == ResultStatus.PRELIMINARY.value,
        latest.c.person_external_id.in_(select(candidates.c.external_id).where(counted)),
    )
    return select(latest).where(latest.c.rn == 1, latest.c.status != eie, counts).cte("live")


def _counting(live: Any) -> Any:
    """Per person and test: the newest final/corrected result (the more severe on a tie)."""
    severity = case(
        (live.c.result.in_((ResultValue.POSITIVE.value, ResultValue.ABNORMAL.value)), 3),
        (live.c.result == ResultValue.INDETERMINATE.value, 2),
        else_=1,
    )
    rank = (
        func.row_number()
        .over(
            partition_by=(live.c.person_external_id, live.c.test_type),
            order_by=(
                live.c.specimen_collected_at.desc(),
                severity.desc(),
                live.c.external_id.desc(),
            ),
        )
        .label("rk")
    )
    ranked = (
        select(
            live.c.person_external_id,
            live.c.test_type,
            live.c.external_id,
            live.c.result,
            live.c.specimen_collected_at,
            rank,
        )
        .where(
            live.c.status.in_(sorted(s.value for s in COUNTING_STATUSES)),
            live.c.result.is_not(None),
        )
        .cte("ranked")
    )
    return select(ranked).where(ranked.c.rk == 1).subquery("counting")


def _preliminary(live: Any) -> Any:
    """Per person and test: the newest preliminary specimen time."""
    return (
        select(
            live.c.person_external_id,
            live.c.test_type,
            func.max(live.c.specimen_collected_at).label("latest_prelim"),
        )
        .where(live.c.status == ResultStatus.PRELIMINARY.value)
        .group_by(live.c.person_external_id, live.c.test_type)
        .subquery("prelim")
    )


def _states(candidates: Any, policy_rows: Sequence[RequiredTest]) -> Any:
    """Per candidate and required test: its state."""
    required = _required(policy_rows)
    live = _live(candidates, sorted({r.category for r in policy_rows if r.pooled_counts}))
    counting, prelim = _counting(live), _preliminary(live)

    def same(sub: Any) -> Any:
        return and_(
            sub.c.person_external_id == candidates.c.external_id,
            sub.c.test_type == required.c.test_type,
        )

    joined = (
        candidates.join(required, required.c.category == candidates.c.category)
        .outerjoin(counting, same(counting))
        .outerjoin(prelim, same(prelim))
    )
    return (
        select(
            candidates.c.external_id,
            required.c.test_type,
            required.c.position,
            _state(counting, prelim, required).label("state"),
        )
        .select_from(joined)
        .cte("states")
    )


@dataclass(frozen=True)
class PersonFilter:
    """Which persons a compliance page looks at."""

    category: str | None = None
    department: str | None = None
    # False: persons whose current admission has ended (discharged) are left out.
    include_discharged: bool = False


# With a state filter the persons are judged a window at a time (in external id order), the
# window growing until the page is full: a page costs a few statements, never one per person,
# and never the whole population when the first window already fills it.
_FIRST_WINDOW = 1000
_MAX_WINDOW = 64000


def _candidates(who: PersonFilter, after: str | None, upto: str | None, limit: int | None) -> Any:
    query = select(P.c.external_id, P.c.name, P.c.category, P.c.department, P.c.ward)
    if after is not None:
        query = query.where(P.c.external_id > after)
    if upto is not None:
        query = query.where(P.c.external_id <= upto)
    if who.category is not None:
        query = query.where(P.c.category == who.category)
    if who.department is not None:
        query = query.where(P.c.department == who.department)
    if not who.include_discharged:
        query = query.where(~exists().where(ended_admission()))
    if limit is not None:
        query = query.order_by(P.c.external_id).limit(limit)
    return query


def _window_end(session: Session, who: PersonFilter, after: str | None, window: int) -> str | None:
    """The external id closing a window of `window` persons, None when fewer remain."""
    query = _candidates(who, after, None, None).order_by(P.c.external_id)
    row = session.connection().execute(query.offset(window - 1).limit(1)).first()
    return None if row is None else str(row.external_id)


def _judged_page(
    session: Session,
    policy_rows: Sequence[RequiredTest],
    candidates: Any,
    state: str | None,
    limit: int,
) -> list[ComplianceRow]:
    cand = candidates.cte("candidate")
    if not policy_rows:  # nothing is required of anyone: everyone is compliant
        if state == "noncompliant":
            return []
        everyone = select(cand).order_by(cand.c.external_id).limit(limit)
        return [
            ComplianceRow(r.external_id, r.name, r.category, r.department, r.ward, ())
            for r in session.connection().execute(everyone)
        ]
    states = _states(cand, policy_rows)
    lacking = and_(
        states.c.external_id == cand.c.external_id, states.c.state != ScreeningState.OK.value
    )
    lacks = exists().where(lacking)
    page_query = select(cand.c.external_id).order_by(cand.c.external_id).limit(limit)
    if state == "noncompliant":
        page_query = page_query.where(lacks)
    elif state == "compliant":
        page_query = page_query.where(~lacks)
    page = page_query.cte("page")
    query = (
        select(cand, states.c.test_type, states.c.state)
        .select_from(
            page.join(cand, cand.c.external_id == page.c.external_id).outerjoin(states, lacking)
        )
        .order_by(cand.c.external_id, states.c.position)
    )
    return _group(session.connection().execute(query))


def compliance_page(
    session: Session,
    policy_rows: Sequence[RequiredTest],
    *,
    size: int,
    after: str | None,
    who: PersonFilter,
    state: str | None,
) -> list[ComplianceRow]:
    """Up to `size + 1` persons after the cursor, each with the tests they lack."""
    if state is None:
        candidates = _candidates(who, after, None, size + 1)
        return _judged_page(session, policy_rows, candidates, None, size + 1)
    found: list[ComplianceRow] = []
    window = _FIRST_WINDOW
    while True:
        upto = _window_end(session, who, after, window)
        candidates = _candidates(who, after, upto, None)
        found += _judged_page(session, policy_rows, candidates, state, size + 1 - len(found))
        if len(found) > size or upto is None:
            return found
        after, window = upto, min(window * 4, _MAX_WINDOW)


def _group(rows: Any) -> list[ComplianceRow]:
    persons: dict[str, tuple[Any, list[Lacking]]] = {}
    for r in rows:
        person = persons.get(r.external_id)
        if person is None:
            person = persons[r.external_id] = (r, [])
        if r.test_type is not None:
            person[1].append(Lacking(r.test_type, r.state))
    return [
        ComplianceRow(r.external_id, r.name, r.category, r.department, r.ward, tuple(lacking))
        for r, lacking in persons.values()
    ]


def compliance_of(
    session: Session, policy_rows: Sequence[RequiredTest], external_ids: Sequence[str]
) -> dict[str, ComplianceRow]:
    """Those of `external_ids` that are registered, each with what they lack (a few
    statements for any number of persons, through the same SQL as the compliance page)."""
    found: dict[str, ComplianceRow] = {}
    wanted = sorted(set(external_ids))
    for start in range(0, len(wanted), _FIRST_WINDOW):
        chunk = wanted[start : start + _FIRST_WINDOW]
        candidates = select(
            P.c.external_id, P.c.name, P.c.category, P.c.department, P.c.ward
        ).where(P.c.external_id.in_(chunk))
        for row in _judged_page(session, policy_rows, candidates, None, len(chunk)):
            found[row.external_id] = row
    return found
