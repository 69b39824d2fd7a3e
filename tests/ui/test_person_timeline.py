"""The person page tells the whole truth: results with versions, positives, the timeline."""

from __future__ import annotations

import asyncio
import re
import time
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from services.screening.clients.records import RecordSources
from tests.support.transports import service_client
from tests.ui.conftest import text_of

NOW = datetime.now(UTC).replace(microsecond=0)
OUTPATIENT = {"name": "Wang Fang", "category": "outpatient", "department": "RESP"}
INPATIENT = {
    "name": "Li Lei",
    "category": "inpatient",
    "department": "RESP",
    "ward": "W3",
    "admitted_at": (NOW - timedelta(days=3)).isoformat(),
}


def at(hours_ago: float) -> str:
    return (NOW - timedelta(hours=hours_ago)).isoformat()


def result(external_id, person, result_value, status="final", hours_ago=2.0, **more):
    return {
        "external_id": external_id,
        "person_external_id": person,
        "test_type": "nucleic_acid",
        "result": result_value,
        "status": status,
        "specimen_collected_at": at(hours_ago),
        "resulted_at": at(hours_ago - 1),
        **more,
    }


CHECK_INS = [
    {
        "id": 7,
        "appointment_id": 3,
        "department": "RESP",
        "patient_external_id": "P-1",
        "patient_name": "Li Lei",
        "at": at(30),
        "outcome": "redirected_fever_clinic",
        "temperature_c": 38.2,
    }
]
CHECKS = [
    {
        "check_id": 11,
        "patient_external_id": "P-1",
        "eligible": False,
        "reasons": [{"code": "needs_two_negatives", "detail": "two negatives needed"}],
        "evidence": [],
        "checked_at": at(0.5),
        "actor": "nurse",
    }
]
DISCHARGES = [
    {
        "id": 5,
        "patient_external_id": "P-1",
        "department": "RESP",
        "disposition": "home",
        "outcome": "blocked",
        "reasons": [{"code": "positive", "test_type": "nucleic_acid", "detail": "positive"}],
        "evidence": [],
        "actor": "nurse",
        "created_at": at(0.4),
    }
]
ANSWERS = {
    "/check-ins": CHECK_INS,
    "/virtual-visits": [],
    "/departments": [{"code": "RESP", "name": "Respiratory medicine"}],
    "/discharge-checks": CHECKS,
    "/discharges": DISCHARGES,
}


def answering(down: set[str] = frozenset(), refusing: set[str] = frozenset()):
    def handle(request: httpx.Request) -> httpx.Response:
        if request.url.host in down:
            raise httpx.ConnectError("connection refused", request=request)
        if request.url.host in refusing:
            return httpx.Response(403, json={"code": "forbidden"})
        assert request.headers["authorization"].startswith("Bearer ")
        return httpx.Response(200, json={"items": ANSWERS[request.url.path], "next_cursor": None})

    return handle


@pytest.fixture
def screening(desk):
    return desk("screening")


def wire(screening, down: set[str] = frozenset(), refusing: set[str] = frozenset()) -> None:
    """The page's clients of appointments and discharge, answered by `answering`."""
    handle = answering(down, refusing)
    screening.client.app.state.record_sources = RecordSources(
        service_client(handle, "http://appointments.test"),
        service_client(handle, "http://discharge.test"),
        1.0,
    )


def arrange(screening, person_id: str, person: dict, *results: dict) -> None:
    assert screening.api(
        "PUT", f"/persons/{person_id}", "integration", json=person
    ).status_code in (
        200,
        201,
    )
    for item in results:
        answer = screening.api("POST", "/results", "integration", json=item)
        assert answer.status_code in (200, 201), answer.text


def test_an_outpatient_with_a_final_positive_is_not_shown_as_all_clear(screening):
    arrange(screening, "O003", OUTPATIENT, result("NA-9", "O003", "positive"))
    wire(screening)
    page = screening.as_("nurse").get("/ui/persons/O003")
    assert page.status_code == 200
    words = text_of(page.text)
    assert 'id="positives"' in page.text and "✕ Positive result" in words
    assert "Nucleic acid test positive, specimen collected" in words
    assert "Nothing required" not in words
    assert 'class="outcome good"' not in page.text
    assert 'data-result="NA-9"' in page.text  # the result itself is listed
    assert "Respiratory medicine (RESP)" in words  # the department's name beside its code


def test_the_positive_banner_zh(screening):
    arrange(screening, "O003", OUTPATIENT, result("NA-9", "O003", "positive"))
    wire(screening)
    page = screening.as_("nurse").get("/ui/persons/O003", headers={"Accept-Language": "zh-CN"})
    words = text_of(page.text)
    assert "阳性结果" in words and "无需检测" not in words


def test_a_correction_shows_the_superseded_value_struck(screening):
    arrange(
        screening,
        "O003",
        OUTPATIENT,
        result("NA-9", "O003", "positive"),
        result("NA-9", "O003", "negative", status="corrected", hours_ago=2.0),
    )
    wire(screening)
    page = screening.as_("nurse").get("/ui/persons/O003")
    history = page.text[page.text.index('data-result="NA-9"') :]
    assert re.search(r'class="version superseded" data-version="1">\s*<del>', history)
    assert "replaced by version 2" in text_of(history)
    assert 'id="positives"' not in page.text  # the corrected negative stands
    timeline = text_of(page.text[page.text.index('id="timeline"') :])
    assert "corrects version 1 Positive" in timeline


def test_the_timeline_tells_the_stay_newest_first(screening):
    arrange(
        screening,
        "P-1",
        INPATIENT,
        result("NA-1", "P-1", "positive", hours_ago=20),
    )
    wire(screening)
    page = screening.as_("infection_control").get("/ui/persons/P-1")
    kinds = re.findall(r'data-kind="(\w+)"', page.text)
    # The positive isolated the patient when it was posted (issue 19): the newest entry.
    assert kinds == [
        "isolated",
        "discharge_attempt",
        "discharge_check",
        "result",
        "check_in",
        "admission",
    ]
    words = text_of(page.text[page.text.index('id="timeline"') :])
    assert "Sent to the fever clinic" in words and "38.2 °C" in words
    assert "Respiratory medicine (RESP)" in words
    assert "two negatives at least 24 hours apart" in words  # the check's reason
    assert "Nucleic acid test: the latest result is positive." in words
    assert "Admission time" in text_of(page.text)


def test_when_appointments_is_down_the_page_says_so_and_shows_the_rest(screening):
    arrange(screening, "P-1", INPATIENT, result("NA-1", "P-1", "negative", hours_ago=20))
    wire(screening, down={"appointments.test"})
    page = screening.as_("infection_control").get("/ui/persons/P-1")
    assert page.status_code == 200
    words = text_of(page.text)
    assert "The appointments service cannot be reached right now." in words
    assert "Not shown: check-ins, virtual visits, department names." in words
    kinds = re.findall(r'data-kind="(\w+)"', page.text)
    assert kinds == ["discharge_attempt", "discharge_check", "result", "admission"]
    zh = screening.get("/ui/persons/P-1", headers={"Accept-Language": "zh-CN"})
    assert "预约服务暂时无法访问。未显示：签到记录、视频探视、科室名称。" in text_of(zh.text)  # noqa: RUF001


def test_admitted_at_reads_as_admission_time_in_chinese(screening):
    arrange(screening, "P-1", INPATIENT)
    wire(screening)
    page = screening.as_("nurse").get("/ui/persons/P-1", headers={"Accept-Language": "zh-CN"})
    words = text_of(page.text)
    assert "入院时间" in words and "准予入内" not in words


def test_a_discharge_carried_here_ends_the_admission_on_the_page(screening):
    arrange(screening, "P-1", INPATIENT)
    end = {
        "discharge_id": 5,
        "patient_external_id": "P-1",
        "admitted_at": INPATIENT["admitted_at"],
        "discharged_at": at(0.3),
        "disposition": "home",
        "outcome": "discharged",
    }
    assert screening.api("POST", "/admission-ends", "integration", json=end).status_code == 201
    wire(screening)
    page = screening.as_("nurse").get("/ui/persons/P-1", headers={"Accept-Language": "zh-CN"})
    words = text_of(page.text)
    assert re.search(r"出院时间 \d{4}-\d\d-\d\d \d\d:\d\d · 回家", words)
    assert "首页" not in words.split("退出登录", 1)[1]  # "home" is going home, not a web page
    assert re.findall(r'data-kind="(\w+)"', page.text)[0] == "discharged"
    assert "出院：回家" in words  # noqa: RUF001
    assert "以下住院患者检测要求不再适用" in words and "不符合要求" not in words
    assert "/ui/check?" not in page.text  # no discharge check offered after the discharge
    assert "/ui/virtual-visits/new" not in page.text


def test_records_the_caller_may_not_read_are_named_not_silently_left_out(screening):
    arrange(screening, "P-1", INPATIENT)
    wire(screening, refusing={"discharge.test"})
    page = screening.as_("nurse").get("/ui/persons/P-1")
    words = text_of(page.text)
    assert "Your role may not read these records: discharge checks, discharge records." in words
    assert re.findall(r'data-kind="(\w+)"', page.text) == ["check_in", "admission"]


def test_the_search_list_names_departments_beside_their_codes(screening):
    arrange(screening, "O003", OUTPATIENT)
    arrange(screening, "O004", {**OUTPATIENT, "name": "Wang Wei"})
    wire(screening)
    page = screening.as_("nurse").get("/ui/persons?q=Wang")
    assert text_of(page.text).count("Respiratory medicine (RESP)") == 2
    wire(screening, down={"appointments.test"})
    assert "<td>RESP</td>" in screening.get("/ui/persons?q=Wang").text  # the code, at least


def test_a_service_that_hangs_costs_the_page_one_short_deadline(screening):
    arrange(screening, "P-1", INPATIENT)
    answer = answering()

    async def slow(request: httpx.Request) -> httpx.Response:
        if request.url.host == "appointments.test":
            await asyncio.sleep(10)
        return answer(request)

    screening.client.app.state.record_sources = RecordSources(
        service_client(slow, "http://appointments.test"),
        service_client(slow, "http://discharge.test"),
        0.5,
    )
    started = time.monotonic()
    page = screening.as_("infection_control").get("/ui/persons/P-1")
    assert time.monotonic() - started < 5
    assert "The appointments service cannot be reached right now." in text_of(page.text)
    assert "discharge_check" in re.findall(r'data-kind="(\w+)"', page.text)


def test_the_registration_form_offers_the_known_departments(screening):
    wire(screening)
    form = screening.as_("nurse").get("/ui/persons/new")
    assert 'list="department-codes"' in form.text
    assert '<option value="RESP">Respiratory medicine</option>' in form.text
