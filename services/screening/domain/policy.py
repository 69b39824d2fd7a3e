"""The screening policy as data: which tests each category needs and for how long each counts."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Final

from services.screening.domain.catalogue import (
    ANTIBODY_IGG,
    ANTIBODY_IGM,
    BLOOD_ROUTINE,
    CHEST_CT,
    NUCLEIC_ACID,
)


@dataclass(frozen=True)
class Requirement:
    """One test a category needs, and how long a result of it counts."""

    test_type: str
    valid_for: timedelta


@dataclass(frozen=True)
class ScreeningPolicy:
    """Requirements per person category (a category not listed needs nothing)."""

    requirements: dict[str, tuple[Requirement, ...]]
    source: str = "default"

    def required(self, category: str) -> tuple[Requirement, ...]:
        """The tests a person of `category` needs."""
        return self.requirements.get(category, ())


def _each(days: int, *test_types: str) -> tuple[Requirement, ...]:
    return tuple(Requirement(t, timedelta(days=days)) for t in test_types)


_FULL = (NUCLEIC_ACID, ANTIBODY_IGM, ANTIBODY_IGG, CHEST_CT, BLOOD_ROUTINE)

DEFAULT_POLICY: Final = ScreeningPolicy(
    requirements={
        "staff": _each(14, *_FULL),
        "inpatient": _each(14, *_FULL),
        "caregiver": _each(7, NUCLEIC_ACID, ANTIBODY_IGM, ANTIBODY_IGG),
        "outpatient": (),
    }
)
