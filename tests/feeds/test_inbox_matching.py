"""Matching a held item refuses a test type its own code contradicts (422, audited, nothing stored).

The hole: an antigen item held as an "unmapped code" was matched by a nurse to `nucleic_acid`
and stored as a nucleic-acid positive under LOINC 94500-6. A LOINC code says what the test is:
it may only be matched to the test type the code table gives it, and the stored result keeps
the item's own code. A local code may still be matched to any test type.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

from sqlmodel import Session

from services.screening.domain.versions import content_hash
from services.screening.inbox import repository as inbox_repo
from tests.feeds.conftest import msa, naat_oru

_NAAT = (
    "94500-6^SARS-CoV-2 (COVID-19) RNA [Presence] in Respiratory specimen by NAA with probe "
    "detection^LN^SARS2PCR^SARS-CoV-2 PCR^L^2.68^1.0"
)


def _held_before_the_table_knew_antigens(feeds, result_id: str) -> int:
    """An antigen item as the inbox held it before other tests were ignored (old rows stay)."""
    content = {
        "external_id": result_id,
        "person_external_id": "AG-OLD",
        "test_type": None,
        "result": "positive",
        "status": "final",
        "specimen_collected_at": "2024-01-10T00:00:00+00:00",
        "resulted_at": None,
        "values": None,
        "performer": None,
        "note": None,
    }
    row = {
        "received_at": datetime.now(UTC),
        "channel": "hl7",
        "reason": "unmapped_code",
        "detail": "the test code 94558-4 (LN) is not mapped",
        "state": inbox_repo.HELD,
        "result_external_id": result_id,
        "person_key": "AG-OLD",
        "person_identifiers": ["AG-OLD"],
        "patient_name": None,
        "birth_date": None,
        "code": "94558-4 (LN)",
        "content": content,
        "content_hash": content_hash({**content, "reason": "unmapped_code"}),
        "source_ref": "-",
        "recorded_by": "integration",
    }
    with Session(feeds.client.app.state.engine) as session:
        item_id, _created = inbox_repo.hold(session, row)
        session.commit()
    return item_id


def _match(feeds, item_id: int, person: str, test_type: str | None = None):
    body = {"person_external_id": person}
    if test_type:
        body["test_type"] = test_type
    return feeds.client.post(f"/inbox/{item_id}/match", json=body, headers=feeds.nurse)


def _refused_as(r, field: str = "test_type") -> dict:
    assert r.status_code == 422, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    problem = r.json()
    assert problem["type"] == "urn:wardgate:problem:test_type_contradicts_code"
    assert [e["field"] for e in problem["errors"]] == [field]
    return problem


def test_an_antigen_item_cannot_become_a_nucleic_acid_result(feeds):
    feeds.person("AG-OLD")
    item_id = _held_before_the_table_knew_antigens(feeds, "ACC-AG-1")
    r = _match(feeds, item_id, "AG-OLD", "nucleic_acid")
    problem = _refused_as(r)
    assert "94558-4" in problem["detail"] and "not a screening test" in problem["detail"]
    assert feeds.results("AG-OLD") == []
    [item] = feeds.inbox()
    assert item["state"] == "held"
    [row] = [a for a in feeds.audit(action="inbox.match") if a["resource"] == f"inbox/{item_id}"]
    assert row["outcome"] == "refused" and row["actor"] == "nurse"
    detail = json.loads(row["detail"])
    assert (detail["code"], detail["test_type"]) == ("94558-4 (LN)", "nucleic_acid")


def test_a_loinc_item_may_only_be_its_own_test_type(feeds):
    answer = feeds.hl7(naat_oru("NAAT-NEW", accession="ACC-NN", result="260373001^Detected^SCT"))
    assert msa(answer.text)[0][3] == "held in inbox: unknown person"
    feeds.person("P-NAAT")
    [item] = feeds.inbox()
    _refused_as(_match(feeds, item["id"], "P-NAAT", "antibody_igm"))
    assert feeds.results("P-NAAT") == []
    r = _match(feeds, item["id"], "P-NAAT", "nucleic_acid")
    assert r.status_code == 200, r.text
    assert (r.json()["result"]["test_type"], r.json()["result"]["loinc"]) == (
        "nucleic_acid",
        "94500-6",
    )


def test_a_matched_result_keeps_the_items_own_code(feeds):
    # 94309-2 held for an unknown person: matched, it is stored as 94309-2, not 94500-6.
    feeds.hl7(
        naat_oru("OWN-NEW", accession="ACC-OWN", result="260373001^Detected^SCT").replace(
            "94500-6^SARS-CoV-2 (COVID-19)", "94309-2^SARS-CoV-2 (COVID-19)"
        )
    )
    feeds.person("P-OWN")
    [item] = feeds.inbox()
    r = _match(feeds, item["id"], "P-OWN")
    assert r.status_code == 200, r.text
    [stored] = feeds.results("P-OWN")
    assert (stored["loinc"], stored["result"]) == ("94309-2", "positive")


def test_a_sars_related_review_item_is_matched_as_nucleic_acid_under_its_code(feeds):
    feeds.person("P-REV")
    related = naat_oru("P-REV", accession="ACC-REV", result="260373001^Detected^SCT").replace(
        _NAAT, "94502-2^SARS-related coronavirus RNA [Presence] in Respiratory specimen^LN"
    )
    assert msa(feeds.hl7(related).text)[0][3] == "held in inbox: unmapped code"
    [item] = feeds.inbox(reason="unmapped_code")
    _refused_as(_match(feeds, item["id"], "P-REV", "antibody_igg"))
    r = _match(feeds, item["id"], "P-REV", "nucleic_acid")
    assert r.status_code == 200, r.text
    [stored] = feeds.results("P-REV")
    assert (stored["test_type"], stored["loinc"]) == ("nucleic_acid", "94502-2")


def test_a_total_antibody_item_cannot_be_matched_as_igg(feeds):
    feeds.person("P-TAB")
    total = naat_oru("P-TAB", accession="ACC-TAB").replace(
        "94500-6^SARS-CoV-2 (COVID-19)", "94762-2^SARS-CoV-2 (COVID-19)"
    )
    feeds.hl7(total)
    [item] = feeds.inbox(reason="unmapped_code")
    _refused_as(_match(feeds, item["id"], "P-TAB", "antibody_igg"))
    assert feeds.results("P-TAB") == []


def test_a_local_code_may_be_matched_to_any_test_type(feeds):
    feeds.person("P-LOC")
    local = naat_oru("P-LOC", accession="ACC-LOC").replace(_NAAT, "COVPCR^Local COVID PCR^L")
    feeds.hl7(local)
    [item] = feeds.inbox(reason="unmapped_code")
    r = _match(feeds, item["id"], "P-LOC", "antibody_igm")
    assert r.status_code == 200, r.text
    assert r.json()["result"]["loinc"] == "94564-2"  # a local code has no LOINC: the default
