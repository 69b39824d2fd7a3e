"""The inbox: held feed results listed (masked), matched by hand or on registration."""

from __future__ import annotations

import pytest

from tests.feeds.conftest import fhir_sample, msa, naat_oru


def _hold_unknown(feeds, mrn: str, accession: str, result: str = "260373001^Detected^SCT"):
    answer = feeds.hl7(naat_oru(mrn, accession=accession, result=result))
    assert msa(answer.text)[0][3] == "held in inbox: unknown person"


def test_manual_match_stores_the_result_and_closes_the_item(feeds):
    _hold_unknown(feeds, "OLD-MRN-1", "ACC-M1")
    feeds.person("P-REAL")
    [item] = feeds.inbox()
    r = feeds.client.post(
        f"/inbox/{item['id']}/match",
        json={"person_external_id": "P-REAL"},
        headers=feeds.nurse,
    )
    assert r.status_code == 200, r.text
    assert r.json()["item"]["state"] == "matched"
    assert r.json()["item"]["matched_by"] == "nurse"
    assert r.json()["result"]["external_id"] == "ACC-M1-1"
    [stored] = feeds.results("P-REAL")
    assert stored["result"] == "positive"
    # A positive NAAT result queues an alert, exactly as POST /results does.
    actions = [a["action"] for a in feeds.audit()]
    assert "inbox.match" in actions and "result.create" in actions
    again = feeds.client.post(
        f"/inbox/{item['id']}/match", json={"person_external_id": "P-REAL"}, headers=feeds.nurse
    )
    assert again.status_code == 409 and again.json()["code"] == "already_matched"


def test_match_to_an_unknown_person_or_item_is_404(feeds):
    _hold_unknown(feeds, "OLD-MRN-2", "ACC-M2")
    [item] = feeds.inbox()
    body = {"person_external_id": "NOBODY"}
    r = feeds.client.post(f"/inbox/{item['id']}/match", json=body, headers=feeds.nurse)
    assert r.status_code == 404 and r.json()["code"] == "unknown_person"
    r = feeds.client.post("/inbox/999999/match", json=body, headers=feeds.nurse)
    assert r.status_code == 404
    assert feeds.inbox()[0]["state"] == "held"


def test_unmapped_code_needs_a_test_type_to_match(feeds):
    feeds.person("P-U")
    local = naat_oru("P-U", accession="ACC-U").replace(
        "94500-6^SARS-CoV-2 (COVID-19) RNA [Presence] in Respiratory specimen by NAA with probe "
        "detection^LN^SARS2PCR^SARS-CoV-2 PCR^L^2.68^1.0",
        "COVPCR^Local COVID PCR^L",
    )
    feeds.hl7(local)
    [item] = feeds.inbox()
    url = f"/inbox/{item['id']}/match"
    r = feeds.client.post(url, json={"person_external_id": "P-U"}, headers=feeds.nurse)
    assert r.status_code == 422
    r = feeds.client.post(
        url, json={"person_external_id": "P-U", "test_type": "chest_ct"}, headers=feeds.nurse
    )
    assert r.status_code == 422  # "negative" is not a chest CT result
    r = feeds.client.post(
        url, json={"person_external_id": "P-U", "test_type": "nucleic_acid"}, headers=feeds.nurse
    )
    assert r.status_code == 200, r.text
    assert feeds.results("P-U")[0]["test_type"] == "nucleic_acid"


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"person_external_id": ""},
        {"person_external_id": "x" * 65},
        {"person_external_id": "P\x00"},
        {"person_external_id": "P", "test_type": "xray"},
        {"person_external_id": "P", "state": "matched"},
    ],
)
def test_bad_match_bodies_are_422(feeds, body):
    _hold_unknown(feeds, "OLD-MRN-3", "ACC-M3")
    [item] = feeds.inbox()
    r = feeds.client.post(f"/inbox/{item['id']}/match", json=body, headers=feeds.nurse)
    assert r.status_code == 422


def test_list_is_paginated_and_filtered(feeds):
    for n in range(3):
        _hold_unknown(feeds, f"OLD-{n}", f"ACC-L{n}")
    page = feeds.client.get("/inbox", params={"limit": 2}, headers=feeds.nurse).json()
    assert len(page["items"]) == 2 and page["next_cursor"]
    rest = feeds.client.get(
        "/inbox", params={"limit": 2, "cursor": page["next_cursor"]}, headers=feeds.nurse
    ).json()
    assert len(rest["items"]) == 1 and rest["next_cursor"] is None
    assert feeds.inbox(reason="unmapped_code") == []
    bad = feeds.client.get("/inbox", params={"cursor": "!!"}, headers=feeds.nurse)
    assert bad.status_code == 422


def test_names_are_masked_in_the_list(feeds):
    doc = fhir_sample("bundle_transaction.json", MRN="F-UNKNOWN", RESULT_ID="TX-9")
    feeds.fhir("/fhir", doc, expect=200)
    [item] = feeds.inbox()
    assert item["patient_name"] == "W*** W*"  # Wang Wu
    assert item["birth_year"] == "1975"
    assert "110101199001011234" not in str(item)


def test_auto_match_failure_keeps_the_item_and_the_person(feeds):
    _hold_unknown(feeds, "P-CONFLICT", "ACC-CF")
    # Another result under the same accession is stored for someone else first.
    feeds.person("OTHER")
    feeds.hl7(naat_oru("OTHER", accession="ACC-CF"))
    feeds.person("P-CONFLICT")  # registration succeeds; the held item stays, with why
    [item] = feeds.inbox()
    assert item["detail"].startswith("automatic match failed")
    assert feeds.results("P-CONFLICT") == []


@pytest.mark.parametrize(
    ("role", "list_status", "match_status"),
    [
        ("nurse", 200, 404),
        ("doctor", 200, 404),
        ("infection_control", 200, 404),
        ("admin", 200, 403),
        ("auditor", 200, 403),
        ("integration", 403, 403),
    ],
)
def test_inbox_roles(feeds, role, list_status, match_status):
    headers = feeds.idp.headers(role)
    assert feeds.client.get("/inbox", headers=headers).status_code == list_status
    r = feeds.client.post("/inbox/12345/match", json={"person_external_id": "P"}, headers=headers)
    assert r.status_code == match_status
