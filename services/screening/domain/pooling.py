"""Pooled testing (混采): what a pool's result makes of each member's nucleic-acid result.

A negative pool gives each member a `final` pooled negative; a positive or indeterminate pool
gives each a `preliminary` pooled result (the member is `pending` until an individual retest).
A later version of the pool's result becomes a new version of each member's: `preliminary`
where the member's latest is still preliminary (the laboratory's normal course), `corrected`
otherwise, `entered_in_error` when the pool's result is voided.
"""

from __future__ import annotations

from shared.vocabulary import PoolState, ResultStatus

# A member's pooled result is named after the pool's result and the member's tube.
MEMBER_ID_SEPARATOR = ":"


def member_external_id(pool_result_external_id: str, specimen_id: str) -> str:
    """`<pool result external_id>:<specimen_id>`."""
    return f"{pool_result_external_id}{MEMBER_ID_SEPARATOR}{specimen_id}"


def asks_for_retest(reading: str, status: str) -> bool:
    """True when the pool's result puts its members in `pending` with an open retest."""
    return status != ResultStatus.ENTERED_IN_ERROR and reading != PoolState.NEGATIVE


def member_status(reading: str, pool_status: str, member_latest: str | None) -> str:
    """The status of the member's new pooled version, given its latest stored status."""
    if pool_status == ResultStatus.ENTERED_IN_ERROR:
        return ResultStatus.ENTERED_IN_ERROR.value
    first_or_preliminary = member_latest in (None, ResultStatus.PRELIMINARY)
    if reading == PoolState.NEGATIVE:
        return (ResultStatus.FINAL if first_or_preliminary else ResultStatus.CORRECTED).value
    return (ResultStatus.PRELIMINARY if first_or_preliminary else ResultStatus.CORRECTED).value


def pool_state(reading: str, status: str) -> str:
    """The pool's state after its newest result version (`open` again when voided)."""
    if status == ResultStatus.ENTERED_IN_ERROR:
        return PoolState.OPEN.value
    return PoolState(reading).value
