"""A person's timeline as plain data: typed entries, result histories and their order.

Pure: no web framework, no database, no network. The service reads the records; this module
decides what they mean on the page (which version is superseded, which positive stands) and
in which order they are told, newest first.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Final, Literal, Protocol

from shared.vocabulary import COUNTING_STATUSES, ResultStatus, ResultValue

Kind = Literal[
    "admission",
    "discharged",
    "result",
    "check_in",
    "virtual_visit",
    "discharge_check",
    "discharge_attempt",
    "isolated",
    "released",
]
# At the same instant the later step of a stay is told first (newest first): a discharge
# after the check that allowed it, a check after the result it read, a result after admission.
KIND_ORDER: Final[dict[str, int]] = {
    "discharged": 0,
    "discharge_attempt": 1,
    "discharge_check": 2,
    "released": 2,
    "isolated": 2,
    "result": 3,
    "virtual_visit": 4,
    "check_in": 5,
    "admission": 6,
}
VOID: Final = ResultStatus.ENTERED_IN_ERROR
ALARMING: Final = frozenset({ResultValue.POSITIVE})


class Version(Protocol):
    """One stored version of a result (the fields the timeline reads)."""

    @property
    def external_id(self) -> str: ...
    @property
    def version(self) -> int: ...
    @property
    def test_type(self) -> str: ...
    @property
    def result(self) -> str | None: ...
    @property
    def status(self) -> str: ...
    @property
    def specimen_collected_at(self) -> datetime: ...
    @property
    def resulted_at(self) -> datetime | None: ...
    @property
    def recorded_at(self) -> datetime: ...


@dataclass(frozen=True)
class Entry:
    """One thing that happened to the person, when, and the record that tells it."""

    at: datetime
    kind: Kind
    key: str
    record: object


@dataclass(frozen=True)
class VersionView:
    """A result version as told: what it replaced and whether a later one replaced it."""

    version: Version
    previous: Version | None = None
    superseded_by: int | None = None

    @property
    def superseded(self) -> bool:
        """A later version of the same result exists: this one no longer counts."""
        return self.superseded_by is not None


@dataclass(frozen=True)
class ResultHistory:
    """Every version of one result (one `external_id`), newest first."""

    external_id: str
    versions: list[VersionView] = field(default_factory=list)

    @property
    def latest(self) -> Version:
        """The version that stands."""
        return self.versions[0].version

    @property
    def void(self) -> bool:
        """The result was entered in error: it counts for nothing."""
        return self.latest.status == VOID

    @property
    def corrected(self) -> bool:
        """More than one version exists."""
        return len(self.versions) > 1


def result_histories(versions: Iterable[Version]) -> list[ResultHistory]:
    """Versions grouped by result, each newest version first; newest specimen first."""
    grouped: dict[str, list[Version]] = {}
    for v in versions:
        grouped.setdefault(v.external_id, []).append(v)
    histories = []
    for external_id, group in grouped.items():
        group.sort(key=lambda v: v.version)
        views = [
            VersionView(
                v,
                previous=group[i - 1] if i else None,
                superseded_by=group[i + 1].version if i + 1 < len(group) else None,
            )
            for i, v in enumerate(group)
        ]
        histories.append(ResultHistory(external_id, views[::-1]))
    histories.sort(key=lambda h: (h.latest.specimen_collected_at, h.external_id), reverse=True)
    return histories


def standing_positives(histories: Sequence[ResultHistory]) -> list[Version]:
    """Per test type, the counting result when it is positive (the policy's counting rule).

    The counting result is the newest by specimen time among results whose latest version is
    final or corrected (a voided one counts for nothing): a later negative stands it down."""
    counting: dict[str, Version] = {}
    for history in histories:
        latest = history.latest
        if latest.status not in COUNTING_STATUSES:
            continue
        known = counting.get(latest.test_type)
        if known is None or latest.specimen_collected_at > known.specimen_collected_at:
            counting[latest.test_type] = latest
    positives = [v for v in counting.values() if v.result in ALARMING]
    return sorted(positives, key=lambda v: v.specimen_collected_at, reverse=True)


def result_entries(histories: Iterable[ResultHistory]) -> list[Entry]:
    """One entry per version, at the time it was resulted (else recorded)."""
    return [
        Entry(
            view.version.resulted_at or view.version.recorded_at,
            "result",
            f"{history.external_id}#{view.version.version:06d}",
            view,
        )
        for history in histories
        for view in history.versions
    ]


def newest_first(*groups: Iterable[Entry]) -> list[Entry]:
    """Every entry of every group in one list, newest first (ties: the later step first)."""
    merged = [entry for group in groups for entry in group]
    merged.sort(key=lambda e: e.key, reverse=True)
    merged.sort(key=lambda e: KIND_ORDER[e.kind])
    merged.sort(key=lambda e: e.at, reverse=True)
    return merged
