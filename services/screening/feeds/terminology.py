"""Terminology as data: which codes mean which screening test, result and status.

Every table here is looked up exactly; an unknown code is never guessed. Systems are
normalised first (`LN`, `SCT`, `HL7` ...) so HL7 v2 coding-system names and FHIR system URIs
share one table.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

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
    """What one LOINC code stands for: a test type, a blood-routine value, or neither."""

    code: str
    display: str
    test_type: str | None = None
    # For blood-routine components: the name under `values` (e.g. "wbc").
    value_name: str | None = None
    # Set when the code is a screening test WardGate has no test type for.
    unmapped_because: str | None = None


def _tests(*codes: TestCode) -> dict[str, TestCode]:
    return {c.code: c for c in codes}


# Screening tests by LOINC code (SARS-CoV-2 NAAT, antibodies, chest CT, blood routine).
SCREENING_LOINC: Final[dict[str, TestCode]] = _tests(
    TestCode("94500-6", "SARS-CoV-2 RNA NAA+probe Ql (Resp)", "nucleic_acid"),
    TestCode("94309-2", "SARS-CoV-2 RNA NAA+probe Ql (Specimen)", "nucleic_acid"),
    TestCode("94759-8", "SARS-CoV-2 RNA NAA+probe Ql (Nasopharynx)", "nucleic_acid"),
    TestCode("94531-1", "SARS-CoV-2 RNA panel NAA+probe (Resp)", "nucleic_acid"),
    TestCode("94564-2", "SARS-CoV-2 IgM Ab Ql (Serum/Plasma, IA)", "antibody_igm"),
    TestCode("94508-9", "SARS-CoV-2 IgM Ab Ql (Serum/Plasma/Blood, rapid IA)", "antibody_igm"),
    TestCode("94563-4", "SARS-CoV-2 IgG Ab Ql (Serum/Plasma, IA)", "antibody_igg"),
    TestCode("94507-1", "SARS-CoV-2 IgG Ab Ql (Serum/Plasma/Blood, rapid IA)", "antibody_igg"),
    TestCode(
        "94762-2",
        "SARS-CoV-2 Ab Ql (total antibody)",
        unmapped_because="a total-antibody test is neither IgM nor IgG",
    ),
    TestCode("24627-2", "CT Chest", "chest_ct"),
    TestCode("58410-2", "CBC panel (Blood, automated)", "blood_routine"),
    TestCode("6690-2", "Leukocytes [#/volume] (Blood, automated)", "blood_routine", "wbc"),
    TestCode("731-0", "Lymphocytes [#/volume] (Blood)", "blood_routine", "lymphocytes"),
    TestCode("26474-7", "Lymphocytes/100 leukocytes (Blood)", "blood_routine", "lymphocytes_pct"),
)

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

INFECTION_RESULTS: Final = ("negative", "positive", "indeterminate")
IMAGING_RESULTS: Final = ("normal", "abnormal")

# SNOMED CT qualifier values -> a result.
SNOMED_RESULTS: Final[dict[str, str]] = {
    "260415000": "negative",  # Not detected
    "260385009": "negative",  # Negative
    "131194007": "negative",  # Non-reactive
    "260373001": "positive",  # Detected
    "10828004": "positive",  # Positive
    "11214006": "positive",  # Reactive
    "419984006": "indeterminate",  # Inconclusive
    "42425007": "indeterminate",  # Equivocal
    "455371000124106": "indeterminate",  # Invalid result
    "17621005": "normal",  # Normal
    "263654008": "abnormal",  # Abnormal
}

# The SNOMED code WardGate answers with (FHIR read-back) for each test kind and result.
SNOMED_FOR_RESULT: Final[dict[tuple[str, str], tuple[str, str]]] = {
    ("naat", "negative"): ("260415000", "Not detected"),
    ("naat", "positive"): ("260373001", "Detected"),
    ("naat", "indeterminate"): ("419984006", "Inconclusive"),
    ("antibody", "negative"): ("260385009", "Negative"),
    ("antibody", "positive"): ("10828004", "Positive"),
    ("antibody", "indeterminate"): ("419984006", "Inconclusive"),
    ("imaging", "normal"): ("17621005", "Normal"),
    ("imaging", "abnormal"): ("263654008", "Abnormal"),
}

# Result text as laboratories write it in OBX-5 (ST/TX) or valueString; exact, case-folded.
TEXT_RESULTS: Final[dict[str, str]] = {
    "not detected": "negative",
    "negative": "negative",
    "neg": "negative",
    "non-reactive": "negative",
    "nonreactive": "negative",
    "阴性": "negative",
    "未检出": "negative",
    "detected": "positive",
    "positive": "positive",
    "pos": "positive",
    "reactive": "positive",
    "阳性": "positive",
    "检出": "positive",
    "inconclusive": "indeterminate",
    "indeterminate": "indeterminate",
    "equivocal": "indeterminate",
    "invalid": "indeterminate",
    "normal": "normal",
    "abnormal": "abnormal",
    "正常": "normal",
    "异常": "abnormal",
}

# HL7 v2 table 0078 / FHIR v3 ObservationInterpretation codes -> result, per result family.
INTERPRETATION_INFECTION: Final[dict[str, str]] = {
    "NEG": "negative",
    "ND": "negative",
    "NR": "negative",
    "POS": "positive",
    "DET": "positive",
    "RR": "positive",
    "IND": "indeterminate",
    "E": "indeterminate",
}
INTERPRETATION_IMAGING: Final[dict[str, str]] = {
    "N": "normal",
    "A": "abnormal",
    "AA": "abnormal",
    "H": "abnormal",
    "HH": "abnormal",
    "L": "abnormal",
    "LL": "abnormal",
}

# Result status: HL7 v2 OBX-11 (table 0085) and FHIR Observation.status -> WardGate status.
# CANNOT_OBTAIN voids an earlier version; with none, there is nothing to store.
CANNOT_OBTAIN: Final = "cannot_obtain"
HL7_RESULT_STATUS: Final[dict[str, str]] = {
    "F": "final",
    "C": "corrected",
    "P": "preliminary",
    "R": "preliminary",
    "S": "preliminary",
    "I": "preliminary",
    "D": "entered_in_error",
    "W": "entered_in_error",
    "X": CANNOT_OBTAIN,
}
FHIR_RESULT_STATUS: Final[dict[str, str]] = {
    "registered": "preliminary",
    "preliminary": "preliminary",
    "final": "final",
    "amended": "corrected",
    "corrected": "corrected",
    "entered-in-error": "entered_in_error",
    "cancelled": CANNOT_OBTAIN,
}
FHIR_STATUS_FOR: Final[dict[str, str]] = {
    "preliminary": "preliminary",
    "final": "final",
    "corrected": "corrected",
    "entered_in_error": "entered-in-error",
}


def test_code(system: str, code: str) -> TestCode | None:
    """The screening meaning of an observation code, or None (never guessed)."""
    if system != LOINC:
        return None
    return SCREENING_LOINC.get(code.strip())


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
    table = INTERPRETATION_IMAGING if "normal" in results else INTERPRETATION_INFECTION
    return table.get(flag.strip().upper())


def test_kind(test_type: str) -> str:
    """Which family of result codes a test type answers with."""
    if test_type == "nucleic_acid":
        return "naat"
    if test_type in ("antibody_igm", "antibody_igg"):
        return "antibody"
    return "imaging"
