"""The timeline's pure rules: which version is superseded, which positive stands, the order."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest

from services.screening.timeline.entries import (
    Entry,
    newest_first,
    result_entries,
    result_histories,
    standing_positives,
)

T0 = datetime(2026, 12, 7, 1, 0, tzinfo=UTC)


@dataclass(frozen=True)
class V:
    external_id: str
    version: int
    result: str | None
    status: str = "final"
    test_type: str = "nucleic_acid"
    hours: float = 0  # specimen time after T0
    resulted_hours: float | None = None

    @property
    def specimen_collected_at(self) -> datetime:
        return T0 + timedelta(hours=self.hours)

    @property
    def resulted_at(self) -> datetime | None:
        return None if self.resulted_hours is None else T0 + timedelta(hours=self.resulted_hours)

    @property
    def recorded_at(self) -> datetime:
        return T0 + timedelta(hours=self.hours + 1, minutes=self.version)


def test_versions_are_grouped_newest_first_and_the_older_ones_superseded() -> None:
    histories = result_histories(
        [V("A", 1, "positive"), V("B", 1, "negative", hours=5), V("A", 2, "negative", "corrected")]
    )
    assert [h.external_id for h in histories] == ["B", "A"]  # newest specimen first
    a = histories[1]
    assert [v.version.version for v in a.versions] == [2, 1]
    assert [v.superseded_by for v in a.versions] == [None, 2]
    assert a.versions[0].previous is not None and a.versions[0].previous.result == "positive"
    assert a.corrected and not a.void and a.latest.result == "negative"


@pytest.mark.parametrize(
    ("versions", "standing"),
    [
        ([V("A", 1, "positive")], ["A"]),  # a final positive stands (any category)
        ([V("A", 1, "positive"), V("A", 2, "negative", "corrected")], []),  # corrected away
        ([V("A", 1, "positive"), V("A", 2, None, "entered_in_error")], []),  # voided
        ([V("A", 1, "positive", "preliminary")], []),  # not final yet
        ([V("A", 1, "positive"), V("B", 1, "negative", hours=30)], []),  # a later negative
        ([V("A", 1, "positive", hours=30), V("B", 1, "negative")], ["A"]),  # an older negative
        ([V("A", 1, "positive"), V("C", 1, "positive", test_type="antibody_igm")], ["A", "C"]),
    ],
)
def test_a_positive_stands_while_it_is_the_counting_result(
    versions: list[V], standing: list[str]
) -> None:
    found = standing_positives(result_histories(versions))
    assert sorted(v.external_id for v in found) == standing


def test_each_version_is_an_entry_at_its_result_time() -> None:
    entries = result_entries(result_histories([V("A", 1, "positive", resulted_hours=3)]))
    assert [(e.kind, e.at) for e in entries] == [("result", T0 + timedelta(hours=3))]
    unresulted = result_entries(result_histories([V("A", 1, None, "preliminary")]))
    assert unresulted[0].at == V("A", 1, None).recorded_at


def test_newest_first_and_at_the_same_instant_the_later_step_first() -> None:
    def e(hours: float, kind: str, key: str = "k") -> Entry:
        return Entry(T0 + timedelta(hours=hours), kind, key, None)  # type: ignore[arg-type]

    merged = newest_first(
        [e(0, "admission"), e(5, "check_in", "1"), e(5, "check_in", "2")],
        [e(9, "discharge_check"), e(9, "discharged")],
        [e(7, "result")],
    )
    assert [(x.kind, x.key) for x in merged] == [
        ("discharged", "k"),
        ("discharge_check", "k"),
        ("result", "k"),
        ("check_in", "2"),
        ("check_in", "1"),
        ("admission", "k"),
    ]


def test_one_notice_per_service_and_reason_naming_what_is_missing() -> None:
    from services.screening.clients.records import Gap
    from services.screening.timeline.service import Notice, notices_of

    down, refused = Gap("appointments", "unreachable"), Gap("discharge", "forbidden")
    gaps = [("check_ins", down), ("discharge_checks", refused), ("departments", down)]
    assert notices_of(gaps) == [
        Notice("appointments", "unreachable", ("check_ins", "departments")),
        Notice("discharge", "forbidden", ("discharge_checks",)),
    ]


def test_the_admission_comes_from_the_answer_else_from_admitted_at() -> None:
    from types import SimpleNamespace

    from services.screening.timeline.service import Admission, admission_entries, admission_of

    ended = {"admitted_at": T0, "discharged_at": T0 + timedelta(days=2), "disposition": "home"}
    admission = admission_of(SimpleNamespace(admission=ended, admitted_at=T0))
    assert admission == Admission(T0, T0 + timedelta(days=2), "home")
    assert [e.kind for e in admission_entries(admission)] == ["admission", "discharged"]
    assert admission_of(SimpleNamespace(admitted_at=T0)) == Admission(T0)
    assert admission_of(SimpleNamespace(admission=None, admitted_at=None)) is None
