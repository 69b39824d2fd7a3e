"""The screening code table is data with its source and version; every row is checked (pure)."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from services.screening.domain import codes
from services.screening.domain.catalogue import result_problems
from services.screening.feeds import terminology as t

ROOT = Path(__file__).resolve().parents[2]
_HEAD = "loinc,role,test_type,value_name,long_common_name,note\n"


def test_the_table_names_its_source_and_versions():
    facts = codes.source()
    assert facts["table-version"] == "2026-12-07"
    assert facts["loinc-version"].startswith("2.71")
    assert "LIVD" in facts["livd-source"] and "sars-cov-2-livd-codes" in facts["livd-source"]


def test_the_table_is_packaged_with_the_code():
    package_data = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    assert "*.csv" in package_data["package-data"]["*"]


def test_the_table_covers_the_livd_nucleic_acid_presence_codes():
    naat = {c for c, r in codes.table().items() if r.test_type == "nucleic_acid"}
    presence = {c for c in naat if codes.table()[c].role in (codes.RESULT, codes.GENE_TARGET)}
    assert len(presence) >= 25


@pytest.mark.parametrize(
    ("code", "role", "test_type"),
    [
        ("94500-6", codes.RESULT, "nucleic_acid"),
        ("94309-2", codes.RESULT, "nucleic_acid"),
        ("94759-8", codes.RESULT, "nucleic_acid"),
        ("94531-1", codes.RESULT, "nucleic_acid"),  # the panel
        ("95406-5", codes.RESULT, "nucleic_acid"),  # nose
        ("94565-9", codes.RESULT, "nucleic_acid"),  # non-probe (BioFire)
        ("94845-5", codes.RESULT, "nucleic_acid"),  # saliva
        ("94533-7", codes.GENE_TARGET, "nucleic_acid"),  # N gene
        ("94534-5", codes.GENE_TARGET, "nucleic_acid"),  # RdRp gene
        ("94307-6", codes.GENE_TARGET, "nucleic_acid"),  # N1
        ("94308-4", codes.GENE_TARGET, "nucleic_acid"),  # N2
        ("94314-2", codes.GENE_TARGET, "nucleic_acid"),  # RdRp, unspecified specimen
        ("94316-7", codes.GENE_TARGET, "nucleic_acid"),  # N gene, unspecified specimen
        ("95409-9", codes.GENE_TARGET, "nucleic_acid"),  # N gene, nose
        ("94510-5", codes.CT_VALUE, "nucleic_acid"),  # N gene [Cycle Threshold #]
        ("94311-8", codes.CT_VALUE, "nucleic_acid"),  # N1 Ct
        ("94502-2", codes.REVIEW, "nucleic_acid"),  # SARS-related coronavirus
        ("95423-0", codes.REVIEW, "nucleic_acid"),  # flu A/B + SARS-CoV-2 "identified"
        ("94762-2", codes.UNMAPPED, None),  # total antibody
        ("94558-4", codes.OTHER_TEST, None),  # antigen
        ("97097-0", codes.OTHER_TEST, None),  # antigen
        ("95209-3", codes.OTHER_TEST, None),  # SARS-CoV + SARS-CoV-2 antigen
        ("85477-8", codes.OTHER_TEST, None),  # influenza A RNA
        ("85479-4", codes.OTHER_TEST, None),  # RSV RNA
        ("100434-0", codes.OTHER_TEST, None),  # orthopoxvirus (mpox)
    ],
)
def test_roles(code, role, test_type):
    row = codes.table()[code]
    assert (row.role, row.test_type) == (role, test_type)
    assert row.name  # every code carries its LOINC long common name


def test_no_antigen_or_ct_value_is_a_nucleic_acid_result():
    for code, row in codes.table().items():
        if " Ag " in row.name or "Ag panel" in row.name:
            assert row.role == codes.OTHER_TEST, code
        if "[Cycle Threshold #]" in row.name:
            assert row.role == codes.CT_VALUE, code
            assert code not in codes.stored_codes("nucleic_acid")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("loinc,role\n", "columns must be"),
        (_HEAD, None),
        (_HEAD + "9450-06,result,nucleic_acid,,x,\n", "not a LOINC code"),
        (_HEAD + "94500-6,overall,nucleic_acid,,x,\n", "unknown role"),
        (_HEAD + "94500-6,result,antigen,,x,\n", "unknown test type"),
        (_HEAD + "94500-6,result,,,x,\n", "do not go together"),
        (_HEAD + "94558-4,other_test,nucleic_acid,,x,\n", "do not go together"),
        (_HEAD + "6690-2,component,blood_routine,,x,\n", "value_name"),
        (_HEAD + "94500-6,result,nucleic_acid,,x,\n94500-6,result,nucleic_acid,,x,\n", "twice"),
    ],
)
def test_a_malformed_table_is_refused_naming_the_line(text, message):
    if message is None:
        assert codes.parse_table("# a: b\n" + text)[1] == {}
        return
    with pytest.raises(ValueError, match=message):
        codes.parse_table("# table-version: x\n" + text)


@pytest.mark.parametrize(
    ("test_type", "loinc", "refused"),
    [
        ("nucleic_acid", "94500-6", False),
        ("nucleic_acid", "94309-2", False),
        ("nucleic_acid", "94533-7", False),  # a gene target stored as the result keeps its code
        ("nucleic_acid", "94510-5", True),  # a Ct value is never a stored result's code
        ("nucleic_acid", "94558-4", True),  # antigen
        ("nucleic_acid", "94564-2", True),  # IgM
        ("antibody_igm", "94508-9", False),
        ("antibody_igg", "94500-6", True),
        ("chest_ct", "24627-2", False),
    ],
)
def test_stored_results_keep_codes_of_their_own_test_type_only(test_type, loinc, refused):
    result = "normal" if test_type == "chest_ct" else "negative"
    problems = result_problems(test_type, result, "final", loinc, False)
    assert bool(problems) == refused


@pytest.mark.parametrize(
    ("label", "test_type", "refused"),
    [
        ("COVPCR (L)", "nucleic_acid", None),  # a local code: the nurse says what it is
        ("COVPCR (L)", "chest_ct", None),
        (None, "nucleic_acid", None),
        ("94500-6 (LN)", "nucleic_acid", None),
        ("94533-7 (LN)", "nucleic_acid", None),
        ("94502-2 (LN)", "nucleic_acid", None),  # reviewed: SARS-related, taken as NAAT
        ("94500-6 (LN)", "antibody_igm", "is a nucleic_acid test, not antibody_igm"),
        ("94558-4 (LN)", "nucleic_acid", "is not a screening test"),  # the antigen hole
        ("94762-2 (LN)", "antibody_igg", "is not a screening test"),  # total antibody
        ("94510-5 (LN)", "nucleic_acid", "is not a screening test"),  # a Ct value
        ("99999-9 (LN)", "nucleic_acid", "is not a screening test"),  # unknown LOINC
    ],
)
def test_match_refusal(label, test_type, refused):
    why = t.match_refusal(label, test_type)
    assert (why is None) == (refused is None)
    if refused:
        assert refused in str(why)
