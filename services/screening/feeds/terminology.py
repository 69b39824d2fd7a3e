"""Terminology as data: which codes mean which screening test, result and status.

Every table here is looked up exactly; an unknown code is never guessed. Systems are
normalised first (`LN`, `SCT`, `HL7` ...) so HL7 v2 coding-system names and FHIR system URIs
share one table.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Final

from services.screening.domain import codes
from shared.vocabulary import ResultStatus, ResultValue, TestType

LOINC: Final = "LN"
SNOMED: Final = "SCT"
LOCAL: Final = "L"

# HL7 v2 table 0396 names and FHIR system URIs -> one normalised name.
_SYSTEMS: Final[dict[str, str]] = {
    "ln": LOINC,
    "loinc": LOINC,
    "http://loinc.org": LOINC,
    "urn:oid:2.16.840.1.113883.6.1": LOINC,
    "sct": SNOMED,
    "snm": SNOMED,
    "sct2": SNOMED,
    "snomed": SNOMED,
    "snomed-ct": SNOMED,
    "snomedct": SNOMED,
    "http://snomed.info/sct": SNOMED,
    "urn:oid:2.16.840.1.113883.6.96": SNOMED,
}


def coding_system(name: str | None) -> str:
    """The normalised name of a coding system (`LN`, `SCT`); anything else is local."""
    if not name:
        return LOCAL
    return _SYSTEMS.get(name.strip().lower(), LOCAL)


@dataclass(frozen=True)
class TestCode:
    """What one LOINC code stands for: a test type in a role, a blood-routine value, or neither."""

    code: str
    display: str
    test_type: str | None = None
    # For blood-routine components: the name under `values` (e.g. "wbc").
    value_name: str | None = None
    # Set when the code is a screening test WardGate has no test type for.
    unmapped_because: str | None = None
    # The code's role in the code table (`services/screening/domain/codes/loinc.csv`).
    role: str = codes.RESULT
    # Why a review code needs a person to look (from the table's note column).
    note: str = ""


def _test(row: codes.CodeRow) -> TestCode:
    unmapped = row.note if row.role == codes.UNMAPPED else None
    return TestCode(
        row.loinc, row.name, row.test_type, row.value_name, unmapped, row.role, row.note
    )


@cache
def screening_loinc() -> dict[str, TestCode]:
    """Every LOINC code of the code table (read once from its data file)."""
    return {code: _test(row) for code, row in codes.table().items()}


# Ask-at-order-entry questions that travel with ELR results; never a screening test.
AOE_LOINC: Final[frozenset[str]] = frozenset(
    {
        "95419-8",  # has symptoms related to condition of interest
        "65222-2",  # date and time of symptom onset
        "11368-8",  # illness or injury onset date and time
        "95417-2",  # first test for condition of interest
        "95418-0",  # employed in a healthcare setting
        "95421-4",  # resides in a congregate care setting
        "77974-4",  # patient was hospitalized
        "95420-6",  # admitted to ICU for condition of interest
        "82810-3",  # pregnancy status
        "30525-0",  # age
        "35659-2",  # age at specimen collection
        "76691-5",  # gender identity
        "85658-3",  # occupation
    }
)

INFECTION_RESULTS: Final = (ResultValue.NEGATIVE, ResultValue.POSITIVE, ResultValue.INDETERMINATE)
IMAGING_RESULTS: Final = (ResultValue.NORMAL, ResultValue.ABNORMAL)

# SNOMED CT qualifier values -> a result.
SNOMED_RESULTS: Final[dict[str, str]] = {
    "260415000": ResultValue.NEGATIVE,  # Not detected
    "260385009": ResultValue.NEGATIVE,  # Negative
    "131194007": ResultValue.NEGATIVE,  # Non-reactive
    "260373001": ResultValue.POSITIVE,  # Detected
    "10828004": ResultValue.POSITIVE,  # Positive
    "11214006": ResultValue.POSITIVE,  # Reactive
    "419984006": ResultValue.INDETERMINATE,  # Inconclusive
    "42425007": ResultValue.INDETERMINATE,  # Equivocal
    "455371000124106": ResultValue.INDETERMINATE,  # Invalid result
    "17621005": ResultValue.NORMAL,  # Normal
    "263654008": ResultValue.ABNORMAL,  # Abnormal
}

# The SNOMED code WardGate answers with (FHIR read-back) for each test kind and result.
SNOMED_FOR_RESULT: Final[dict[tuple[str, str], tuple[str, str]]] = {
    ("naat", ResultValue.NEGATIVE): ("260415000", "Not detected"),
    ("naat", ResultValue.POSITIVE): ("260373001", "Detected"),
    ("naat", ResultValue.INDETERMINATE): ("419984006", "Inconclusive"),
    ("antibody", ResultValue.NEGATIVE): ("260385009", "Negative"),
    ("antibody", ResultValue.POSITIVE): ("10828004", "Positive"),
    ("antibody", ResultValue.INDETERMINATE): ("419984006", "Inconclusive"),
    ("imaging", ResultValue.NORMAL): ("17621005", "Normal"),
    ("imaging", ResultValue.ABNORMAL): ("263654008", "Abnormal"),
}

# Result text as laboratories write it in OBX-5 (ST/TX) or valueString; exact, case-folded.
TEXT_RESULTS: Final[dict[str, str]] = {
    "not detected": ResultValue.NEGATIVE,
    "negative": ResultValue.NEGATIVE,
    "neg": ResultValue.NEGATIVE,
    "non-reactive": ResultValue.NEGATIVE,
    "nonreactive": ResultValue.NEGATIVE,
    "阴性": ResultValue.NEGATIVE,
    "未检出": ResultValue.NEGATIVE,
    "detected": ResultValue.POSITIVE,
    "positive": ResultValue.POSITIVE,
    "pos": ResultValue.POSITIVE,
    "reactive": ResultValue.POSITIVE,
    "阳性": ResultValue.POSITIVE,
    "检出": ResultValue.POSITIVE,
    "inconclusive": ResultValue.INDETERMINATE,
    "indeterminate": ResultValue.INDETERMINATE,
    "equivocal": ResultValue.INDETERMINATE,
    "invalid": ResultValue.INDETERMINATE,
    "normal": ResultValue.NORMAL,
    "abnormal": ResultValue.ABNORMAL,
    "正常": ResultValue.NORMAL,
    "异常": ResultValue.ABNORMAL,
}

# HL7 v2 table 0078 / FHIR v3 ObservationInterpretation codes -> result, per result family.
INTERPRETATION_INFECTION: Final[dict[str, str]] = {
    "NEG": ResultValue.NEGATIVE,
    "ND": ResultValue.NEGATIVE,
    "NR": ResultValue.NEGATIVE,
    "POS": ResultValue.POSITIVE,
    "DET": ResultValue.POSITIVE,
    "RR": ResultValue.POSITIVE,
    "IND": ResultValue.INDETERMINATE,
    "E": ResultValue.INDETERMINATE,
}
INTERPRETATION_IMAGING: Final[dict[str, str]] = {
    "N": ResultValue.NORMAL,
    "A": ResultValue.ABNORMAL,
    "AA": ResultValue.ABNORMAL,
    "H": ResultValue.ABNORMAL,
    "HH": ResultValue.ABNORMAL,
    "L": ResultValue.ABNORMAL,
    "LL": ResultValue.ABNORMAL,
}

# Result status: HL7 v2 OBX-11 (table 0085) and FHIR Observation.status -> WardGate status.
# CANNOT_OBTAIN voids an earlier version; with none, there is nothing to store.
CANNOT_OBTAIN: Final = "cannot_obtain"
HL7_RESULT_STATUS: Final[dict[str, str]] = {
    "F": ResultStatus.FINAL,
    "C": ResultStatus.CORRECTED,
    "P": ResultStatus.PRELIMINARY,
    "R": ResultStatus.PRELIMINARY,
    "S": ResultStatus.PRELIMINARY,
    "I": ResultStatus.PRELIMINARY,
    "D": ResultStatus.ENTERED_IN_ERROR,
    "W": ResultStatus.ENTERED_IN_ERROR,
    "X": CANNOT_OBTAIN,
}
FHIR_RESULT_STATUS: Final[dict[str, str]] = {
    "registered": ResultStatus.PRELIMINARY,
    "preliminary": ResultStatus.PRELIMINARY,
    "final": ResultStatus.FINAL,
    "amended": ResultStatus.CORRECTED,
    "corrected": ResultStatus.CORRECTED,
    "entered-in-error": ResultStatus.ENTERED_IN_ERROR,
    "cancelled": CANNOT_OBTAIN,
}
FHIR_STATUS_FOR: Final[dict[str, str]] = {
    ResultStatus.PRELIMINARY: "preliminary",
    ResultStatus.FINAL: "final",
    ResultStatus.CORRECTED: "corrected",
    ResultStatus.ENTERED_IN_ERROR: "entered-in-error",
}


def test_code(system: str, code: str) -> TestCode | None:
    """The screening meaning of an observation code, or None (never guessed)."""
    if system != LOINC:
        return None
    return screening_loinc().get(code.strip())


def is_question(system: str, code: str) -> bool:
    """True for an ask-at-order-entry question code."""
    return system == LOINC and code.strip() in AOE_LOINC


def coded_result(system: str, code: str) -> str | None:
    """The result a coded value stands for (SNOMED CT only), or None."""
    if system != SNOMED:
        return None
    return SNOMED_RESULTS.get(code.strip())


def text_result(text: str | None) -> str | None:
    """The result a laboratory's result text stands for, or None."""
    if not text:
        return None
    return TEXT_RESULTS.get(" ".join(text.split()).casefold())


def interpretation_result(results: tuple[str, ...], flag: str) -> str | None:
    """The result an interpretation flag stands for, within the test's results."""
    table = INTERPRETATION_IMAGING if ResultValue.NORMAL in results else INTERPRETATION_INFECTION
    return table.get(flag.strip().upper())


def test_kind(test_type: str) -> str:
    """Which family of result codes a test type answers with."""
    if test_type == TestType.NUCLEIC_ACID:
        return "naat"
    if test_type in (TestType.ANTIBODY_IGM, TestType.ANTIBODY_IGG):
        return "antibody"
    return "imaging"


# Display text that names SARS-CoV-2 (or a SARS-related coronavirus): a LOINC code missing
# from the code table but named so is held for review, never ignored.
_SARS_COV_2_NAMES: Final = (
    "sars-cov-2",
    "sars cov 2",
    "sars-cov2",
    "sars coronavirus 2",
    "sars-related",
    "sars-like",
    "covid",
    "2019-ncov",
    "2019 ncov",
    "新冠",
    "新型冠状",
)


def names_sars_cov_2(display: str) -> bool:
    """True when a code's display text names SARS-CoV-2 (or a SARS-related coronavirus)."""
    text = " ".join(display.split()).casefold()
    return any(name in text for name in _SARS_COV_2_NAMES)


def stored_loinc(system: str, code: str, test_type: str) -> str | None:
    """The LOINC code a result of `test_type` keeps: its own, when the table allows it."""
    if system != LOINC or code.strip() not in codes.stored_codes(test_type):
        return None
    return code.strip()


def parse_label(label: str | None) -> tuple[str, str] | None:
    """`94500-6 (LN)` -> ("LN", "94500-6"); None for no code."""
    if not label or not label.endswith(")") or " (" not in label:
        return None
    code, _, system = label[:-1].rpartition(" (")
    return system, code


def match_refusal(label: str | None, test_type: str) -> str | None:
    """Why an item coded `label` may not be matched to `test_type`, or None when it may.

    A local code may be matched to any test type (the nurse knows what it means); a LOINC code
    says what the test is, so it may only become the test type the code table gives it.
    """
    parsed = parse_label(label)
    if parsed is None or parsed[0] != LOINC:
        return None
    known = test_code(*parsed)
    if known is None or known.test_type is None or known.role in (codes.CT_VALUE, codes.COMPONENT):
        return f"the LOINC code {parsed[1]} is not a screening test: it cannot be {test_type}"
    if known.test_type != test_type:
        return f"the LOINC code {parsed[1]} is a {known.test_type} test, not {test_type}"
    return None
