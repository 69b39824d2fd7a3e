"""Isolation of a person: automatic on a positive, by hand, released by two negatives."""

from __future__ import annotations

from typing import Any

import pytest

from tests.screening.conftest import NOW, ago, result


def isolation(screening: Any, person: str) -> dict[str, Any]:
    r = screening.client.get(f"/persons/{person}", headers=screening.nurse)
    assert r.status_code == 200, r.text
    return dict(r.json()["isolation"])


def isolate(screening: Any, person: str, role: str = "infection_control", **body: Any) -> Any:
    return screening.client.post(
        f"/persons/{person}/isolation",
        json=body or {"reason": "close contact with symptoms"},
        headers=screening.idp.headers(role),
    )


def release(screening: Any, person: str, role: str = "infection_control", **body: Any) -> Any:
    return screening.client.post(
        f"/persons/{person}/isolation/release", json=body, headers=screening.idp.headers(role)
    )


def test_never_isolated_person_reads_none(screening):
    screening.person("P1")
    assert isolation(screening, "P1") == {
        "state": "none",
        "since": None,
        "reason": None,
        "released_at": None,
    }


@pytest.mark.parametrize("status", ["final", "corrected"])
def test_an_individual_positive_isolates(screening, status):
    screening.person("P1")
    if status == "corrected":
        screening.post(result("R1", value="negative"))
        screening.post(result("R1", value="positive", status="corrected"))
    else:
        screening.post(result("R1", value="positive"))
    state = isolation(screening, "P1")
    assert state["state"] == "isolated"
    assert state["reason"] == "positive_result"
    assert state["since"] is not None and state["released_at"] is None


@pytest.mark.parametrize(
    "body",
    [
        result("R1", value="positive", status="preliminary"),
        result("R1", value="negative"),
        result("R1", value="indeterminate"),
        result("R1", test_type="antibody_igm", value="positive"),
    ],
    ids=["preliminary", "negative", "indeterminate", "antibody"],
)
def test_other_results_do_not_isolate(screening, body):
    screening.person("P1")
    screening.post(body)
    assert isolation(screening, "P1")["state"] == "none"


def test_a_pooled_positive_does_not_isolate(screening):
    screening.person("P1")
    r = screening.client.post(
        "/specimens",
        json={
            "specimen_id": "S1",
            "person_external_id": "P1",
            "collected_at": ago(hours=3),
            "pool_id": "POOL1",
        },
        headers=screening.nurse,
    )
    assert r.status_code == 201, r.text
    r = screening.client.post(
        "/pools/POOL1/result",
        json={"external_id": "PR1", "result": "positive", "status": "final"},
        headers=screening.nurse,
    )
    assert r.status_code in (200, 201), r.text
    assert isolation(screening, "P1")["state"] == "none"


def test_isolation_by_hand_and_again(screening):
    screening.person("P1")
    r = isolate(screening, "P1", role="doctor", reason="fever after contact")
    assert r.status_code == 201, r.text
    assert r.json()["state"] == "isolated" and r.json()["reason"] == "fever after contact"
    again = isolate(screening, "P1", reason="something else")
    assert again.status_code == 200
    assert again.json()["reason"] == "fever after contact"  # unchanged
    assert isolation(screening, "P1")["reason"] == "fever after contact"


@pytest.mark.parametrize("role", ["nurse", "auditor", "admin", "integration"])
def test_isolation_by_hand_is_for_infection_control_and_doctors(screening, role):
    screening.person("P1")
    assert isolate(screening, "P1", role=role).status_code == 403
    assert isolation(screening, "P1")["state"] == "none"


def test_isolating_unknown_person_and_bad_body(screening):
    assert isolate(screening, "NOBODY").status_code == 404
    screening.person("P1")
    r = isolate(screening, "P1", reason="")
    assert r.status_code == 422
    r = isolate(screening, "P1", reason="x", extra=1)
    assert r.status_code == 422


def test_release_refused_then_allowed_by_two_negatives_24h_apart(screening):
    screening.person("P1")
    screening.post(result("R1", value="positive", hours_ago=100))
    r = release(screening, "P1")
    assert r.status_code == 409
    assert r.json()["code"] == "release_not_allowed"
    assert [x["code"] for x in r.json()["reasons"]] == ["two_negatives_required"]
    screening.post(result("N1", value="negative", hours_ago=60))
    screening.post(result("N2", value="negative", hours_ago=40))  # 20 h later
    r = release(screening, "P1")
    assert r.status_code == 409
    assert [x["code"] for x in r.json()["reasons"]] == ["negatives_less_than_24h_apart"]
    assert isolation(screening, "P1")["state"] == "isolated"
    screening.post(result("N3", value="negative", hours_ago=30))  # 30 h after N1
    assert release(screening, "P1", role="doctor").status_code == 403
    r = release(screening, "P1", note="two negatives")
    assert r.status_code == 200, r.text
    assert r.json()["state"] == "released"
    state = isolation(screening, "P1")
    assert state["state"] == "released"
    assert state["reason"] == "positive_result" and state["released_at"] is not None
    again = release(screening, "P1")
    assert again.status_code == 409
    assert [x["code"] for x in again.json()["reasons"]] == ["not_isolated"]


def test_negatives_before_the_last_positive_do_not_release(screening):
    screening.person("P1")
    screening.post(result("N1", value="negative", hours_ago=100))
    screening.post(result("N2", value="negative", hours_ago=70))
    screening.post(result("R1", value="positive", hours_ago=50))
    r = release(screening, "P1")
    assert r.status_code == 409
    assert [x["code"] for x in r.json()["reasons"]] == ["two_negatives_required"]


def test_a_new_positive_after_release_isolates_again(screening):
    screening.person("P1")
    isolate(screening, "P1")
    screening.post(result("N1", value="negative", hours_ago=50))
    screening.post(result("N2", value="negative", hours_ago=20))
    assert release(screening, "P1").status_code == 200
    screening.post(result("R2", value="positive", hours_ago=1))
    assert isolation(screening, "P1")["state"] == "isolated"


def test_isolation_list_staff_first_with_filters(screening):
    screening.person("IN1", department="resp")
    screening.person("ST1", category="staff", department="icu")
    screening.person("OUT1", category="outpatient", department="resp")
    screening.person("FREE", category="staff", department="icu")
    screening.post(result("R1", person="IN1", value="positive"))
    screening.post(result("R2", person="OUT1", value="positive"))
    isolate(screening, "ST1")
    r = screening.client.get("/isolations", headers=screening.idp.headers("auditor"))
    assert r.status_code == 200, r.text
    items = r.json()["items"]
    assert [i["external_id"] for i in items] == ["ST1", "IN1", "OUT1"]
    assert items[0]["off_duty"] is True and items[1]["off_duty"] is False
    assert items[1]["name"] != "Patient IN1"  # masked in lists
    only = screening.client.get(
        "/isolations",
        params={"department": "resp", "category": "outpatient"},
        headers=screening.nurse,
    )
    assert [i["external_id"] for i in only.json()["items"]] == ["OUT1"]
    bad = screening.client.get("/isolations", params={"state": "none"}, headers=screening.nurse)
    assert bad.status_code == 422


def test_release_is_audited(screening):
    screening.person("P1")
    isolate(screening, "P1")
    release(screening, "P1")
    r = screening.client.get(
        "/audit", params={"action": "isolation.release"}, headers=screening.idp.headers("auditor")
    )
    assert r.status_code == 200
    assert [row["outcome"] for row in r.json()["items"]] == ["refused"]
    assert NOW  # the suite's clock is used for the results above
