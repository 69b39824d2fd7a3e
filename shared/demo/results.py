"""The demo's screening results: every test type, positives, a correction, a void, a pending one.

Pure. Specimens are collected on earlier days at whole hours (hospital local time), and ids
carry the day, so a second run on the same day posts identical results (stored once).
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, tzinfo
from typing import Any

from shared.vocabulary import ResultStatus, ResultValue, TestType

SHORT = {
    TestType.NUCLEIC_ACID: "NA",
    TestType.ANTIBODY_IGM: "IGM",
    TestType.ANTIBODY_IGG: "IGG",
    TestType.CHEST_CT: "CT",
    TestType.BLOOD_ROUTINE: "BR",
}
LAB = "检验科"
IMAGING = "影像科"
NORMAL_BLOOD = {"wbc": 6.1, "lymphocytes": 1.9, "neutrophils": 3.6}
LOW_LYMPHOCYTES = {"wbc": 3.4, "lymphocytes": 0.6, "neutrophils": 2.5}
INFECTION_PANEL = (TestType.NUCLEIC_ACID, TestType.ANTIBODY_IGM, TestType.ANTIBODY_IGG)
NEG, POS = ResultValue.NEGATIVE, ResultValue.POSITIVE


class _Day:
    """Builds result bodies for one demo day."""

    def __init__(self, day: date, tz: tzinfo) -> None:
        self.day, self.tz = day, tz
        self.items: list[dict[str, Any]] = []

    def at(self, days_ago: int, hour: int) -> datetime:
        return datetime.combine(self.day - timedelta(days=days_ago), time(hour), tzinfo=self.tz)

    def add(
        self,
        pid: str,
        test: TestType,
        value: ResultValue | None,
        days_ago: int,
        hour: int = 7,
        *,
        n: int = 1,
        status: ResultStatus = ResultStatus.FINAL,
        blood: dict[str, float] | None = None,
        note: str | None = None,
    ) -> None:
        """One result (version); `n` tells a person's several results of one type apart."""
        collected = self.at(days_ago, hour)
        body: dict[str, Any] = {
            "external_id": f"DEMO-{self.day:%Y%m%d}-{pid}-{SHORT[test]}{n}",
            "person_external_id": pid,
            "test_type": test.value,
            "result": value.value if value else None,
            "status": status.value,
            "specimen_collected_at": collected.isoformat(),
            "performer": IMAGING if test == TestType.CHEST_CT else LAB,
        }
        if status != ResultStatus.PRELIMINARY:
            body["resulted_at"] = (collected + timedelta(hours=5)).isoformat()
        if blood is not None:
            body["values"] = {k: {"value": v, "unit": "10^9/L"} for k, v in blood.items()}
        if note:
            body["note"] = note
        self.items.append(body)

    def infection_panel(self, pid: str, days_ago: int, skip: tuple[TestType, ...] = ()) -> None:
        """Negative nucleic acid and antibodies collected `days_ago` days before."""
        for test in INFECTION_PANEL:
            if test not in skip:
                self.add(pid, test, NEG, days_ago)

    def imaging_and_blood(self, pid: str, days_ago: int, *, abnormal: bool = False) -> None:
        """Chest CT and blood routine, normal unless `abnormal`."""
        ct = ResultValue.ABNORMAL if abnormal else ResultValue.NORMAL
        self.add(pid, TestType.CHEST_CT, ct, days_ago, hour=9)
        blood = LOW_LYMPHOCYTES if abnormal else NORMAL_BLOOD
        self.add(pid, TestType.BLOOD_ROUTINE, ct, days_ago, hour=8, blood=blood)

    def full_panel(self, pid: str, days_ago: int) -> None:
        """Everything staff and inpatients need, negative and normal."""
        self.infection_panel(pid, days_ago)
        self.imaging_and_blood(pid, days_ago + 1)


def _staff(d: _Day) -> None:
    d.full_panel("S001", 1)
    d.full_panel("S002", 2)
    # The chest CT was filed under the wrong person: voided, so S002 now lacks one.
    d.add("S002", TestType.CHEST_CT, ResultValue.NORMAL, 3, hour=9)
    d.items[-1]["status"] = ResultStatus.ENTERED_IN_ERROR.value
    d.items[-1]["note"] = "录入错误：该影像报告属于其他患者"  # noqa: RUF001
    d.infection_panel("S003", 2, skip=(TestType.NUCLEIC_ACID,))
    d.add("S003", TestType.NUCLEIC_ACID, NEG, 16)  # older than 14 days: expired
    d.imaging_and_blood("S003", 3)
    d.full_panel("S004", 1)


def _respiratory_ward(d: _Day) -> None:
    d.full_panel("P001", 1)  # ready to go home
    d.add("P002", TestType.NUCLEIC_ACID, POS, 11, n=1)  # recovering: one negative so far
    d.add("P002", TestType.NUCLEIC_ACID, NEG, 1, n=2)
    d.infection_panel("P002", 2, skip=(TestType.NUCLEIC_ACID,))
    d.imaging_and_blood("P002", 3)
    d.add("P003", TestType.NUCLEIC_ACID, POS, 1)  # positive, reported today
    d.infection_panel("P003", 1, skip=(TestType.NUCLEIC_ACID,))
    d.imaging_and_blood("P003", 1, abnormal=True)
    d.infection_panel("P004", 1, skip=(TestType.ANTIBODY_IGM,))
    d.add("P004", TestType.ANTIBODY_IGM, POS, 2)
    d.add(
        "P004",
        TestType.ANTIBODY_IGM,
        NEG,
        2,
        status=ResultStatus.CORRECTED,
        note="复核更正：原报告误录为阳性",  # noqa: RUF001
    )
    d.imaging_and_blood("P004", 3)


def _cardiology_ward(d: _Day) -> None:
    d.add("P005", TestType.NUCLEIC_ACID, POS, 13, n=1)  # recovered: two negatives 48 h apart
    d.add("P005", TestType.NUCLEIC_ACID, NEG, 3, hour=6, n=2)
    d.add("P005", TestType.NUCLEIC_ACID, NEG, 1, hour=6, n=3)
    d.infection_panel("P005", 2, skip=(TestType.NUCLEIC_ACID,))
    d.imaging_and_blood("P005", 3)
    d.add("P006", TestType.NUCLEIC_ACID, NEG, 1)  # antibodies never drawn: missing
    d.imaging_and_blood("P006", 2)
    d.infection_panel("P007", 3)
    d.add("P007", TestType.NUCLEIC_ACID, None, 1, hour=18, n=2, status=ResultStatus.PRELIMINARY)
    d.imaging_and_blood("P007", 3)
    d.add("P008", TestType.NUCLEIC_ACID, POS, 2)  # transferred to the designated hospital
    d.add("P008", TestType.ANTIBODY_IGM, POS, 2)
    d.add("P008", TestType.ANTIBODY_IGG, NEG, 2)
    d.imaging_and_blood("P008", 2, abnormal=True)


def _caregivers_and_outpatients(d: _Day) -> None:
    d.infection_panel("C001", 2)
    d.infection_panel("C002", 3)
    d.infection_panel("C003", 2, skip=(TestType.ANTIBODY_IGG,))
    d.add("C003", TestType.ANTIBODY_IGG, NEG, 9)  # older than 7 days: expired
    d.infection_panel("C004", 1)
    d.add("O003", TestType.NUCLEIC_ACID, POS, 1, hour=9)  # an outpatient's positive


def results_of_the_day(day: date, tz: tzinfo) -> tuple[dict[str, Any], ...]:
    """Every result body of the demo day, corrections after what they correct."""
    d = _Day(day, tz)
    _staff(d)
    _respiratory_ward(d)
    _cardiology_ward(d)
    _caregivers_and_outpatients(d)
    return tuple(d.items)
