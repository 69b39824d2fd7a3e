"""Who is in the demo hospital: departments, two wards, staff, inpatients, caregivers, outpatients.

Pure data. Names are common Chinese names; phone numbers use the 138-0013 range that Chinese
documentation uses for examples. Identifiers are stable, so a second run updates the same
people instead of adding new ones.
"""

from __future__ import annotations

from dataclasses import dataclass

from shared.vocabulary import Category

RESPIRATORY = "RESP"
CARDIOLOGY = "CARD"
EMERGENCY = "EMER"
RESPIRATORY_WARD = "RESP-W5"  # 呼吸内科五病区
CARDIOLOGY_WARD = "CARD-W3"  # 心血管内科三病区


@dataclass(frozen=True)
class Department:
    """A department as `PUT /departments/{code}` takes it (hospital local clock times)."""

    code: str
    name: str
    opens: str
    closes: str
    slot_minutes: int = 15
    capacity_per_slot: int = 8
    booking_days_ahead: int = 7

    def body(self) -> dict[str, object]:
        """The request body."""
        return {
            "name": self.name,
            "slot_minutes": self.slot_minutes,
            "capacity_per_slot": self.capacity_per_slot,
            "opens": self.opens,
            "closes": self.closes,
            "booking_days_ahead": self.booking_days_ahead,
        }


# The emergency department books round the clock, so check-ins can be shown at any hour.
DEPARTMENTS = (
    Department(RESPIRATORY, "呼吸内科", "08:00", "17:00"),
    Department(CARDIOLOGY, "心血管内科", "08:00", "17:00"),
    Department(EMERGENCY, "急诊科", "00:00", "23:59", capacity_per_slot=12),
)


@dataclass(frozen=True)
class Person:
    """A person as `PUT /persons/{external_id}` takes it; `admitted_days_ago` for inpatients."""

    external_id: str
    name: str
    category: Category
    department: str
    ward: str | None = None
    admitted_days_ago: int | None = None
    patient_external_id: str | None = None
    phone: str | None = None


def _staff(pid: str, name: str, department: str, ward: str | None, phone: str) -> Person:
    return Person(pid, name, Category.STAFF, department, ward, phone=phone)


def _inpatient(pid: str, name: str, department: str, ward: str, days: int) -> Person:
    return Person(pid, name, Category.INPATIENT, department, ward, admitted_days_ago=days)


def _caregiver(pid: str, name: str, patient: Person, phone: str) -> Person:
    return Person(
        pid,
        name,
        Category.CAREGIVER,
        patient.department,
        patient.ward,
        patient_external_id=patient.external_id,
        phone=phone,
    )


def _outpatient(pid: str, name: str, phone: str) -> Person:
    return Person(pid, name, Category.OUTPATIENT, RESPIRATORY, phone=phone)


STAFF = (
    _staff("S001", "王丽", RESPIRATORY, RESPIRATORY_WARD, "13800138001"),
    _staff("S002", "陈建国", CARDIOLOGY, CARDIOLOGY_WARD, "13800138002"),
    _staff("S003", "赵敏", RESPIRATORY, RESPIRATORY_WARD, "13800138003"),
    _staff("S004", "李静", EMERGENCY, None, "13800138004"),
)

# Ward RESP-W5: one ready to go home, one recovering from a positive, one positive today,
# one whose antibody result was corrected.
P001 = _inpatient("P001", "张伟", RESPIRATORY, RESPIRATORY_WARD, 6)
P002 = _inpatient("P002", "李娜", RESPIRATORY, RESPIRATORY_WARD, 12)
P003 = _inpatient("P003", "刘洋", RESPIRATORY, RESPIRATORY_WARD, 3)
P004 = _inpatient("P004", "黄秀英", RESPIRATORY, RESPIRATORY_WARD, 5)
# Ward CARD-W3: recovered (two negatives), missing antibodies, a pending test, and a positive
# patient transferred to the designated hospital.
P005 = _inpatient("P005", "周杰", CARDIOLOGY, CARDIOLOGY_WARD, 14)
P006 = _inpatient("P006", "吴芳", CARDIOLOGY, CARDIOLOGY_WARD, 2)
P007 = _inpatient("P007", "徐强", CARDIOLOGY, CARDIOLOGY_WARD, 4)
P008 = _inpatient("P008", "孙桂兰", CARDIOLOGY, CARDIOLOGY_WARD, 8)
INPATIENTS = (P001, P002, P003, P004, P005, P006, P007, P008)

CAREGIVERS = (
    _caregiver("C001", "张小红", P001, "13800138011"),
    _caregiver("C002", "刘建华", P003, "13800138012"),
    _caregiver("C003", "周敏", P005, "13800138013"),
    _caregiver("C004", "吴刚", P006, "13800138014"),
)

OUTPATIENTS = (
    _outpatient("O001", "马超", "13800138021"),
    _outpatient("O002", "杨帆", "13800138022"),
    _outpatient("O003", "郭静", "13800138023"),
    _outpatient("O004", "林涛", "13800138024"),
    _outpatient("O005", "何琳", "13800138025"),
    _outpatient("O006", "高鹏", "13800138026"),
    _outpatient("O007", "罗婷", "13800138027"),
)

PEOPLE = (*STAFF, *INPATIENTS, *CAREGIVERS, *OUTPATIENTS)
