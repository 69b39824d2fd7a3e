"""The discharge pages: the check in words, the gated button, the outcome, auditors' reports."""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from services.discharge.clients.screening import ScreeningClient
from tests.support.transports import service_client
from tests.ui.conftest import csrf_of, text_of


def ago(hours: float) -> str:
    return (datetime.now(UTC) - timedelta(hours=hours)).isoformat()


@pytest.fixture
def wards(desk):
    """The discharge pages with the real screening app behind them; a way to seed it."""
    screening = desk("screening")
    discharge = desk("discharge")
    discharge.client.app.state.screening = ScreeningClient(
        service_client(screening.client), timeout_s=10
    )

    def patient(pid: str, results: dict[str, str], department: str = "resp") -> None:
        body = {
            "name": "Han Meimei",
            "category": "inpatient",
            "department": department,
            "ward": "W3",
            "admitted_at": "2026-11-01T08:00:00+08:00",
        }
        assert screening.api("PUT", f"/persons/{pid}", "integration", json=body).status_code in (
            200,
            201,
        )
        for n, (test_type, result) in enumerate(results.items()):
            item = {
                "external_id": f"{pid}-{n}",
                "person_external_id": pid,
                "test_type": test_type,
                "result": result,
                "status": "final",
                "specimen_collected_at": ago(2),
            }
            assert screening.api("POST", "/results", "integration", json=item).status_code == 201

    discharge.patient = patient
    return discharge


CLEAN = {"nucleic_acid": "negative", "antibody_igm": "negative", "antibody_igg": "negative"}


def check(discharge, pid):
    """Run a check as the form does: a 303 to the stored check's page, followed."""
    return discharge.post("/ui/check", {"patient_external_id": pid}, follow_redirects=True)


def discharge_form(discharge, form):
    """Post a discharge form as a browser does (the 303 to the record followed)."""
    return discharge.post("/ui/discharge", form, follow_redirects=True)


def test_an_eligible_patient_gets_the_discharge_button_and_is_discharged(wards):
    wards.patient("P-1", CLEAN)
    wards.as_("nurse")
    page = check(wards, "P-1")
    assert page.status_code == 200
    words = text_of(page.text)
    assert "✓ May be discharged" in words
    assert words.count("Counting result") == 3
    assert "Discharge the patient" in words and "Record the exception" not in words
    retry = re.search(r'name="retry" value="([^"]+)"', page.text).group(1)
    form = {"patient_external_id": "P-1", "disposition": "home", "retry": retry}
    done = discharge_form(wards, form)
    assert done.status_code == 200 and "✓ Discharged" in text_of(done.text)
    again = discharge_form(wards, form)  # the same form sent twice: replayed, not twice
    assert again.status_code == 200 and "✓ Discharged" in text_of(again.text)
    records = wards.api("GET", "/discharges", "auditor").json()["items"]
    assert [(r["outcome"], r["actor"]) for r in records] == [("discharged", "nurse")]


def test_each_reason_is_shown_in_words_and_there_is_no_button(wards):
    wards.patient("P-2", {"nucleic_acid": "positive", "antibody_igm": "negative"})
    wards.as_("doctor")
    page = check(wards, "P-2")
    words = text_of(page.text)
    assert "✕ May not be discharged" in words
    assert "Nucleic acid test: the latest result is positive." in words
    assert "IgG antibody: there is no result on record." in words
    assert "Discharge the patient" not in words


def test_the_button_post_is_checked_again_on_the_server(wards):
    wards.patient("P-3", {"nucleic_acid": "positive"})
    wards.as_("nurse")
    blocked = discharge_form(wards, {"patient_external_id": "P-3", "disposition": "home"})
    assert blocked.status_code == 200
    assert "✕ Not discharged" in text_of(blocked.text)
    records = wards.api("GET", "/discharges", "auditor").json()["items"]
    assert [r["outcome"] for r in records] == ["blocked"]


def test_unknown_patients_and_bad_ids_are_explained(wards):
    wards.as_("nurse")
    unknown = check(wards, "NOBODY")
    assert "The screening service does not know this patient." in text_of(unknown.text)
    bad = check(wards, "no spaces please")
    assert bad.status_code == 422 and 'id="patient_external_id-error"' in bad.text


def test_screening_down_fails_closed_in_words(wards):
    wards.patient("P-4", CLEAN)
    http = service_client(lambda request: httpx.Response(500))
    wards.client.app.state.screening = ScreeningClient(http, timeout_s=2)
    wards.as_("nurse")
    assert "The screening service could not be asked." in text_of(check(wards, "P-4").text)
    refused = discharge_form(wards, {"patient_external_id": "P-4", "disposition": "home"})
    assert refused.status_code == 200 and "✕ Not discharged" in text_of(refused.text)
    assert "The screening service could not be asked." in text_of(refused.text)


def test_exceptions_are_for_infection_control_with_a_reason(wards):
    wards.patient("P-5", {"nucleic_acid": "positive"})
    wards.as_("nurse")
    assert "Record the exception" not in check(wards, "P-5").text
    form = {"patient_external_id": "P-5", "disposition": "death", "reason": "deceased"}
    refused = wards.post("/ui/discharge", form)
    assert refused.status_code == 403
    assert "Only infection control may record this kind of discharge." in text_of(refused.text)
    wards.as_("infection_control")
    assert "Record the exception" in check(wards, "P-5").text
    no_reason = wards.post("/ui/discharge", {**form, "reason": " "})
    assert no_reason.status_code == 422 and "needs a reason" in text_of(no_reason.text)
    done = discharge_form(wards, form)
    assert done.status_code == 200 and "! Exception recorded" in text_of(done.text)


def test_roles_and_csrf(wards):
    wards.patient("P-6", CLEAN)
    wards.as_("auditor")
    assert wards.get("/ui/check").status_code == 403
    assert check(wards, "P-6").status_code == 403
    wards.as_("nurse")
    assert wards.get("/ui/dashboard").status_code == 403
    assert wards.get("/ui/discharges.csv").status_code == 403
    token_less = wards.post(
        "/ui/discharge", {"patient_external_id": "P-6", "disposition": "home"}, token=False
    )
    assert token_less.status_code == 403
    assert wards.api("GET", "/discharges", "auditor").json()["items"] == []


def test_the_dashboard_counts_and_charts_the_attempts(wards):
    wards.patient("P-7", CLEAN)
    wards.patient("P-8", {"nucleic_acid": "positive"}, department="icu")
    wards.as_("nurse")
    for pid in ("P-7", "P-8"):
        wards.post("/ui/discharge", {"patient_external_id": pid, "disposition": "home"})
    wards.as_("auditor")
    page = wards.get("/ui/dashboard")
    assert page.status_code == 200
    figures = dict(
        re.findall(r'<div id="figure-([a-z-]+)"[^>]*><dt>[^<]*</dt><dd>(\d+)</dd>', page.text)
    )
    assert figures == {
        "discharged": "1",
        "blocked": "1",
        "exceptions": "0",
        "without-evidence": "0",
        "total": "2",
    }
    assert page.text.count('<svg class="chart" role="img"') == 2
    assert 'class="bar-discharged"' in page.text and 'class="bar-blocked"' in page.text
    assert "<script" not in page.text
    assert wards.get("/ui/dashboard?from_day=2026-13-01").status_code == 422
    assert wards.get("/ui/dashboard?from_day=2026-11-10&to_day=2026-11-01").status_code == 422


def test_the_discharges_table_filters_and_the_csv_downloads(wards):
    wards.patient("P-9", CLEAN)
    wards.patient("P-10", {"nucleic_acid": "positive"}, department="icu")
    wards.as_("nurse")
    for pid in ("P-9", "P-10"):
        wards.post("/ui/discharge", {"patient_external_id": pid, "disposition": "home"})
    wards.as_("auditor")
    everything = text_of(wards.get("/ui/discharges").text)
    assert "P-9" in everything and "P-10" in everything
    blocked = wards.get("/ui/discharges?outcome=blocked")
    assert "P-10" in blocked.text and "P-9" not in text_of(blocked.text)
    assert "Nucleic acid test: the latest result is positive." in text_of(blocked.text)
    link = re.search(r'id="csv-link" href="([^"]+)"', blocked.text).group(1).replace("&amp;", "&")
    download = wards.get(link)
    assert download.status_code == 200 and download.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(download.text.removeprefix("\ufeff"))))
    assert [(r["patient_external_id"], r["outcome"]) for r in rows] == [("P-10", "blocked")]
    trail = wards.api("GET", "/audit?action=discharge.export", "auditor").json()["items"]
    assert [r["actor"] for r in trail] == ["auditor"]
    assert wards.get("/ui/discharges?outcome=maybe").status_code == 422
    assert wards.get("/ui/discharges?cursor=garbage").status_code == 422


def test_the_audit_trail_page_filters_by_action(wards):
    wards.patient("P-11", CLEAN)
    wards.as_("nurse")
    check(wards, "P-11")
    assert wards.get("/ui/audit").status_code == 403
    wards.as_("auditor")
    page = wards.get("/ui/audit?action=discharge.check")
    assert page.status_code == 200
    assert "patient/P-11" in page.text and "nurse" in text_of(page.text)
    rows = page.text.split("<tbody>", 1)[1].split("</tbody>", 1)[0]  # the trail, not the filters
    assert "discharge.check" in rows and "auth.denied" not in rows  # the nurse's 403: filtered out
    assert wards.get("/ui/audit?from_day=yesterday").status_code == 422
    assert wards.get("/ui/audit?actor=a%00").status_code == 422
    assert wards.get("/ui/audit?cursor=eyJpZCI6ICJ4In0").status_code == 200  # forged: ignored


def test_the_check_page_speaks_chinese(wards):
    wards.patient("P-12", {"nucleic_acid": "positive"})
    wards.as_("nurse")
    page = wards.client.post(
        "/ui/check",
        data={"patient_external_id": "P-12", "csrf_token": csrf_of(wards.get("/ui/").text)},
        headers={"Accept": "text/html", "Accept-Language": "zh-CN"},
    )
    assert "不能出院" in page.text and "核酸" in page.text
