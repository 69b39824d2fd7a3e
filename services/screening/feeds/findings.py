"""What a group of observations means: screening results, things to hold, things to ignore.

Both feeds (HL7 v2 OBX segments, FHIR Observations) are first turned into `Observed` facts;
this module then decides, from the terminology tables alone, which are screening results.
Pure: no web framework, no database.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Final

from services.screening.domain import codes
from services.screening.feeds import terminology as t
from shared.vocabulary import ResultStatus, ResultValue, TestType

RESULT: Final = "result"
HELD: Final = "held"
UNMAPPED_CODE: Final = "unmapped_code"


class FeedError(Exception):
    """A content error in one message or resource: nothing of it is stored."""

    def __init__(self, detail: str, *, where: str = "", code: str = "invalid") -> None:
        super().__init__(detail)
        self.detail = detail
        self.where = where
        # HL7 table 0357 error code (ERR-3) or FHIR issue type, chosen by the caller's feed.
        self.code = code


@dataclass(frozen=True)
class Code:
    """One coding: a normalised system name, the code and its display text."""

    system: str
    code: str
    display: str = ""

    def label(self) -> str:
        """`94500-6 (LN)`: how analysts see a code in answers and the inbox."""
        return f"{self.code} ({self.system})"


@dataclass
class Observed:
    """One observation as sent: an OBX segment or a FHIR Observation (or component)."""

    result_id: str
    codes: tuple[Code, ...]
    where: str
    value_codes: tuple[Code, ...] = ()
    value_text: str | None = None
    value_number: float | None = None
    unit: str | None = None
    interpretation: tuple[str, ...] = ()
    status: str | None = None
    raw_status: str = ""
    question: bool = False
    specimen_collected_at: datetime | None = None
    resulted_at: datetime | None = None
    performer: str | None = None
    note: str | None = None
    # The specimen's identifiers as sent (HL7 SPM-2, FHIR Observation.specimen): one naming
    # a known pool makes the result a pool result.
    specimen_ids: tuple[str, ...] = ()

    def has_value(self) -> bool:
        """True when the observation carries any value at all."""
        return bool(self.value_codes or self.value_text or self.value_number is not None)


@dataclass
class Finding:
    """One screening result to store, or one observation to hold in the inbox."""

    kind: str
    result_id: str
    where: str
    test_type: str | None = None
    result: str | None = None
    status: str = ResultStatus.FINAL
    specimen_collected_at: datetime | None = None
    resulted_at: datetime | None = None
    values: dict[str, Any] | None = None
    performer: str | None = None
    note: str | None = None
    code: Code | None = None
    reason: str | None = None
    detail: str = ""
    specimen_ids: tuple[str, ...] = ()

    def content(self, person_external_id: str) -> dict[str, Any]:
        """The result as `POST /results` takes it (timestamps as ISO text, its own LOINC)."""
        own: dict[str, Any] = {}
        if self.test_type is not None and self.code is not None:
            loinc = t.stored_loinc(self.code.system, self.code.code, self.test_type)
            own = {"loinc": loinc} if loinc is not None else {}
        return {
            **own,
            "external_id": self.result_id,
            "person_external_id": person_external_id,
            "test_type": self.test_type,
            "result": self.result,
            "status": self.status,
            "specimen_collected_at": _iso(self.specimen_collected_at),
            "resulted_at": _iso(self.resulted_at),
            "values": self.values,
            "performer": self.performer,
            "note": self.note,
        }


def _iso(at: datetime | None) -> str | None:
    return at.isoformat() if at is not None else None


@dataclass
class Group:
    """Observations reported together (one OBR order, one DiagnosticReport, one panel)."""

    observations: list[Observed]
    specimen_collected_at: datetime | None = None
    resulted_at: datetime | None = None
    panel_result_id: str | None = None
    panel_interpretation: tuple[str, ...] = ()
    # Codes that are not results: other tests, and the unknown that do not look like results.
    ignored: list[str] = field(default_factory=list)
    # Codes taken as detail of the group's result (gene targets, Ct values): not stored apart.
    details: list[str] = field(default_factory=list)
    # Units (FHIR Bundle entries) that already report members this group also names.
    elsewhere: list[int] = field(default_factory=list)


def _test_of(obs: Observed) -> t.TestCode | None:
    for code in obs.codes:
        found = t.test_code(code.system, code.code)
        if found is not None:
            return found
    return None


def _value_result(obs: Observed, allowed: tuple[str, ...]) -> str | None:
    for coded in obs.value_codes:
        result = t.coded_result(coded.system, coded.code)
        if result is not None:
            return _fits(result, allowed, obs)
    text = t.text_result(obs.value_text)
    if text is None:
        for coded in obs.value_codes:
            text = text or t.text_result(coded.display)
    if text is not None:
        return _fits(text, allowed, obs)
    for flag in obs.interpretation:
        result = t.interpretation_result(allowed, flag)
        if result is not None:
            return result
    return None


def _fits(result: str, allowed: tuple[str, ...], obs: Observed) -> str:
    if result not in allowed:
        raise FeedError(
            f"the result '{result}' does not fit the test {obs.codes[0].label()}", where=obs.where
        )
    return result


def _looks_like_result(obs: Observed) -> bool:
    coded = any(t.coded_result(c.system, c.code) for c in obs.value_codes)
    return coded or t.text_result(obs.value_text) is not None


def _times(obs: Observed, group: Group) -> tuple[datetime, datetime | None]:
    specimen = obs.specimen_collected_at or group.specimen_collected_at
    if specimen is None:
        raise FeedError("no specimen collection time", where=obs.where, code="required")
    return specimen, obs.resulted_at or group.resulted_at


def _status(obs: Observed) -> str:
    if obs.status is None:
        raise FeedError(f"result status '{obs.raw_status}' is not known", where=obs.where)
    return obs.status


def _held(obs: Observed, detail: str, code: Code | None) -> Finding:
    result = None
    for coded in obs.value_codes:
        result = result or t.coded_result(coded.system, coded.code)
    return Finding(
        HELD,
        obs.result_id,
        obs.where,
        result=result or t.text_result(obs.value_text),
        status=obs.status or ResultStatus.FINAL,
        specimen_collected_at=obs.specimen_collected_at,
        resulted_at=obs.resulted_at,
        performer=obs.performer,
        note=obs.note,
        code=code,
        reason=UNMAPPED_CODE,
        detail=detail,
    )


def _single(obs: Observed, test: t.TestCode, group: Group) -> Finding:
    assert test.test_type is not None
    status = _status(obs)
    specimen, resulted = _times(obs, group)
    allowed = t.IMAGING_RESULTS if test.test_type == TestType.CHEST_CT else t.INFECTION_RESULTS
    result = _value_result(obs, allowed)
    code = _code(test)
    if result is None and obs.has_value():
        return _held(obs, f"the result value of {code.label()} is not a known code", code)
    return Finding(
        RESULT,
        obs.result_id,
        obs.where,
        test_type=test.test_type,
        result=result,
        status=status,
        specimen_collected_at=specimen,
        resulted_at=resulted,
        performer=obs.performer,
        note=obs.note,
        code=code,
        specimen_ids=obs.specimen_ids,
    )


def _panel_status(statuses: Sequence[str]) -> str:
    for candidate in (ResultStatus.PRELIMINARY, ResultStatus.CORRECTED):
        if candidate in statuses:
            return candidate
    if statuses and all(s == statuses[0] for s in statuses):
        return statuses[0]
    return ResultStatus.FINAL


def _blood_routine(parts: list[tuple[Observed, t.TestCode]], group: Group) -> Finding:
    values: dict[str, Any] = {}
    flags: list[str] = list(group.panel_interpretation)
    for obs, test in parts:
        if obs.value_number is None or not obs.unit:
            raise FeedError(f"{test.code} needs a numeric value with its unit", where=obs.where)
        values[str(test.value_name)] = {"value": obs.value_number, "unit": obs.unit}
        flags.extend(obs.interpretation)
    readings = {t.interpretation_result(t.IMAGING_RESULTS, f) for f in flags if f.strip()}
    if None in readings:
        raise FeedError("an abnormal flag of the blood count is not known", where=parts[0][0].where)
    first = parts[0][0]
    specimen, resulted = _times(first, group)
    return Finding(
        RESULT,
        group.panel_result_id or first.result_id,
        first.where,
        test_type=TestType.BLOOD_ROUTINE,
        result=ResultValue.ABNORMAL if ResultValue.ABNORMAL in readings else ResultValue.NORMAL,
        status=_panel_status([_status(o) for o, _ in parts]),
        specimen_collected_at=specimen,
        resulted_at=resulted,
        values=values,
        performer=first.performer,
        code=Code(t.LOINC, "58410-2", "CBC panel"),
    )


def _unknown(obs: Observed, group: Group, findings: list[Finding]) -> None:
    """A code missing from the table: hold what may be a SARS-CoV-2 result, ignore the rest."""
    first = obs.codes[0] if obs.codes else None
    loinc = [c for c in obs.codes if c.system == t.LOINC]
    # A LOINC code names its test: one whose display names another test is that other test.
    # Unnamed, or named SARS-CoV-2, it may be a result WardGate should see: held, never guessed.
    other = bool(loinc) and all(c.display and not t.names_sars_cov_2(c.display) for c in loinc)
    if _looks_like_result(obs) and not other:
        label = first.label() if first else "(no code)"
        findings.append(_held(obs, f"the test code {label} is not mapped", first))
    else:
        group.ignored.extend(c.label() for c in obs.codes[:1])


def _code(test: t.TestCode) -> Code:
    return Code(t.LOINC, test.code, test.display)


def _nucleic_acid(naat: list[tuple[Observed, t.TestCode]], group: Group) -> list[Finding]:
    """The gene-target rule: an overall result makes targets, Ct values and review codes detail.

    Without an overall result, a single gene target is the result; several are held (how
    targets combine is the assay's rule, not WardGate's); a code that is not SARS-CoV-2
    specific is held for review. A Ct value is never a result.
    """
    by_role: dict[str, list[tuple[Observed, t.TestCode]]] = {}
    for obs, test in naat:
        by_role.setdefault(test.role, []).append((obs, test))
    overall = by_role.get(codes.RESULT, [])
    targets = by_role.get(codes.GENE_TARGET, [])
    review = by_role.get(codes.REVIEW, [])
    detail = by_role.get(codes.CT_VALUE, [])
    if not overall and len(targets) == 1:
        overall, targets = targets, []
    findings = [_single(obs, test, group) for obs, test in overall]
    if overall:
        detail = detail + targets + review
    else:
        for obs, test in targets:
            why = "a gene target without an overall result (several targets): needs review"
            findings.append(_held(obs, f"{_code(test).label()}: {why}", _code(test)))
        for obs, test in review:
            why = f"{test.note or 'not SARS-CoV-2 specific'}: needs review"
            findings.append(_held(obs, f"{_code(test).label()}: {why}", _code(test)))
    taken = {id(obs) for obs, _ in detail}
    group.details.extend(_code(test).label() for obs, test in naat if id(obs) in taken)
    return findings


def interpret_group(group: Group) -> list[Finding]:
    """The screening results and inbox holds of one group; the rest is ignored."""
    findings: list[Finding] = []
    blood: list[tuple[Observed, t.TestCode]] = []
    naat: list[tuple[Observed, t.TestCode]] = []
    for obs in group.observations:
        test = _test_of(obs)
        if obs.question or any(t.is_question(c.system, c.code) for c in obs.codes):
            continue
        if test is None:
            _unknown(obs, group, findings)
        elif test.role == codes.OTHER_TEST:
            group.ignored.append(_code(test).label())
        elif test.unmapped_because:
            code = _code(test)
            findings.append(_held(obs, f"{code.label()}: {test.unmapped_because}", code))
        elif test.value_name is not None:
            blood.append((obs, test))
        elif test.test_type == TestType.BLOOD_ROUTINE:
            group.panel_interpretation += obs.interpretation
            group.panel_result_id = group.panel_result_id or obs.result_id
        elif test.test_type == TestType.NUCLEIC_ACID:
            naat.append((obs, test))
        else:
            findings.append(_single(obs, test, group))
    findings.extend(_nucleic_acid(naat, group))
    if blood:
        findings.append(_blood_routine(blood, group))
    return findings
