"""GET /result-changes: the versions a decision taken on earlier evidence must re-examine
(every later version, every final individual positive nucleic acid), oldest received first,
paged, filtered by `since`, for the integration role and report readers (both databases)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tests.screening.conftest import NOW, Screening, result


def _feed(screening: Screening, role: str = "integration", **params: object) -> list[dict]:
    r = screening.client.get("/result-changes", params=params, headers=screening.idp.headers(role))
    assert r.status_code == 200, r.text
    return list(r.json()["items"])


def _keys(items: list[dict]) -> list[tuple[str, int, str]]:
    return [(i["result_external_id"], i["version"], i["status"]) for i in items]


def test_the_feed_serves_later_versions_and_final_individual_positives_only(screening):
    screening.person("P1")
    screening.post(result("NEG-1"))  # a first negative: not on the feed
    screening.post(result("IGM-POS", test_type="antibody_igm", value="positive"))  # not NA
    screening.post(result("PRE-POS", value="positive", status="preliminary"))  # not final
    screening.post(result("NA-POS", value="positive", hours_ago=30))
    screening.post(result("NEG-1", value="positive", status="corrected"))
    screening.post(result("NEG-1", value=None, status="entered_in_error"))
    screening.post(result("PRE-POS", value="negative"))  # its final: a version 2

    items = _feed(screening)

    assert _keys(items) == [
        ("NA-POS", 1, "final"),
        ("NEG-1", 2, "corrected"),
        ("NEG-1", 3, "entered_in_error"),
        ("PRE-POS", 2, "final"),
    ]
    corrected = items[1]
    assert corrected["replaces"] == 1 and corrected["result"] == "positive"
    assert corrected["person_external_id"] == "P1" and corrected["method"] == "individual"
    assert items[2]["replaces"] == 2 and items[2]["result"] is None
    positive = items[0]
    assert positive["replaces"] is None and positive["test_type"] == "nucleic_acid"
    collected = datetime.fromisoformat(positive["specimen_collected_at"])
    assert collected == NOW - timedelta(hours=30)  # as posted (the helpers time from NOW)
    times = [datetime.fromisoformat(i["recorded_at"]) for i in items]
    assert times == sorted(times)


def test_pages_follow_one_another_and_since_skips_older_versions(screening):
    screening.person("P1")
    for n in range(5):
        screening.post(result(f"POS-{n}", value="positive"))
    first = screening.client.get(
        "/result-changes", params={"limit": 2}, headers=screening.idp.headers("integration")
    ).json()
    assert [i["result_external_id"] for i in first["items"]] == ["POS-0", "POS-1"]
    seen = list(first["items"])
    cursor = first["next_cursor"]
    while cursor:
        page = screening.client.get(
            "/result-changes",
            params={"limit": 2, "cursor": cursor},
            headers=screening.idp.headers("integration"),
        ).json()
        seen += page["items"]
        cursor = page["next_cursor"]
    assert [i["result_external_id"] for i in seen] == [f"POS-{n}" for n in range(5)]

    since = seen[3]["recorded_at"]
    later = _feed(screening, since=since)
    assert [i["result_external_id"] for i in later] == ["POS-3", "POS-4"]
    future = (datetime.now(UTC) + timedelta(hours=1)).isoformat()
    assert _feed(screening, since=future) == []


def test_report_readers_may_read_the_feed_and_ward_staff_may_not(screening):
    screening.person("P1")
    screening.post(result("POS-1", value="positive"))
    for role in ("integration", "infection_control", "auditor", "admin"):
        assert len(_feed(screening, role)) == 1
    for role in ("nurse", "doctor"):
        r = screening.client.get("/result-changes", headers=screening.idp.headers(role))
        assert r.status_code == 403, r.text
    assert screening.client.get("/result-changes").status_code == 401


def test_a_naive_since_or_a_foreign_cursor_is_422(screening):
    headers = screening.idp.headers("integration")
    r = screening.client.get(
        "/result-changes", params={"since": "2026-12-01T08:00:00"}, headers=headers
    )
    assert r.status_code == 422, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    r = screening.client.get("/result-changes", params={"cursor": "eyJpZCI6MX0"}, headers=headers)
    assert r.status_code == 422, r.text  # a cursor of a list ordered by id only


def test_a_page_that_shows_results_is_audited_and_an_empty_one_is_not(screening):
    screening.person("P1")
    _feed(screening)  # nothing on the feed yet
    screening.post(result("POS-1", value="positive"))
    _feed(screening)
    audit = screening.client.get(
        "/audit", params={"action": "result_change.list"}, headers=screening.idp.headers("auditor")
    )
    assert audit.status_code == 200, audit.text
    rows = audit.json()["items"]
    assert len(rows) == 1
    assert rows[0]["actor"] == "integration" and rows[0]["resource"] == "result-changes"
