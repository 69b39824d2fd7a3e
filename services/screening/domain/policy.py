"""The screening policy as data: which tests each category needs and for how long each counts."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Final

from shared.vocabulary import Category, TestType


@dataclass(frozen=True)
class Requirement:
    """One test a category needs, and how long a result of it counts."""

    test_type: TestType
    valid_for: timedelta


@dataclass(frozen=True)
class ScreeningPolicy:
    """Requirements per person category (a category not listed needs nothing)."""

    requirements: dict[str, tuple[Requirement, ...]]  # by Category
    source: str = "default"
    # Categories whose pooled (混采) results count for their status; None: the default ones.
    pooled: frozenset[str] | None = None

    def required(self, category: str) -> tuple[Requirement, ...]:
        """The tests a person of `category` needs."""
        return self.requirements.get(category, ())

    def pooled_counts(self, category: str) -> bool:
        """True when a pooled result counts for a person of `category`'s status."""
        return category in (DEFAULT_POOLED if self.pooled is None else self.pooled)


# Routine screening of staff, caregivers and the public may rest on a pooled negative; a
# patient's may not (the clinically safe default).
DEFAULT_POOLED: Final = frozenset({Category.STAFF, Category.CAREGIVER, Category.PUBLIC})


def _each(days: int, *test_types: TestType) -> tuple[Requirement, ...]:
    return tuple(Requirement(t, timedelta(days=days)) for t in test_types)


_FULL = tuple(TestType)

DEFAULT_POLICY: Final = ScreeningPolicy(
    requirements={
        Category.STAFF: _each(14, *_FULL),
        Category.INPATIENT: _each(14, *_FULL),
        Category.CAREGIVER: _each(
            7, TestType.NUCLEIC_ACID, TestType.ANTIBODY_IGM, TestType.ANTIBODY_IGG
        ),
        Category.OUTPATIENT: (),
        Category.PUBLIC: (),
    }
)
