"""Infection control's page: a day's positives (newest first, names, departments), open
alerts, each exposure list one click away; who may see it; dates in the reader's language."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest

from services.screening.clients.records import DepartmentRecord, Gap
from tests.ui.conftest import text_of


class Departments:
    """Appointments' department names, as the page asks them (or unreachable)."""

    def __init__(self, names: dict[str, str] | None) -> None:
        self.names = names

    async def departments(self, headers):
        if self.names is None:
            return Gap("appointments", "unreachable")
        return [DepartmentRecord(code=c, name=n) for c, n in self.names.items()]


@pytest.fixture
def screening(desk):
    d = desk("screening")
    d.client.app.state.record_sources = Departments(
        {"FEVER": "Fever clinic", "RESP": "Respiratory"}
    )
    for ext, name, category, dept in [
        ("O003", "Zhao Liu", "outpatient", "FEVER"),
        ("P-1", "Li Lei", "inpatient", "RESP"),
    ]:
        body = {"name": name, "category": category, "department": dept}
        if category == "inpatient":
            body |= {"ward": "W1", "admitted_at": "2026-11-01T08:00:00+08:00"}
        r = d.api("PUT", f"/persons/{ext}", role="nurse", json=body)
        assert r.status_code in (200, 201), r.text
    return d


def post(screening, ext, person, value="positive", test_type="nucleic_acid", **more):
    body = {
        "external_id": ext,
        "person_external_id": person,
        "test_type": test_type,
        "result": value,
        "status": "final",
        "specimen_collected_at": (datetime.now(UTC) - timedelta(minutes=30)).isoformat(),
        **more,
    }
    r = screening.api("POST", "/results", role="nurse", json=body)
    assert r.status_code == 201, r.text


def test_todays_positives_newest_first_with_names_departments_and_exposure_links(screening):
    post(screening, "R-1", "P-1")
    post(screening, "R-2", "P-1", value="negative")
    post(screening, "R-3", "O003")
    page = screening.as_("infection_control").get("/ui/infection-control")
    assert page.status_code == 200, page.text
    text = text_of(page.text)
    assert "Today's positives: 2" in text
    table = page.text.split('id="positives"')[1].split("</table>")[0]
    assert table.index("Zhao Liu") < table.index("Li Lei")  # newest received first
    assert "Fever clinic" in text and "Respiratory" in text
    assert "/ui/persons/O003/exposures" in table and "/ui/persons/P-1/exposures" in table
    assert "R-2" not in table
    # The alerts (no webhook configured here) are open: not delivered to anyone.
    alerts = page.text.split('id="open-alerts"')[1].split("</table>")[0]
    assert "Zhao Liu" in alerts and "Li Lei" in alerts
    # The landing page leads here.
    assert "/ui/infection-control" in screening.get("/ui/").text


def test_the_page_in_chinese_and_without_department_names(screening):
    post(screening, "R-3", "O003")
    screening.client.app.state.record_sources = Departments(None)
    page = screening.as_("doctor").get(
        "/ui/infection-control", headers={"Accept-Language": "zh-CN"}
    )
    assert page.status_code == 200
    text = text_of(page.text)
    assert "今日阳性" in text and "密切接触者名单" in text and "FEVER" in text
    assert "Today's positives" not in text


def test_another_day_and_a_bad_date(screening):
    post(screening, "R-3", "O003")
    yesterday = (datetime.now(UTC) + timedelta(hours=8) - timedelta(days=1)).date().isoformat()
    page = screening.as_("admin").get(f"/ui/infection-control?day={yesterday}")
    assert (
        "Positives received on" in text_of(page.text)
        and "Zhao Liu" not in page.text.split('id="open-alerts"')[0]
    )
    bad = screening.get("/ui/infection-control?day=2026-02-30")
    assert bad.status_code == 422 and "Enter a date." in text_of(bad.text)
    zh = screening.get("/ui/infection-control?day=2026-02-30", headers={"Accept-Language": "zh-CN"})
    assert "Enter a date." not in text_of(zh.text)


@pytest.mark.parametrize(
    ("role", "status"),
    [("infection_control", 200), ("doctor", 200), ("admin", 200), ("nurse", 403), ("auditor", 403)],
)
def test_who_may_see_it_and_the_read_is_audited(screening, role, status):
    post(screening, "R-3", "O003")
    assert screening.as_(role).get("/ui/infection-control").status_code == status
    trail = screening.api("GET", "/audit?limit=500", role="auditor").json()["items"]
    reads = [
        (r["action"], r["actor"]) for r in trail if r["action"] in ("result.list", "alert.list")
    ]
    assert reads == ([("result.list", role), ("alert.list", role)] if status == 200 else [])
    assert not re.search(r"Zhao Liu", str([r.get("detail") for r in trail]))
