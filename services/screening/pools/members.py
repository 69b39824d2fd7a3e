"""A pool result's versions for each member: pooled nucleic-acid results and their retests."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlmodel import Session

from services.screening.domain.catalogue import TESTS
from services.screening.domain.pooling import (
    asks_for_retest,
    member_external_id,
    member_status,
    pool_state,
)
from services.screening.domain.versions import NEW, REJECTED, content_hash, place_result
from services.screening.pools import repository as repo
from services.screening.pools.repository import SpecimenRow
from services.screening.pools.schemas import PoolResultCreate
from services.screening.results import repository as results
from services.screening.results.consequences import after_new_versions
from shared.errors import Conflict
from shared.vocabulary import ResultMethod, ResultStatus, TestType

_LOINC = TESTS[TestType.NUCLEIC_ACID].loinc


def _member_content(
    body: PoolResultCreate, pool_id: str, member: SpecimenRow, status: str
) -> dict[str, Any]:
    return {
        "external_id": member_external_id(body.external_id, member.specimen_id),
        "person_external_id": member.person_external_id,
        "test_type": TestType.NUCLEIC_ACID.value,
        "result": str(body.result),
        "status": status,
        "specimen_collected_at": member.collected_at,
        "resulted_at": body.resulted_at,
        "loinc": _LOINC,
        "values": None,
        "performer": body.performer,
        "note": None,
        "method": ResultMethod.POOLED.value,
        "pool_id": pool_id,
    }


def member_versions(
    session: Session,
    pool_id: str,
    body: PoolResultCreate,
    members: Sequence[SpecimenRow],
    actor: str,
    now: datetime,
) -> list[dict[str, Any]]:
    """The new pooled version of each member's result, placed by the usual version rules."""
    ids = [member_external_id(body.external_id, m.specimen_id) for m in members]
    history = results.histories(session, ids)
    rows = []
    for member, external_id in zip(members, ids, strict=True):
        versions = history.get(external_id, [])
        latest = max(versions, key=lambda v: v.version).status if versions else None
        status = member_status(str(body.result), str(body.status), latest)
        if status == ResultStatus.ENTERED_IN_ERROR and latest is None:
            continue  # nothing of this member to void
        content = _member_content(body, pool_id, member, status)
        digest = content_hash(content)
        placement = place_result(
            versions,
            status=status,
            digest=digest,
            person_external_id=member.person_external_id,
            test_type=TestType.NUCLEIC_ACID.value,
        )
        if placement.kind == REJECTED:
            raise Conflict(
                f"Member {member.specimen_id}: {placement.detail}", code="result_conflict"
            )
        if placement.kind == NEW:
            rows.append(
                {
                    **content,
                    "version": placement.version,
                    "replaces_version": placement.replaces,
                    "content_hash": digest,
                    "recorded_at": now,
                    "recorded_by": actor[:200],
                }
            )
    return rows


def apply_to_members(
    session: Session,
    pool_id: str,
    body: PoolResultCreate,
    members: Sequence[SpecimenRow],
    actor: str,
    now: datetime,
    *,
    had_result: bool = True,
) -> str:
    """Store each member's new pooled version, open or close retests, set the pool's state
    (returned). Runs in the caller's transaction under the pool's lock: members are stored
    all or none. `had_result`: False for a pool's first result (no retests to close)."""
    rows = member_versions(session, pool_id, body, members, actor, now)
    stored = repo.insert_member_versions(session, rows)
    after_new_versions(session, stored, now)
    if asks_for_retest(str(body.result), str(body.status)):
        repo.open_retests_for(session, members, pool_id, now)
    elif had_result:
        repo.withdraw_retests(session, pool_id, now)
    state = pool_state(str(body.result), str(body.status))
    repo.update_pool(session, pool_id, now, state=state, result_external_id=body.external_id)
    return state
