"""Gene targets, Ct values and other tests: what is a result, what is detail, what is ignored.

The rule (pure, table-driven): when an overall SARS-CoV-2 result is in the group, gene targets,
Ct values and review codes are its detail (not stored, not held); a gene target that is the
only result of its group is the result, stored under its own code; LOINC codes of other tests
are ignored; local codes, unknown SARS-CoV-2 codes and unreadable values are held. Then the
same through the HTTP API, HL7 v2 and FHIR, on both databases.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from services.screening.feeds import terminology as t
from services.screening.feeds.findings import HELD, RESULT, Code, Group, Observed, interpret_group
from tests.feeds.conftest import msa, naat_oru

AT = datetime(2024, 1, 10, tzinfo=UTC)
DETECTED, NOT_DETECTED = "260373001", "260415000"


def _obs(code: str, value: str | None = DETECTED, *, number=None, display="", system=t.LOINC):
    return Observed(
        result_id=f"R-{code}",
        codes=(Code(system, code, display),),
        where=f"OBX[{code}]",
        value_codes=(Code(t.SNOMED, value),) if value else (),
        value_number=number,
        status="final",
        specimen_collected_at=AT,
    )


def _ct(code: str, ct: float = 24.1):
    return _obs(code, None, number=ct)


# (observations of one group) -> (stored codes, held codes, detail codes, ignored codes)
RULES = [
    pytest.param([_obs("94500-6")], ["94500-6"], [], [], [], id="overall alone"),
    pytest.param(
        [_obs("94500-6"), _obs("94533-7"), _obs("94534-5"), _ct("94510-5")],
        ["94500-6"],
        [],
        ["94533-7", "94534-5", "94510-5"],
        [],
        id="overall with gene targets and a Ct value: detail",
    ),
    pytest.param(
        [_obs("94307-6"), _obs("94308-4"), _obs("94309-2", NOT_DETECTED)],
        ["94309-2"],
        [],
        ["94307-6", "94308-4"],
        [],
        id="N1 N2 beside 94309-2",
    ),
    pytest.param([_obs("94533-7")], ["94533-7"], [], [], [], id="N gene alone is the result"),
    pytest.param(
        [_obs("94534-5"), _ct("94646-7")],
        ["94534-5"],
        [],
        ["94646-7"],
        [],
        id="RdRp alone with its Ct: the result",
    ),
    pytest.param(
        [_obs("94307-6"), _obs("94308-4", NOT_DETECTED)],
        [],
        ["94307-6", "94308-4"],
        [],
        [],
        id="several targets without an overall result: held, never combined",
    ),
    pytest.param([_ct("94510-5")], [], [], ["94510-5"], [], id="a Ct value is never a result"),
    pytest.param([_obs("94502-2")], [], ["94502-2"], [], [], id="SARS-related alone: review"),
    pytest.param(
        [_obs("94500-6", NOT_DETECTED), _obs("94502-2")],
        ["94500-6"],
        [],
        ["94502-2"],
        [],
        id="SARS-related beside a SARS-CoV-2 result: detail",
    ),
    pytest.param(
        [_obs("95406-5"), _obs("85477-8"), _obs("85479-4"), _obs("94558-4", NOT_DETECTED)],
        ["95406-5"],
        [],
        [],
        ["85477-8", "85479-4", "94558-4"],
        id="nose NAAT with flu, RSV and antigen: those ignored",
    ),
    pytest.param(
        [_obs("5196-1", display="Hepatitis B surface Antigen II (HBsII)")],
        [],
        [],
        [],
        ["5196-1"],
        id="another test by its display: ignored",
    ),
    pytest.param(
        [_obs("94819-0", display="SARS-CoV-2 (COVID-19) RNA [Log#/volume] (viral load)")],
        [],
        ["94819-0"],
        [],
        [],
        id="an unknown LOINC code naming SARS-CoV-2 with a result: held",
    ),
    pytest.param([_obs("99999-9")], [], ["99999-9"], [], [], id="unnamed unknown LOINC: held"),
    pytest.param(
        [_obs("COVPCR", system=t.LOCAL, display="RNase P")],
        [],
        ["COVPCR"],
        [],
        [],
        id="local code with a result: held",
    ),
]


@pytest.mark.parametrize(("observed", "stored", "held", "detail", "ignored"), RULES)
def test_the_gene_target_rule(observed, stored, held, detail, ignored):
    group = Group(observed)
    findings = interpret_group(group)
    assert [f.code.code for f in findings if f.kind == RESULT and f.code] == stored
    assert [f.code.code for f in findings if f.kind == HELD and f.code] == held
    assert [c.split(" ")[0] for c in group.details] == detail
    assert [c.split(" ")[0] for c in group.ignored] == ignored
    for finding in findings:
        if finding.kind == RESULT:
            assert finding.test_type == "nucleic_acid"
            # Stored under the code it was sent as, never a substituted 94500-6.
            assert finding.content("P")["loinc"] == finding.code.code


def test_an_unreadable_sars_cov_2_value_is_held():
    odd = _obs("94533-7", None)
    odd.value_text = "weakly something"
    [finding] = interpret_group(Group([odd]))
    assert finding.kind == HELD and "94533-7" in finding.detail


# --- the HTTP API: HL7 v2 ------------------------------------------------------------------

_TAIL = "||||||F|||20240110080000+0800|||||20240110091500+0800"


def _oru(mrn: str, accession: str, *obx: tuple[str, str, str]) -> str:
    """The NAAT sample with its OBX segments replaced by `(type, OBX-3, OBX-5)` triples."""
    segments = naat_oru(mrn, accession=accession).split("\r")
    head = [s for s in segments if s[:3] in ("MSH", "SFT", "PID", "ORC", "OBR")]
    spm = [s for s in segments if s.startswith("SPM")]
    lines = [
        f"OBX|{n}|{kind}|{code}||{value}{_TAIL}" for n, (kind, code, value) in enumerate(obx, 1)
    ]
    return "\r".join(head + lines + spm)


_N = "94533-7^SARS-CoV-2 (COVID-19) N gene [Presence] in Respiratory specimen by NAA^LN"
_RDRP = "94534-5^SARS-CoV-2 (COVID-19) RdRp gene [Presence] in Respiratory specimen^LN"
_N_CT = "94510-5^SARS-CoV-2 (COVID-19) N gene [Cycle Threshold #] in Specimen^LN"
_OVERALL = "94309-2^SARS-CoV-2 (COVID-19) RNA [Presence] in Specimen by NAA^LN"
_FLU_A = "85477-8^^LN"  # no display, as some senders do: the table knows it
_ANTIGEN = "94558-4^SARS-CoV-2 (COVID-19) Ag [Presence] in Respiratory specimen^LN"
_RNASE_P = "RNP^RNase P (human control)^L"


def test_hl7_gene_targets_beside_the_overall_result_are_detail(feeds):
    feeds.person("GT1")
    message = _oru(
        "GT1",
        "ACC-GT1",
        ("CWE", _N, "260373001^Detected^SCT"),
        ("CWE", _RDRP, "260373001^Detected^SCT"),
        ("NM", _N_CT, "23.5"),
        ("CWE", _OVERALL, "260373001^Detected^SCT"),
    )
    [ack] = msa(feeds.hl7(message).text)
    assert ack[1] == "AA" and ack[3].startswith("stored 1")
    [stored] = feeds.results("GT1")
    assert (stored["external_id"], stored["result"], stored["loinc"]) == (
        "ACC-GT1-4",
        "positive",
        "94309-2",  # its own code, not the default 94500-6
    )
    assert feeds.inbox(state="all") == []


def test_hl7_a_gene_target_alone_is_the_result_under_its_own_code(feeds):
    feeds.person("GT2")
    message = _oru("GT2", "ACC-GT2", ("CWE", _RDRP, "10828004^Positive^SCT"))
    assert msa(feeds.hl7(message).text)[0][1] == "AA"
    [stored] = feeds.results("GT2")
    assert (stored["test_type"], stored["result"], stored["loinc"]) == (
        "nucleic_acid",
        "positive",
        "94534-5",
    )


def test_hl7_other_tests_are_ignored_not_held(feeds):
    feeds.person("GT3")
    message = _oru(
        "GT3",
        "ACC-GT3",
        ("CWE", _FLU_A, "260373001^Detected^SCT"),
        ("CWE", _ANTIGEN, "260373001^Detected^SCT"),
        ("CWE", "95406-5^SARS-CoV-2 (COVID-19) RNA [Presence] in Nose^LN", "260415000^^SCT"),
    )
    assert msa(feeds.hl7(message).text)[0][1] == "AA"
    [stored] = feeds.results("GT3")
    assert (stored["loinc"], stored["result"]) == ("95406-5", "negative")
    assert feeds.inbox(state="all") == []  # flu A and the antigen test made no inbox item


def test_hl7_local_codes_are_still_held(feeds):
    feeds.person("GT4")
    message = _oru("GT4", "ACC-GT4", ("CWE", _RNASE_P, "260373001^Detected^SCT"))
    assert msa(feeds.hl7(message).text)[0][3] == "held in inbox: unmapped code"
    [item] = feeds.inbox(reason="unmapped_code")
    assert item["code"] == "RNP (L)"


def test_hl7_only_other_tests_is_not_a_silent_success(feeds):
    feeds.person("GT5")
    message = _oru("GT5", "ACC-GT5", ("CWE", _ANTIGEN, "260373001^Detected^SCT"))
    answer = feeds.hl7(message).text
    assert feeds.results("GT5") == [] and feeds.inbox(state="all") == []
    assert "94558-4" in answer  # the ACK names what was ignored


# --- the HTTP API: FHIR ------------------------------------------------------------------------


def _coded(system: str, code: str) -> dict:
    return {"coding": [{"system": system, "code": code}]}  # no display, as ReportStream sends


def _report(mrn: str, report_id: str, *members: tuple[str, str, str]) -> dict:
    """A collection Bundle: one DiagnosticReport with contained Observations (id, LOINC, SCT)."""
    contained = [
        {
            "resourceType": "Observation",
            "id": oid,
            "status": "final",
            "code": _coded("http://loinc.org", loinc),
            "valueCodeableConcept": _coded("http://snomed.info/sct", value),
        }
        for oid, loinc, value in members
    ]
    report = {
        "resourceType": "DiagnosticReport",
        "identifier": [{"value": report_id}],
        "status": "final",
        "code": _coded("http://loinc.org", "95422-2"),
        "subject": {"identifier": {"value": mrn}},
        "effectiveDateTime": "2024-01-10T07:30:00+08:00",
        "issued": "2024-01-10T10:00:00+08:00",
        "contained": contained,
        "result": [{"reference": f"#{oid}"} for oid, _, _ in members],
    }
    return {"resourceType": "Bundle", "type": "collection", "entry": [{"resource": report}]}


def test_fhir_multiplex_with_an_n_gene_alone_stores_it_and_ignores_flu(feeds):
    feeds.person("GF1")
    doc = _report(
        "GF1",
        "DR-GF1",
        ("flub", "92141-1", "455371000124106"),
        ("flua", "92142-9", NOT_DETECTED),
        ("ngene", "94533-7", DETECTED),
    )
    feeds.fhir("/fhir", doc, expect=200)
    [stored] = feeds.results("GF1")
    assert (stored["external_id"], stored["result"], stored["loinc"]) == (
        "DR-GF1-ngene",
        "positive",
        "94533-7",
    )
    assert feeds.inbox(state="all") == []


def test_fhir_overall_with_targets_and_sars_related_is_one_result(feeds):
    feeds.person("GF2")
    doc = _report(
        "GF2",
        "DR-GF2",
        ("n1", "94307-6", NOT_DETECTED),
        ("n2", "94308-4", NOT_DETECTED),
        ("related", "94502-2", NOT_DETECTED),
        ("overall", "94500-6", NOT_DETECTED),
    )
    feeds.fhir("/fhir", doc, expect=200)
    [stored] = feeds.results("GF2")
    assert (stored["external_id"], stored["result"]) == ("DR-GF2-overall", "negative")
    assert feeds.inbox(state="all") == []


def test_fhir_sars_related_alone_is_held_for_review(feeds):
    feeds.person("GF3")
    doc = _report("GF3", "DR-GF3", ("related", "94502-2", DETECTED))
    feeds.fhir("/fhir", doc, expect=200)
    assert feeds.results("GF3") == []
    [item] = feeds.inbox(reason="unmapped_code")
    assert item["code"] == "94502-2 (LN)" and "not SARS-CoV-2 specific" in item["detail"]
