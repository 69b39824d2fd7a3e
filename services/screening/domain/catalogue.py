"""The screening tests the hospital runs: their results and LOINC codes (the contract's table)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from services.screening.domain.codes import stored_codes

NUCLEIC_ACID: Final = "nucleic_acid"
ANTIBODY_IGM: Final = "antibody_igm"
ANTIBODY_IGG: Final = "antibody_igg"
CHEST_CT: Final = "chest_ct"
BLOOD_ROUTINE: Final = "blood_routine"

PRELIMINARY: Final = "preliminary"
FINAL: Final = "final"
CORRECTED: Final = "corrected"
ENTERED_IN_ERROR: Final = "entered_in_error"
RESULT_STATUSES: Final = (PRELIMINARY, FINAL, CORRECTED, ENTERED_IN_ERROR)
# Statuses that make a new version of an existing result.
AMENDING_STATUSES: Final = frozenset({CORRECTED, ENTERED_IN_ERROR})

CATEGORIES: Final = ("staff", "inpatient", "outpatient", "caregiver")


@dataclass(frozen=True)
class ScreeningTest:
    """One test type: the results it may have and its LOINC code."""

    test_type: str
    results: tuple[str, ...]
    loinc: str
    has_values: bool = False


_INFECTION = ("negative", "positive", "indeterminate")
_IMAGING = ("normal", "abnormal")

TESTS: Final[dict[str, ScreeningTest]] = {
    t.test_type: t
    for t in (
        ScreeningTest(NUCLEIC_ACID, _INFECTION, "94500-6"),
        ScreeningTest(ANTIBODY_IGM, _INFECTION, "94564-2"),
        ScreeningTest(ANTIBODY_IGG, _INFECTION, "94563-4"),
        ScreeningTest(CHEST_CT, _IMAGING, "24627-2"),
        ScreeningTest(BLOOD_ROUTINE, _IMAGING, "58410-2", has_values=True),
    )
}
TEST_TYPES: Final = tuple(TESTS)
# Positive results of these tests raise an infection-control alert.
ALERTING_TESTS: Final = frozenset({NUCLEIC_ACID, ANTIBODY_IGM, ANTIBODY_IGG})


def result_problems(
    test_type: str, result: str | None, status: str, loinc: str | None, has_values: bool
) -> list[tuple[str, str]]:
    """(field, message) for every way a result contradicts its test type and status."""
    test = TESTS[test_type]
    problems: list[tuple[str, str]] = []
    if result is None:
        if status in (FINAL, CORRECTED):
            problems.append(("result", f"a {status} result needs a result value"))
    elif result not in test.results:
        allowed = ", ".join(test.results)
        problems.append(("result", f"a {test_type} result is one of: {allowed}"))
    if loinc is not None and loinc != test.loinc and loinc not in stored_codes(test_type):
        problems.append(("loinc", f"the LOINC code of {test_type} is {test.loinc}"))
    if has_values and not test.has_values:
        problems.append(("values", f"{test_type} results carry no values"))
    return problems


def is_alerting(test_type: str, result: str | None, status: str) -> bool:
    """True for a positive nucleic-acid or antibody result that infection control must hear of."""
    return test_type in ALERTING_TESTS and result == "positive" and status != ENTERED_IN_ERROR
