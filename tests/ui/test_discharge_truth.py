# ruff: noqa: RUF001 (Chinese text has full-width punctuation)
"""Issue 16 on the discharge pages: words that mean what a nurse reads, post/redirect/get,
attempts an auditor can use (names, the exception's reason, a record page), CSV for Excel."""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, datetime

import httpx
from sqlmodel import Session

from services.discharge.clients.screening import ScreeningClient
from services.discharge.models import DischargeCheck
from tests.support.transports import service_client
from tests.ui import test_discharge_pages
from tests.ui.conftest import csrf_of, text_of
from tests.ui.test_discharge_pages import CLEAN

wards = test_discharge_pages.wards  # the fixture: the pages with screening behind them
ZH = {"Accept": "text/html", "Accept-Language": "zh-CN"}


def run_check(desk, pid, **kw):
    return desk.post("/ui/check", {"patient_external_id": pid}, **kw)


def checked(desk, pid):
    """The stored check's page the check form redirects to, and its address."""
    posted = run_check(desk, pid)
    assert posted.status_code == 303, posted.text
    location = posted.headers["location"]
    return desk.get(location), location


def home_form(desk, pid):
    """The discharge form of an eligible patient's check page, as the browser would send it."""
    page, _ = checked(desk, pid)
    retry = re.search(r'name="retry" value="([^"]+)"', page.text).group(1)
    check_id = re.search(r'name="check_id" value="(\d+)"', page.text).group(1)
    return {"patient_external_id": pid, "disposition": "home", "retry": retry, "check_id": check_id}


def discharge_home(desk, pid):
    return desk.post("/ui/discharge", home_form(desk, pid))


def audit_count(desk, action):
    return len(desk.api("GET", f"/audit?action={action}&limit=500", "auditor").json()["items"])


def test_a_check_posts_then_redirects_and_a_reload_runs_nothing_again(wards):
    wards.patient("T-1", CLEAN)
    wards.as_("nurse")
    posted = run_check(wards, "T-1")
    assert posted.status_code == 303
    location = posted.headers["location"]
    assert re.fullmatch(r"/ui/checks/\d+", location)
    first, again = wards.get(location), wards.get(location)  # a reload
    assert first.status_code == again.status_code == 200
    assert "✓ May be discharged" in text_of(again.text)
    assert "Han Meimei" in text_of(again.text)  # the patient's name, from screening
    number = re.search(r"check number (\d+)", text_of(first.text)).group(1)
    assert location.endswith("/" + number) and f"check number {number}" in text_of(again.text)
    assert audit_count(wards, "discharge.check") == 1  # one check, however often it is shown
    assert wards.get("/ui/checks/999999").status_code == 404


def test_a_discharge_redirects_to_its_record_and_a_resubmission_changes_nothing(wards):
    wards.patient("T-2", CLEAN)
    wards.as_("nurse")
    form = home_form(wards, "T-2")
    done = wards.post("/ui/discharge", form)
    assert done.status_code == 303
    record = done.headers["location"]
    assert re.fullmatch(r"/ui/discharges/\d+", record)
    page = wards.get(record)
    assert page.status_code == 200 and "✓ Discharged" in text_of(page.text)
    assert wards.get(record).status_code == 200  # a reload reads, it records nothing
    again = wards.post("/ui/discharge", form)  # the back button and the same form again
    assert again.status_code == 303 and again.headers["location"] == record
    records = wards.api("GET", "/discharges", "auditor").json()["items"]
    assert [r["outcome"] for r in records].count("discharged") == 1


def test_a_check_that_is_not_eligible_offers_no_discharge_nor_exception(wards):
    wards.patient("T-3", CLEAN)
    engine = wards.client.app.state.engine
    with Session(engine) as session:  # a check as the synced gate stores it after a discharge
        stored = DischargeCheck(
            patient_external_id="T-3",
            department="resp",
            eligible=False,
            reasons=[{"code": "already_discharged", "detail": "This admission already ended."}],
            evidence=[],
            rule_version="test",
            actor="nurse",
            checked_at=datetime.now(UTC),
        )
        session.add(stored)
        session.commit()
        check_id = stored.id
    wards.as_("infection_control")
    page = wards.get(f"/ui/checks/{check_id}")
    words = text_of(page.text)
    assert "✕ May not be discharged" in words
    assert "This admission already ended with a discharge." in words
    assert "Discharge the patient" not in words and "Record the exception" not in words


def test_home_reads_as_going_home_in_chinese_everywhere(wards):
    wards.patient("T-4", CLEAN)
    wards.as_("nurse")
    check_page, _ = checked(wards, "T-4")
    record = wards.get(discharge_home(wards, "T-4").headers["location"], headers=ZH)
    wards.as_("auditor")
    listed = wards.get("/ui/discharges", headers=ZH)
    check_zh = wards.as_("nurse").get(
        re.search(r"/ui/checks/\d+", check_page.url.path).group(0), headers=ZH
    )
    for page in (check_zh, record, listed):
        assert "首页" not in text_of(page.text).replace("WardGate", "")
    assert "出院去向：回家" in text_of(record.text)
    assert "回家" in text_of(listed.text) and "回家" in text_of(check_zh.text)


def test_a_refusal_without_a_marked_field_does_not_ask_to_correct_fields(wards):
    wards.patient("T-5", {"nucleic_acid": "positive"})
    wards.as_("nurse")
    page, location = checked(wards, "T-5")
    check_id = location.rsplit("/", 1)[1]
    form = {
        "patient_external_id": "T-5",
        "disposition": "death",
        "reason": "deceased",
        "check_id": check_id,
        "csrf_token": csrf_of(page.text),
    }
    refused = wards.client.post("/ui/discharge", data=form, headers=ZH)
    assert refused.status_code == 403
    words = text_of(refused.text)
    assert "只有感染管理科人员可以登记此类出院。" in words
    assert "请更正标出的字段" not in words
    assert "暂不能出院" in words  # the check is shown again, not an empty form


def test_the_exception_form_keeps_the_check_and_marks_the_reason(wards):
    wards.patient("T-6", {"nucleic_acid": "positive"})
    wards.as_("infection_control")
    _page, location = checked(wards, "T-6")
    form = {
        "patient_external_id": "T-6",
        "disposition": "death",
        "reason": " ",
        "check_id": location.rsplit("/", 1)[1],
    }
    refused = wards.post("/ui/discharge", form)
    assert refused.status_code == 422
    assert 'id="reason-error"' in refused.text and "needs a reason" in text_of(refused.text)
    assert "✕ May not be discharged" in text_of(refused.text)


def exception_for(desk, pid, why):
    desk.as_("infection_control")
    _page, location = checked(desk, pid)
    form = {
        "patient_external_id": pid,
        "disposition": "designated_hospital",
        "reason": why,
        "retry": "ui-test-" + pid,
        "check_id": location.rsplit("/", 1)[1],
    }
    answer = desk.post("/ui/discharge", form)
    assert answer.status_code == 303, answer.text
    return answer.headers["location"]


def test_the_attempts_list_shows_names_the_exception_reason_and_links_each_record(wards):
    wards.patient("T-7", {"nucleic_acid": "positive"})
    record = exception_for(wards, "T-7", "Transferred to the designated hospital by 120")
    wards.as_("auditor")
    listed = wards.get("/ui/discharges")
    words = text_of(listed.text)
    assert "Han Meimei" in words and "T-7" in words
    assert "Transferred to the designated hospital by 120" in words
    assert f'href="{record}"' in listed.text
    page = wards.get(record)
    words = text_of(page.text)
    assert "Han Meimei · T-7" in words
    assert "Designated hospital (exception)" in words and "! Exception recorded" in words
    assert "Nucleic acid test: the latest result is positive." in words
    assert "Transferred to the designated hospital by 120" in words
    assert "Recorded by infection_control" in words
    assert "Admission time 2026-11-01 08:00" in words
    evidence = re.findall(r'<tr>\s*<th scope="row">([^<]+)</th>\s*<td>([^<]*)</td>', page.text)
    assert evidence == [("Nucleic acid test", "Positive")]


def test_the_attempts_list_shows_ids_when_screening_cannot_name_them(wards):
    wards.patient("T-8", {"nucleic_acid": "positive"})
    exception_for(wards, "T-8", "death")
    wards.client.app.state.screening = ScreeningClient(
        service_client(lambda request: httpx.Response(503)), timeout_s=1
    )
    listed = wards.as_("auditor").get("/ui/discharges")
    assert listed.status_code == 200
    assert "T-8" in text_of(listed.text) and "Han Meimei" not in listed.text


def test_the_csv_opens_in_excel_in_hospital_time_with_codes_in_words(wards):
    wards.patient("T-9", {"nucleic_acid": "positive"})
    wards.as_("nurse")
    blocked = wards.post("/ui/discharge", {"patient_external_id": "T-9", "disposition": "home"})
    assert blocked.status_code == 303
    exception_for(wards, "T-9", '=HYPERLINK("http://evil")')
    wards.as_("auditor")
    download = wards.get("/ui/discharges.csv", headers=ZH)
    assert download.status_code == 200
    assert download.content.startswith("\ufeff".encode())
    assert 'filename="discharges.csv"' in download.headers["content-disposition"]
    rows = list(csv.reader(io.StringIO(download.text.removeprefix("\ufeff"))))
    header, first, second = (
        rows[0],
        dict(zip(rows[0], rows[1], strict=True)),
        dict(zip(rows[0], rows[2], strict=True)),
    )
    assert header[5:9] == ["出院去向（代码）", "出院去向", "办理结果（代码）", "办理结果"]
    assert (first["出院去向（代码）"], first["出院去向"]) == ("home", "回家")
    assert (first["办理结果（代码）"], first["办理结果"]) == ("blocked", "未获准出院")
    assert "核酸检测：最近一次结果为阳性。" in first["原因"]
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+08:00", first["时间（医院当地时间）"])
    assert first["入院时间"] == "2026-11-01T08:00:00+08:00"
    assert second["例外出院的原因"].startswith("'=")  # never run as a formula
    english = list(csv.DictReader(io.StringIO(wards.get("/ui/discharges.csv").text[1:])))
    assert [(r["disposition"], r["disposition_words"]) for r in english][:1] == [("home", "Home")]


def test_every_discharge_code_reads_as_a_nurse_reads_it_in_chinese():
    """Dispositions, outcomes and reasons: no web words, no English, no outcome that is a test
    result (结果 alone), the exception not an error."""
    from pathlib import Path

    from services.discharge.ui.words import DISPOSITIONS, OUTCOMES, REASONS
    from shared.web.ui.i18n import translations

    ui_dir = Path(__file__).resolve().parents[2] / "services" / "discharge" / "ui" / "locale"
    zh = translations("zh_CN", (ui_dir,))
    dispositions = {code: zh.gettext(words) for code, words in DISPOSITIONS.items()}
    assert dispositions == {
        "home": "回家",
        "transfer": "转院",
        "designated_hospital": "转定点医院（例外）",
        "death": "死亡（例外）",
    }
    outcomes = {code: zh.gettext(words) for code, words in OUTCOMES.items()}
    assert outcomes == {"discharged": "已出院", "blocked": "未获准出院", "exception": "例外出院"}
    for words in REASONS.values():
        assert re.search(r"[\u4e00-\u9fff]", zh.gettext(words)), words


def test_record_and_check_addresses_that_name_nothing_are_refused_not_crashed(wards):
    wards.as_("infection_control")
    for path in ("/ui/checks/abc", "/ui/checks/0", "/ui/discharges/99999999999999999999999"):
        assert wards.get(path).status_code == 422, path
    assert wards.get("/ui/discharges/12345").status_code == 404
    odd = {"patient_external_id": "X-1", "disposition": "death", "reason": "", "check_id": "١٢"}
    assert wards.post("/ui/discharge", odd).status_code == 422
    wards.as_("auditor")
    assert wards.get("/ui/checks/1").status_code == 403  # checks are the ward's


def test_the_same_exception_form_sent_again_with_another_reason_is_explained(wards):
    wards.patient("T-10", {"nucleic_acid": "positive"})
    exception_for(wards, "T-10", "first reason")
    _page, location = checked(wards, "T-10")
    form = {
        "patient_external_id": "T-10",
        "disposition": "designated_hospital",
        "reason": "another reason",
        "retry": "ui-test-T-10",  # the key the first form carried (the back button)
        "check_id": location.rsplit("/", 1)[1],
    }
    again = wards.post("/ui/discharge", form, headers={"Accept-Language": "zh-CN"})
    assert again.status_code == 422
    assert "此表单已用其他内容提交过。" in text_of(again.text)
