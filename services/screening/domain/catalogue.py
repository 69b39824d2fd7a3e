"""The screening tests the hospital runs: their results and LOINC codes (the contract's table)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from services.screening.domain.codes import stored_codes
from shared.vocabulary import (
    COUNTING_STATUSES,
    INFECTION_TESTS,
    ResultStatus,
    ResultValue,
    TestType,
)


@dataclass(frozen=True)
class ScreeningTest:
    """One test type: the results it may have and its LOINC code."""

    test_type: TestType
    results: tuple[ResultValue, ...]
    loinc: str
    has_values: bool = False


_INFECTION = (ResultValue.NEGATIVE, ResultValue.POSITIVE, ResultValue.INDETERMINATE)
_IMAGING = (ResultValue.NORMAL, ResultValue.ABNORMAL)

TESTS: Final[dict[TestType, ScreeningTest]] = {
    t.test_type: t
    for t in (
        ScreeningTest(TestType.NUCLEIC_ACID, _INFECTION, "94500-6"),
        ScreeningTest(TestType.ANTIBODY_IGM, _INFECTION, "94564-2"),
        ScreeningTest(TestType.ANTIBODY_IGG, _INFECTION, "94563-4"),
        ScreeningTest(TestType.CHEST_CT, _IMAGING, "24627-2"),
        ScreeningTest(TestType.BLOOD_ROUTINE, _IMAGING, "58410-2", has_values=True),
    )
}


def result_problems(
    test_type: str, result: str | None, status: str, loinc: str | None, has_values: bool
) -> list[tuple[str, str, str]]:
    """(field, code, message) for every way a result contradicts its test type and status."""
    test = TESTS[TestType(test_type)]
    problems: list[tuple[str, str, str]] = []
    if result is None:
        if status in COUNTING_STATUSES:
            problems.append(
                ("result", "result_required", f"a {status} result needs a result value")
            )
    elif result not in test.results:
        allowed = ", ".join(test.results)
        message = f"a {test_type} result is one of: {allowed}"
        problems.append(("result", "result_not_of_test", message))
    if loinc is not None and loinc != test.loinc and loinc not in stored_codes(test_type):
        message = f"the LOINC code of {test_type} is {test.loinc}"
        problems.append(("loinc", "loinc_not_of_test", message))
    if has_values and not test.has_values:
        problems.append(("values", "values_not_of_test", f"{test_type} results carry no values"))
    return problems


def is_alerting(test_type: str, result: str | None, status: str) -> bool:
    """True for a positive nucleic-acid or antibody result that infection control must hear of."""
    return (
        test_type in INFECTION_TESTS
        and result == ResultValue.POSITIVE
        and status != ResultStatus.ENTERED_IN_ERROR
    )
