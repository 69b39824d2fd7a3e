"""Which result counts for a test type: the contract's rule, shared by the screening
policy and the discharge rule (both services must read a history the same way).

Only the latest version of each result `external_id` is considered; one whose latest version
is `entered_in_error` is void. Of the rest, the newest by specimen time among `final` /
`corrected` counts. A `preliminary` result newer than the counting one means `pending`.
When two counting results share a specimen time, the more severe one counts (positive over
indeterminate over negative, abnormal over normal): a tie never hides a positive.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from shared.vocabulary import COUNTING_STATUSES

SEVERITY = {"positive": 3, "abnormal": 3, "indeterminate": 2, "negative": 1, "normal": 1}


@dataclass(frozen=True)
class ResultVersion:
    """One stored version of a screening result (the fields the rules read)."""

    external_id: str
    version: int
    test_type: str
    result: str | None
    status: str
    specimen_collected_at: datetime
    method: str = "individual"  # or "pooled": made by a pool's result


@dataclass(frozen=True)
class CountingView:
    """For one test type: the result that counts, and a newer preliminary if any."""

    counting: ResultVersion | None
    pending: ResultVersion | None


def latest_versions(results: Iterable[ResultVersion]) -> list[ResultVersion]:
    """The latest version of each external id, with voided (entered-in-error) ones dropped."""
    latest: dict[str, ResultVersion] = {}
    for r in results:
        seen = latest.get(r.external_id)
        if seen is None or r.version > seen.version:
            latest[r.external_id] = r
    return [r for r in latest.values() if r.status != "entered_in_error"]


def _rank(r: ResultVersion) -> tuple[datetime, int, str]:
    return (r.specimen_collected_at, SEVERITY.get(r.result or "", 0), r.external_id)


def counting_view(results: Iterable[ResultVersion], test_type: str) -> CountingView:
    """The counting result and any newer preliminary one for `test_type`."""
    return view_of_latest(latest_versions(results), test_type)


def view_of_latest(latest: Iterable[ResultVersion], test_type: str) -> CountingView:
    """`counting_view` of versions already reduced by `latest_versions` (once for many types)."""
    live = [r for r in latest if r.test_type == test_type]
    final = [r for r in live if r.status in COUNTING_STATUSES and r.result is not None]
    counting = max(final, key=_rank, default=None)
    prelim = [
        r
        for r in live
        if r.status == "preliminary"
        and (counting is None or r.specimen_collected_at > counting.specimen_collected_at)
    ]
    pending = max(prelim, key=_rank, default=None)
    return CountingView(counting=counting, pending=pending)


def counting_results(results: Iterable[ResultVersion], test_type: str) -> list[ResultVersion]:
    """Every non-void final/corrected result of `test_type`, newest specimen first."""
    live = [r for r in latest_versions(results) if r.test_type == test_type]
    final = [r for r in live if r.status in COUNTING_STATUSES and r.result is not None]
    return sorted(final, key=_rank, reverse=True)
