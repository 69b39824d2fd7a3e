"""Specimens, pools and their results: the use cases behind the routes, the feeds and pages.

Helpers for other packages (the collection desk, the result lookup, spreadsheet uploads):
`record_specimen`, `pool_view`, `record_pool_result`, `open_retests` and the repository's
`specimen_by_booking_code`. Every write is audited in the caller's transaction; a pool's result
is applied under a lock of the pool's row, one transaction per pool (members all or none).
"""

from __future__ import annotations

import functools
from dataclasses import replace
from datetime import datetime
from typing import Any

from sqlmodel import Session

from services.screening.domain.versions import DUPLICATE, REJECTED, content_hash, place_result
from services.screening.persons import repository as persons
from services.screening.pools import repository as repo
from services.screening.pools.members import apply_to_members
from services.screening.pools.repository import PoolRow, RetestRow, SpecimenRow
from services.screening.pools.schemas import (
    PoolCreate,
    PoolMember,
    PoolResultCreate,
    PoolView,
    RetestView,
    SpecimenCreate,
    SpecimenView,
)
from services.screening.results.schemas import CLOCK_SKEW, EARLIEST_SPECIMEN
from services.screening.results.service import AuditLog
from services.screening.settings import ScreeningSettings
from shared.errors import Conflict, NotFound, Unprocessable, field_error
from shared.pagination import Page, Position, next_cursor, row_id_after
from shared.vocabulary import PoolState, RetestState

__all__ = [
    "create_pool",
    "open_retests",
    "pool_view",
    "record_pool_result",
    "record_specimen",
    "specimen_view",
]


@functools.cache
def default_pool_max() -> int:
    """`WARDGATE_POOL_MAX` as the environment sets it (read once)."""
    return ScreeningSettings().wardgate_pool_max


def specimen_view(row: SpecimenRow) -> SpecimenView:
    """A stored specimen as answered."""
    return SpecimenView(
        specimen_id=row.specimen_id,
        person_external_id=row.person_external_id,
        test_type=row.test_type,
        collected_at=row.collected_at,
        pool_id=row.pool_id,
        booking_code=row.booking_code,
    )


def _stored_content(row: SpecimenRow) -> dict[str, Any]:
    return specimen_view(row).model_dump(exclude={"state"})


def _too_large(size: int, most: int) -> Unprocessable:
    detail = f"A pool holds at most {most} specimens; this one would hold {size}."
    return Unprocessable(
        detail, code="pool_too_large", errors=[field_error("pool_id", detail, "pool_too_large")]
    )


def _closed(pool_id: str) -> Conflict:
    return Conflict(f"Pool {pool_id} has a result: it takes no new specimens.", code="pool_closed")


def _time_problems(collected_at: datetime, now: datetime) -> None:
    message = None
    if collected_at > now + CLOCK_SKEW:
        message, kind = "is in the future", "in_the_future"
    elif collected_at < EARLIEST_SPECIMEN:
        message, kind = "is before the year 2000", "before_2000"
    if message is not None:
        raise Unprocessable(
            f"collected_at {message}.",
            code="validation_error",
            errors=[field_error("collected_at", message, kind)],
        )


def _open_pool_for(
    session: Session, pool_id: str, adding: int, most: int, now: datetime
) -> PoolRow:
    """The pool (created on first use), locked, checked to take `adding` more specimens."""
    repo.ensure_pool(session, pool_id, now)
    pool = repo.get_pool(session, pool_id, lock=True)
    assert pool is not None  # just ensured, and pools are never deleted
    if pool.result_external_id is not None:
        raise _closed(pool_id)
    if pool.size + adding > most:
        raise _too_large(pool.size + adding, most)
    return pool


def record_specimen(
    session: Session,
    body: SpecimenCreate,
    actor: str,
    audit: AuditLog,
    now: datetime,
    *,
    pool_max: int | None = None,
) -> tuple[SpecimenView, bool]:
    """Store a specimen (True) or find the same one stored (False: a retry), and audit it.

    Raises Conflict `specimen_conflict` (the id stored with another body), NotFound
    `unknown_person`, Unprocessable `validation_error` (times) or `pool_too_large`, Conflict
    `pool_closed`. A `pool_id` adds the specimen to that pool, created on first use.
    `pool_max` defaults to `WARDGATE_POOL_MAX`.
    """
    most = pool_max if pool_max is not None else default_pool_max()
    wanted = body.content()
    stored = repo.get_specimen(session, body.specimen_id)
    if stored is None:
        _time_problems(body.collected_at, now)
        if persons.get_person(session, body.person_external_id) is None:
            raise NotFound("No person with this person_external_id.", code="unknown_person")
        pool = None
        if body.pool_id is not None:
            pool = _open_pool_for(session, body.pool_id, 1, most, now)
        row = {**wanted, "recorded_at": now, "recorded_by": actor[:200]}
        if repo.insert_specimen(session, row):
            if pool is not None:
                repo.update_pool(session, pool.pool_id, now, size=pool.size + 1)
            audit.record(
                "specimen.create",
                f"specimen/{body.specimen_id}",
                person=body.person_external_id,
                pool=body.pool_id,
            )
            return specimen_view(repo.get_specimen(session, body.specimen_id)), True  # type: ignore[arg-type]
        stored = repo.get_specimen(session, body.specimen_id)
        assert stored is not None  # taken concurrently: it exists now
    if _stored_content(stored) != wanted:
        raise Conflict(
            "A specimen with this specimen_id exists with different content.",
            code="specimen_conflict",
        )
    audit.record("specimen.retry", f"specimen/{body.specimen_id}")
    return specimen_view(stored), False


def create_pool(
    session: Session, body: PoolCreate, actor: str, audit: AuditLog, now: datetime, pool_max: int
) -> tuple[PoolView, bool]:
    """Put recorded specimens in a pool (created on first use); True when anything changed.

    Raises Unprocessable `unknown_specimen` or `pool_too_large`, Conflict `specimen_pooled`
    (a specimen in another pool) or `pool_closed` (the pool has a result)."""
    ids = list(dict.fromkeys(body.specimen_ids))
    if len(ids) > pool_max:
        raise _too_large(len(ids), pool_max)
    found = repo.specimens(session, ids)
    missing = [i for i in ids if i not in found]
    if missing:
        raise Unprocessable(
            "Unknown specimen ids: " + ", ".join(missing),
            code="unknown_specimen",
            errors=[
                field_error("specimen_ids", f"unknown: {i}", "unknown_specimen") for i in missing
            ],
        )
    elsewhere = [i for i in ids if found[i].pool_id not in (None, body.pool_id)]
    if elsewhere:
        raise Conflict(
            "Specimens already in another pool: " + ", ".join(elsewhere), code="specimen_pooled"
        )
    adding = [i for i in ids if found[i].pool_id is None]
    created = repo.ensure_pool(session, body.pool_id, now)
    if adding or created:
        pool = _open_pool_for(session, body.pool_id, len(adding), pool_max, now)
        repo.put_in_pool(session, adding, body.pool_id)
        repo.update_pool(session, body.pool_id, now, size=pool.size + len(adding))
        audit.record("pool.create", f"pool/{body.pool_id}", added=len(adding))
    view = pool_view(session, body.pool_id)
    assert view is not None
    return view, bool(adding or created)


def pool_view(session: Session, pool_id: str) -> PoolView | None:
    """A pool with its members (size, state, result), or None when there is no such pool."""
    pool = repo.get_pool(session, pool_id)
    if pool is None:
        return None
    members = repo.pool_members(session, pool_id)
    return _view(pool_id, pool.state, pool.result_external_id, members)


def _view(
    pool_id: str, state: str, result_external_id: str | None, members: list[SpecimenRow]
) -> PoolView:
    return PoolView(
        pool_id=pool_id,
        size=len(members),
        state=PoolState(state),
        result_external_id=result_external_id,
        members=[
            PoolMember(
                specimen_id=m.specimen_id,
                person_external_id=m.person_external_id,
                collected_at=m.collected_at,
            )
            for m in members
        ],
    )


def _result_problems(body: PoolResultCreate, members: list[SpecimenRow], now: datetime) -> None:
    errors = []
    if body.resulted_at is not None and body.resulted_at > now + CLOCK_SKEW:
        errors.append(field_error("resulted_at", "is in the future", "in_the_future"))
    if not members:
        raise Conflict(
            "The pool holds no specimens: nothing to apply its result to.", code="pool_empty"
        )
    longest = max(len(m.specimen_id) for m in members)
    if len(body.external_id) + 1 + longest > 64:
        message = "with ':' and a member's specimen_id must fit 64 characters"
        errors.append(field_error("external_id", message, "too_long_for_members"))
    if errors:
        raise Unprocessable(
            "The pool result is not valid: "
            + "; ".join(f"{e['field']}: {e['msg']}" for e in errors),
            code="validation_error",
            errors=errors,
        )


def record_pool_result(
    session: Session,
    pool_id: str,
    body: PoolResultCreate,
    actor: str,
    audit: AuditLog,
    now: datetime,
) -> PoolView:
    """Apply a pool's result to its members, in the caller's transaction, under the pool's lock.

    The same external_id and content again changes nothing. Raises NotFound `unknown_pool`,
    Unprocessable `validation_error`, Conflict/Unprocessable from placing the version
    (`result_conflict`, `unknown_result`) as for individual results.
    """
    pool = repo.get_pool(session, pool_id, lock=True)
    if pool is None:
        raise NotFound("No pool with this pool_id.", code="unknown_pool")
    members = repo.pool_members(session, pool_id)
    _result_problems(body, members, now)
    content = body.content(pool_id)
    digest = content_hash(content)
    placement = place_result(
        repo.pool_result_history(session, body.external_id),
        status=content["status"],
        digest=digest,
        person_external_id=pool_id,
        test_type="nucleic_acid",
    )
    if placement.kind == REJECTED:
        if placement.code == "result_conflict":
            raise Conflict(placement.detail, code=placement.code)
        raise Unprocessable(
            placement.detail,
            code=placement.code,
            errors=[field_error("external_id", placement.detail, placement.code)],
        )
    if placement.kind != DUPLICATE:
        row = {
            **content,
            "version": placement.version,
            "content_hash": digest,
            "recorded_at": now,
            "recorded_by": actor[:200],
        }
        if not repo.insert_pool_result(session, row):  # pragma: no cover - the lock prevents it
            raise Conflict(
                "The pool result was stored concurrently; retry.", code="result_conflict"
            )
        state = apply_to_members(
            session,
            pool_id,
            body,
            members,
            actor,
            now,
            had_result=pool.result_external_id is not None,
        )
        pool = replace(pool, state=state, result_external_id=body.external_id)
    audit.record(
        "pool.result" if placement.kind != DUPLICATE else "pool.result_retry",
        f"pool/{pool_id}",
        result=f"{body.external_id}/v{placement.version}",
        members=len(members),
    )
    return _view(pool_id, pool.state, pool.result_external_id, members)


def _retest_view(row: RetestRow) -> RetestView:
    return RetestView(
        person_external_id=row.person_external_id,
        pool_id=row.pool_id,
        specimen_id=row.specimen_id,
        opened_at=row.opened_at,
        state=RetestState(row.state),
        closed_by_result_external_id=row.closed_by_result_external_id,
    )


def open_retests(
    session: Session,
    audit: AuditLog | None,
    *,
    state: RetestState | None = RetestState.OPEN,
    size: int = 50,
    cursor: str | None = None,
) -> Page[RetestView]:
    """A page of retests, oldest first (open ones by default), audited when `audit` is given."""
    rows = repo.list_retests(
        session, state.value if state else None, size=size + 1, after_id=row_id_after(cursor)
    )
    rows, nxt = next_cursor(rows, size, lambda r: Position(r.id))
    if audit is not None:
        audit.record("retest.list", "retests", state=state, count=len(rows))
    return Page(items=[_retest_view(r) for r in rows], next_cursor=nxt)
