"""Terminology and findings: which codes mean which test and result (table-driven, pure)."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from services.screening.feeds import terminology as t
from services.screening.feeds.findings import (
    HELD,
    RESULT,
    Code,
    FeedError,
    Group,
    Observed,
    interpret_group,
)
from services.screening.feeds.hl7.mapping import parse_timestamp

AT = datetime(2024, 1, 10, tzinfo=UTC)


@pytest.mark.parametrize(
    ("code", "test_type"),
    [
        ("94500-6", "nucleic_acid"),
        ("94309-2", "nucleic_acid"),
        ("94759-8", "nucleic_acid"),
        ("94531-1", "nucleic_acid"),
        ("94564-2", "antibody_igm"),
        ("94508-9", "antibody_igm"),
        ("94563-4", "antibody_igg"),
        ("94507-1", "antibody_igg"),
        ("24627-2", "chest_ct"),
        ("58410-2", "blood_routine"),
        ("94762-2", None),  # total antibody: known, but no WardGate test type
    ],
)
def test_loinc_codes(code, test_type):
    found = t.test_code(t.LOINC, code)
    assert found is not None and found.test_type == test_type


@pytest.mark.parametrize(
    ("system", "code"), [("LN", "12345-6"), ("L", "94500-6"), ("SCT", "94500-6")]
)
def test_unknown_or_non_loinc_codes_are_never_guessed(system, code):
    assert t.test_code(system, code) is None


@pytest.mark.parametrize(
    ("code", "result"),
    [
        ("260415000", "negative"),
        ("260385009", "negative"),
        ("260373001", "positive"),
        ("10828004", "positive"),
        ("419984006", "indeterminate"),
        ("42425007", "indeterminate"),
        ("455371000124106", "indeterminate"),
        ("17621005", "normal"),
        ("263654008", "abnormal"),
        ("123456789", None),
    ],
)
def test_snomed_results(code, result):
    assert t.coded_result(t.SNOMED, code) == result


@pytest.mark.parametrize(
    ("name", "system"),
    [
        ("LN", "LN"),
        ("http://loinc.org", "LN"),
        ("SCT", "SCT"),
        ("SNM", "SCT"),
        ("http://snomed.info/sct", "SCT"),
        ("HL70136", "L"),
        (None, "L"),
    ],
)
def test_coding_systems(name, system):
    assert t.coding_system(name) == system


@pytest.mark.parametrize(
    ("obx11", "status"),
    [
        ("F", "final"),
        ("C", "corrected"),
        ("P", "preliminary"),
        ("D", "entered_in_error"),
        ("W", "entered_in_error"),
        ("X", t.CANNOT_OBTAIN),
    ],
)
def test_obx11_statuses(obx11, status):
    assert t.HL7_RESULT_STATUS[obx11] == status


def _obs(code: str, *, value=(), text=None, number=None, unit=None, flags=(), status="final"):
    return Observed(
        result_id="R-1",
        codes=(Code(t.LOINC, code),),
        where="OBX[1]",
        value_codes=tuple(Code(t.SNOMED, v) for v in value),
        value_text=text,
        value_number=number,
        unit=unit,
        interpretation=tuple(flags),
        status=status,
        specimen_collected_at=AT,
    )


@pytest.mark.parametrize(
    ("observed", "kind", "test_type", "result"),
    [
        (_obs("94500-6", value=["260373001"]), RESULT, "nucleic_acid", "positive"),
        (_obs("94500-6", text="Not Detected"), RESULT, "nucleic_acid", "negative"),
        (_obs("94564-2", number=0.4, flags=["NEG"]), RESULT, "antibody_igm", "negative"),
        (_obs("24627-2", flags=["A"], text="ground-glass opacity"), RESULT, "chest_ct", "abnormal"),
        (_obs("24627-2", value=["263654008"]), RESULT, "chest_ct", "abnormal"),
        (_obs("94500-6", text="weakly something"), HELD, None, None),
        (_obs("94500-6", status="preliminary"), RESULT, "nucleic_acid", None),
        (_obs("99999-9", value=["260373001"]), HELD, None, "positive"),
    ],
)
def test_interpretation(observed, kind, test_type, result):
    [finding] = interpret_group(Group([observed]))
    assert finding.kind == kind
    if kind == RESULT:
        assert (finding.test_type, finding.result) == (test_type, result)
    else:
        assert finding.result == result


def test_questions_and_unknown_non_results_are_ignored():
    group = Group(
        [_obs("95419-8", text="Y"), _obs("30525-0", number=34), _obs("12345-6", text="x")]
    )
    assert interpret_group(group) == []
    assert group.ignored == ["12345-6 (LN)"]  # AOE questions are not even reported


def test_a_result_that_does_not_fit_its_test_is_an_error():
    with pytest.raises(FeedError, match="does not fit"):
        interpret_group(Group([_obs("94500-6", value=["17621005"])]))


def test_blood_count_components_make_one_result():
    parts = [
        _obs("6690-2", number=6.0, unit="10*9/L", flags=["N"]),
        _obs("731-0", number=0.7, unit="10*9/L", flags=["L"]),
    ]
    [finding] = interpret_group(Group(parts, panel_result_id="CBC-1"))
    assert (finding.result_id, finding.test_type, finding.result) == (
        "CBC-1",
        "blood_routine",
        "abnormal",
    )
    assert set(finding.values or {}) == {"wbc", "lymphocytes"}


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("20240110083000", "2024-01-10T00:30:00+00:00"),  # local (Asia/Shanghai)
        ("20240110083000+0000", "2024-01-10T08:30:00+00:00"),
        ("20240110083000.25-0500", "2024-01-10T13:30:00.250000+00:00"),
        ("202401100830", "2024-01-10T00:30:00+00:00"),
        ("20240110", "2024-01-09T16:00:00+00:00"),
    ],
)
def test_hl7_timestamps(value, expected):
    at = parse_timestamp(value, ZoneInfo("Asia/Shanghai"), "OBR-7")
    assert at is not None and at.astimezone(UTC).isoformat() == expected


@pytest.mark.parametrize("value", ["2024", "202401", "2024-01-10", "20241310", "20240230", "abc"])
def test_bad_hl7_timestamps(value):
    with pytest.raises(FeedError):
        parse_timestamp(value, ZoneInfo("Asia/Shanghai"), "OBR-7")
