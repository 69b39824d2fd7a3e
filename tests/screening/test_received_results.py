"""GET /results: everyone's latest result versions by time received (infection control's list)."""

from __future__ import annotations

import pytest

from tests.screening.conftest import ago, result


@pytest.fixture
def s(screening):
    screening.person("P1", department="resp")
    screening.person("P2", category="outpatient", department="fever", name="Wang Wu")
    return screening


def listed(s, role="infection_control", **params):
    r = s.client.get("/results", params=params, headers=s.idp.headers(role))
    assert r.status_code == 200, r.text
    return r.json()


def test_todays_positives_newest_received_first_with_whose_they_are(s):
    s.post(result("A", "P1", value="positive"))
    s.post(result("B", "P1", value="negative"))
    s.post(result("C", "P2", value="positive", hours_ago=5))
    page = listed(s, result="positive", test_type="nucleic_acid", **{"from": ago(hours=1)})
    assert [i["external_id"] for i in page["items"]] == ["C", "A"]
    first = page["items"][0]
    assert (first["person_name"], first["category"], first["department"]) == (
        "Wang Wu",
        "outpatient",
        "fever",
    )
    assert "phone" not in first and "id_number" not in first
    assert page["next_cursor"] is None


def test_only_the_latest_version_counts_a_voided_positive_is_not_listed(s):
    s.post(result("A", "P1", value="positive"))
    s.post(result("A", "P1", value="positive", status="entered_in_error"))
    s.post(result("B", "P2", value="negative"))
    s.post(result("B", "P2", value="positive", status="corrected"))
    page = listed(s, result="positive")
    assert [(i["external_id"], i["version"]) for i in page["items"]] == [("B", 2)]
    everything = listed(s)
    assert [(i["external_id"], i["version"]) for i in everything["items"]] == [("B", 2), ("A", 2)]


def test_filters_by_department_and_status_and_pages_with_a_cursor(s):
    for n in range(5):
        s.post(result(f"R{n}", "P1", value="positive"))
    s.post(result("X", "P2", value="positive", status="preliminary"))
    assert [i["external_id"] for i in listed(s, department="fever")["items"]] == ["X"]
    assert [i["external_id"] for i in listed(s, status="preliminary")["items"]] == ["X"]
    seen, cursor = [], None
    while True:
        page = listed(s, department="resp", limit=2, **({"cursor": cursor} if cursor else {}))
        seen += [i["external_id"] for i in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == ["R4", "R3", "R2", "R1", "R0"]


def test_the_window_is_by_time_received_and_must_run_forwards(s, idp):
    s.post(result("OLD-SPECIMEN", "P1", value="positive", hours_ago=24 * 10))
    assert [i["external_id"] for i in listed(s, **{"from": ago(hours=1)})["items"]] == [
        "OLD-SPECIMEN"
    ]
    assert listed(s, to=ago(hours=1))["items"] == []
    r = s.client.get(
        "/results", params={"from": ago(hours=1), "to": ago(hours=2)}, headers=idp.headers("admin")
    )
    assert r.status_code == 422 and r.headers["content-type"].startswith("application/problem")
    assert r.json()["errors"][0]["field"] == "from"
    bad = s.client.get("/results", params={"cursor": "bm9wZQ"}, headers=idp.headers("admin"))
    assert bad.status_code == 422


@pytest.mark.parametrize(
    ("role", "status"),
    [
        ("doctor", 200),
        ("infection_control", 200),
        ("auditor", 200),
        ("admin", 200),
        ("nurse", 403),
        ("integration", 403),
    ],
)
def test_who_may_list_results_and_every_read_is_audited(s, idp, role, status):
    s.post(result("A", "P1", value="positive"))
    r = s.client.get("/results?result=positive", headers=idp.headers(role))
    assert r.status_code == status, r.text
    rows = s.client.get("/audit?limit=500", headers=idp.headers("auditor")).json()["items"]
    listed_rows = [x for x in rows if x["action"] == "result.list" and x["actor"] == role]
    assert len(listed_rows) == (1 if status == 200 else 0)
