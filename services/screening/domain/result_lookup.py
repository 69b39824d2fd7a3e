"""The resident's result lookup rule: which result answers a booking, and the digits check."""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from datetime import datetime

from shared.vocabulary import COUNTING_STATUSES, ResultMethod, ResultValue

# A pool's positive or indeterminate reading asks for an individual retest: not yet an answer.
ASKS_RETEST = frozenset({ResultValue.POSITIVE, ResultValue.INDETERMINATE})
NOT_COLLECTED, PENDING = "not_collected", "pending"


@dataclass(frozen=True)
class LookupVersion:
    """One stored version of a person's nucleic-acid result (what the rule reads)."""

    external_id: str
    version: int
    result: str | None
    status: str
    specimen_collected_at: datetime
    resulted_at: datetime | None
    recorded_at: datetime
    method: str = ResultMethod.INDIVIDUAL

    def answers(self) -> bool:
        """A reading the resident can be told (a pooled positive waits for its retest)."""
        return bool(self.result) and not (
            self.method == ResultMethod.POOLED and self.result in ASKS_RETEST
        )


@dataclass(frozen=True)
class LookupState:
    """What the resident is told: the state and, when there is one, the result's time."""

    state: str
    resulted_at: datetime | None = None


def digits_match(id_number: str | None, last4: str) -> bool:
    """True when the stored ID number ends with these four characters (X in either case)."""
    if not id_number or len(id_number) < 4:
        return False
    return hmac.compare_digest(id_number[-4:].upper().encode(), last4.upper().encode())


def lookup_state(versions: list[LookupVersion], collected_at: datetime) -> LookupState:
    """The newest final/corrected result (latest version of each, voided ones left out)
    whose specimen was collected at or after `collected_at`, pooled or individual; else
    pending. A pooled positive or indeterminate is pending too: only the member's individual
    retest answers it (as screening status and the discharge gate read it)."""
    latest: dict[str, LookupVersion] = {}
    for v in versions:
        kept = latest.get(v.external_id)
        if kept is None or v.version > kept.version:
            latest[v.external_id] = v
    counting = [
        v
        for v in latest.values()
        if v.status in COUNTING_STATUSES and v.answers() and v.specimen_collected_at >= collected_at
    ]
    if not counting:
        return LookupState(PENDING)
    newest = max(counting, key=lambda v: (v.specimen_collected_at, v.recorded_at))
    return LookupState(str(newest.result), newest.resulted_at or newest.recorded_at)
