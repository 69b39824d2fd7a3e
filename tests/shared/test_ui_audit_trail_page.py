"""The audit trail page as an auditor reads it: newest first, words, filters, CSV, compact rows."""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, datetime, timedelta
from html import unescape

from shared.audit import AuditEntry, append_entry
from shared.auth import SESSION_COOKIE

ZH = {"Accept-Language": "zh-CN", "Accept": "text/html"}
EN = {"Accept-Language": "en", "Accept": "text/html"}
LONG = "Screening result missing for the last 48 hours; escalated to the ward nurse " * 3


def _seed(client) -> None:
    now = datetime.now(UTC).replace(microsecond=0)
    rows = [
        ("nurse-1", "person.read", "person/P1", "ok", {"fields": "name"}),
        ("nurse-2", "discharge.attempt", "patient/P1", "blocked:not_eligible", {"why": LONG}),
        ("nurse-1", "person.update", "person/P2", "ok", {"ward": "5B", "bed": 12}),
    ]
    with client.app.state.engine.begin() as conn:
        for n, (actor, action, resource, outcome, detail) in enumerate(rows):
            entry = AuditEntry(
                actor=actor,
                roles="nurse",
                action=action,
                resource=resource,
                outcome=outcome,
                client="10.0.0.7",
                detail=detail,
                at=now - timedelta(minutes=10 - n),
            )
            append_entry(conn, client.app.state.audit_table, entry)


def _auditor(make_client, idp):
    client = make_client("screening")
    _seed(client)
    client.cookies.set(SESSION_COOKIE, idp.token("auditor", sub="auditor-1"))
    return client


def _rows(html: str) -> list[str]:
    bodies = re.findall(r'<tr id="audit-\d+">(.*?)</tr>', html, flags=re.S)
    return [" ".join(unescape(re.sub(r"<[^>]+>", " ", b)).split()) for b in bodies]


def test_newest_first_with_actions_and_outcomes_in_chinese(make_client, idp):
    page = _auditor(make_client, idp).get("/ui/audit", headers=ZH)
    assert page.status_code == 200
    rows = _rows(page.text)
    assert len(rows) == 3
    assert "修改人员信息" in rows[0] and "person.update" in rows[0]
    assert "办理出院" in rows[1] and "未获准出院" in rows[1] and "not_eligible" in rows[1]
    assert "查看人员" in rows[2] and "成功" in rows[2]
    assert "最新的在前" in page.text
    assert (
        "bed: 12 · ward: 5B" in rows[0] and "护士" in rows[0]
    )  # details as key: value, not raw JSON
    assert "<details>" in page.text  # the long one folds away


def test_newest_first_in_english_and_filters_narrow_the_rows(make_client, idp):
    client = _auditor(make_client, idp)
    rows = _rows(client.get("/ui/audit", headers=EN).text)
    assert ["Changed a person" in rows[0], "Discharge attempt" in rows[1]] == [True, True]
    by_person = _rows(client.get("/ui/audit?person=P1", headers=EN).text)
    assert len(by_person) == 2 and all("P1" in r for r in by_person)
    by_actor = _rows(client.get("/ui/audit?actor=nurse-2", headers=EN).text)
    assert len(by_actor) == 1 and "Discharge attempt" in by_actor[0]
    by_action = _rows(client.get("/ui/audit?action=person.read", headers=EN).text)
    assert len(by_action) == 1 and "Viewed a person" in by_action[0]
    by_record = _rows(client.get("/ui/audit?resource=person/", headers=EN).text)
    assert len(by_record) == 2
    tomorrow = (datetime.now(UTC) + timedelta(days=2)).date().isoformat()
    none = client.get(f"/ui/audit?from_day={tomorrow}&to_day={tomorrow}", headers=EN)
    assert _rows(none.text) == [] and "No entries match these filters." in none.text


def test_the_csv_link_carries_the_filters_and_has_the_words(make_client, idp):
    client = _auditor(make_client, idp)
    page = client.get("/ui/audit?person=P1", headers=ZH)
    link = unescape(re.search(r'href="([^"]*/ui/audit\.csv[^"]*)"', page.text).group(1))
    assert "person=P1" in link
    download = client.get(link, headers=ZH)
    assert download.status_code == 200 and download.content.startswith("\ufeff".encode())
    rows = list(csv.DictReader(io.StringIO(download.content.decode("utf-8-sig"))))
    assert [r["action"] for r in rows] == ["discharge.attempt", "person.read"]
    assert [r["操作（说明）"] for r in rows] == ["办理出院", "查看人员"]  # noqa: RUF001
    assert rows[0]["at"].endswith("+08:00")


def test_a_reversed_date_range_is_explained_in_the_page_language(make_client, idp):
    client = _auditor(make_client, idp)
    page = client.get("/ui/audit?from_day=2026-12-07&to_day=2026-12-01", headers=ZH)
    assert page.status_code == 422
    assert "结束日期不能早于开始日期。" in page.text and "请更正标出的字段" in page.text
