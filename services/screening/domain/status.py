"""Screening status: is a person screened as the policy asks, test type by test type?"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Final

from services.screening.domain.policy import Requirement, ScreeningPolicy
from shared.counting import ResultVersion, latest_versions, view_of_latest
from shared.vocabulary import ResultMethod, ResultStatus, ScreeningState, TestType

# A counting result's own reading, where it is not `ok`.
_BY_RESULT: Final = {
    "positive": ScreeningState.POSITIVE,
    "indeterminate": ScreeningState.INDETERMINATE,
    "abnormal": ScreeningState.ABNORMAL,
}


@dataclass(frozen=True)
class RequirementState:
    """The state of one required test, and the result that decided it (if any)."""

    test_type: TestType
    state: ScreeningState
    result: ResultVersion | None = None


@dataclass(frozen=True)
class ScreeningStatus:
    """A person's state for every test their category requires."""

    compliant: bool
    items: tuple[RequirementState, ...]


def requirement_state(
    results: Sequence[ResultVersion], requirement: Requirement, now: datetime
) -> RequirementState:
    """One required test's state under the contract's counting rule.

    Order: a newer preliminary makes it `pending`; no counting result is `missing`; a
    counting result collected before the window is `expired`; otherwise the counting
    result's own value (`positive`, `indeterminate`, `abnormal`, else `ok`).
    """
    return _state(latest_versions(results), requirement, now)


def _state(
    latest: Sequence[ResultVersion], requirement: Requirement, now: datetime
) -> RequirementState:
    view = view_of_latest(latest, requirement.test_type)
    test_type = requirement.test_type
    if view.pending is not None:
        return RequirementState(test_type, ScreeningState.PENDING, view.pending)
    counting = view.counting
    if counting is None:
        return RequirementState(test_type, ScreeningState.MISSING)
    if counting.specimen_collected_at < now - requirement.valid_for:
        return RequirementState(test_type, ScreeningState.EXPIRED, counting)
    state = _BY_RESULT.get(counting.result or "", ScreeningState.OK)
    return RequirementState(test_type, state, counting)


# A pool's positive or indeterminate reading: the member waits for an individual retest.
_ASKS_RETEST: Final = frozenset({"positive", "indeterminate"})


def pooled_as_counted(latest: Sequence[ResultVersion], pooled_counts: bool) -> list[ResultVersion]:
    """Latest versions as the policy reads them: a pooled positive or indeterminate makes the
    test `pending` (whatever `pooled_counts` says: it reads as preliminary); other pooled
    results count only where `pooled_counts`."""
    if all(r.method != ResultMethod.POOLED for r in latest):
        return list(latest)
    read: list[ResultVersion] = []
    for r in latest:
        if r.method != ResultMethod.POOLED:
            read.append(r)
        elif r.result in _ASKS_RETEST:
            read.append(replace(r, status=ResultStatus.PRELIMINARY.value))
        elif pooled_counts:
            read.append(r)
    return read


def screening_status(
    category: str, results: Sequence[ResultVersion], policy: ScreeningPolicy, now: datetime
) -> ScreeningStatus:
    """Every required test's state for a person of `category`, given all their versions."""
    # once, for every required test
    latest = pooled_as_counted(latest_versions(results), policy.pooled_counts(category))
    items = tuple(_state(latest, req, now) for req in policy.required(category))
    return ScreeningStatus(compliant=all(i.state == ScreeningState.OK for i in items), items=items)
