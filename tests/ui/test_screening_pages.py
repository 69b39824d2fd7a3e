"""The screening pages: find, status in words, register, record results, compliance."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tests.ui.conftest import text_of

INPATIENT = {
    "external_id": "P-100",
    "name": "Li Lei",
    "category": "inpatient",
    "department": "resp",
    "ward": "W3",
    "admitted_at": "2026-11-01T08:00",
    "patient_external_id": "",
    "phone": "13800000000",
    "id_number": "110101199001011234",
}
TESTS = {
    "nucleic_acid": "negative",
    "antibody_igm": "negative",
    "antibody_igg": "negative",
    "chest_ct": "normal",
    "blood_routine": "normal",
}


@pytest.fixture
def screening(desk):
    return desk("screening")


def register(screening, **over):
    return screening.post("/ui/persons", {**INPATIENT, **over})


def local_now() -> str:
    return (datetime.now(UTC) + timedelta(hours=8) - timedelta(minutes=5)).strftime(
        "%Y-%m-%dT%H:%M"
    )


def record(screening, test_type, result, **over):
    form = {
        "test_type": test_type,
        "result": result,
        "status": "final",
        "specimen_collected_at": local_now(),
        "external_id": "",
        **over,
    }
    return screening.post("/ui/persons/P-100/results", form)


def test_a_nurse_registers_an_inpatient_and_sees_what_is_missing(screening):
    screening.as_("nurse")
    saved = register(screening)
    assert saved.status_code == 303
    assert saved.headers["location"] == "/ui/persons/P-100?saved=created"
    page = screening.get(saved.headers["location"])
    words = text_of(page.text)
    assert "The person is registered." in words and "Not compliant" in words
    assert page.text.count('data-state="missing"') == 5
    assert "13800000000" in page.text  # ward staff see the full phone
    person = screening.api("GET", "/persons/P-100").json()
    assert person["admitted_at"] == "2026-11-01T00:00:00Z"  # 08:00 hospital time
    assert person["ward"] == "W3" and person["category"] == "inpatient"


def test_five_results_make_the_status_compliant(screening):
    screening.as_("nurse")
    register(screening)
    for test_type, result in TESTS.items():
        extra = (
            {"value_wbc": "6.1", "value_lymphocytes": "1.8"} if test_type == "blood_routine" else {}
        )
        answer = record(screening, test_type, result, **extra)
        assert answer.status_code == 303, text_of(answer.text)
    page = screening.get("/ui/persons/P-100")
    assert "✓ Compliant" in text_of(page.text)
    assert page.text.count('data-state="ok"') == 5
    blood = screening.api("GET", "/persons/P-100/results?test_type=blood_routine").json()
    assert blood["items"][0]["values"] == {
        "lymphocytes": {"value": 1.8, "unit": "10^9/L"},
        "wbc": {"value": 6.1, "unit": "10^9/L"},
    }


def test_the_result_form_adapts_to_the_test_type(screening):
    screening.as_("nurse")
    register(screening)
    step_one = screening.get("/ui/persons/P-100/results/new")
    assert 'name="result"' not in step_one.text and 'name="test_type"' in step_one.text
    ct = screening.get("/ui/persons/P-100/results/new?test_type=chest_ct")
    assert 'value="normal"' in ct.text and 'value="negative"' not in ct.text
    assert "value_wbc" not in ct.text
    blood = screening.get("/ui/persons/P-100/results/new?test_type=blood_routine")
    assert 'name="value_wbc"' in blood.text and 'for="value_wbc"' in blood.text
    pcr = screening.get("/ui/persons/P-100/results/new?test_type=nucleic_acid")
    assert 'value="indeterminate"' in pcr.text
    assert screening.get("/ui/persons/P-100/results/new?test_type=x-ray").status_code == 422


@pytest.mark.parametrize(
    ("over", "field", "message"),
    [
        ({"name": ""}, "name", "Please fill this in."),
        ({"external_id": "bad id!"}, "external_id", "Use letters, digits"),
        ({"category": "visitor"}, "category", "Choose one of the options."),
        ({"category": "staff"}, "admitted_at", "Only inpatients have an admission time."),
        ({"category": "caregiver", "admitted_at": ""}, "patient_external_id", "A caregiver needs"),
        ({"admitted_at": "yesterday"}, "admitted_at", "Enter a date and time."),
        ({"phone": "call me"}, "phone", "This is not in the expected format."),
        ({"name": "x" * 201}, "name", "This is too long."),
        ({"name": "a\x00b"}, "name", "This value is not valid."),
    ],
)
def test_registration_errors_are_shown_next_to_the_field(screening, over, field, message):
    screening.as_("doctor")
    answer = register(screening, **over)
    assert answer.status_code == 422
    assert f'id="{field}-error"' in answer.text
    assert message in text_of(answer.text)
    assert (
        f'aria-describedby="{field}-error"' in answer.text
        or f"{field}-hint {field}-error" in answer.text
    )
    assert screening.api("GET", "/persons/P-100").status_code == 404


def test_a_caregiver_must_escort_a_registered_inpatient(screening):
    screening.as_("nurse")
    answer = register(
        screening,
        external_id="C-1",
        category="caregiver",
        admitted_at="",
        patient_external_id="P-404",
    )
    assert answer.status_code == 422
    assert "The escorted patient must be a registered inpatient." in text_of(answer.text)


def test_result_errors_are_shown_in_the_form(screening):
    screening.as_("nurse")
    register(screening)
    future = (datetime.now(UTC) + timedelta(days=2, hours=8)).strftime("%Y-%m-%dT%H:%M")
    late = record(screening, "nucleic_acid", "negative", specimen_collected_at=future)
    assert late.status_code == 422 and "This time is in the future." in text_of(late.text)
    wrong = record(screening, "chest_ct", "negative")
    assert wrong.status_code == 422 and 'id="result-error"' in wrong.text
    nan = record(screening, "blood_routine", "normal", value_wbc="lots")
    assert nan.status_code == 422 and 'id="value_wbc-error"' in nan.text
    assert screening.api("GET", "/persons/P-100/results").json()["items"] == []


def test_a_different_result_under_a_known_number_is_refused_in_words(screening):
    screening.as_("nurse")
    register(screening)
    assert record(screening, "nucleic_acid", "negative", external_id="LAB-1").status_code == 303
    clash = record(screening, "nucleic_acid", "positive", external_id="LAB-1")
    assert clash.status_code == 409
    assert "A different result is already stored under this result number." in text_of(clash.text)


def test_finding_a_person_by_name_or_id(screening):
    screening.as_("nurse")
    register(screening)
    register(screening, external_id="P-101", name="Li Na")
    found = screening.get("/ui/persons?q=Li")
    assert found.status_code == 200
    assert "/ui/persons/P-100" in found.text and "/ui/persons/P-101" in found.text
    exact = screening.get("/ui/persons?q=P-101", follow_redirects=False)
    assert exact.status_code == 303 and exact.headers["location"] == "/ui/persons/P-101"
    assert "Nobody matches" in text_of(screening.get("/ui/persons?q=%25").text)
    assert screening.get("/ui/persons?q=a%00b").status_code == 422
    assert screening.get("/ui/persons/nobody").status_code == 404
    assert screening.get("/ui/persons/bad%20id").status_code == 404


def test_auditors_read_status_with_masked_identity_but_cannot_write(screening):
    screening.as_("nurse")
    register(screening)
    screening.as_("auditor")
    page = screening.get("/ui/persons/P-100")
    assert page.status_code == 200
    assert "13800000000" not in page.text and "Record a result" not in page.text
    assert screening.get("/ui/persons/new").status_code == 403
    assert screening.post("/ui/persons", {**INPATIENT, "name": "Changed"}).status_code == 403
    assert screening.api("GET", "/persons/P-100").json()["name"] == "Li Lei"


def test_forms_without_their_csrf_token_change_nothing(screening):
    screening.as_("nurse")
    refused = screening.post("/ui/persons", INPATIENT, token=False)
    assert refused.status_code == 403
    assert screening.api("GET", "/persons/P-100").status_code == 404


def test_signed_out_visitors_are_sent_to_sign_in(screening):
    answer = screening.get("/ui/persons/P-100", follow_redirects=False)
    assert answer.status_code == 303 and answer.headers["location"].startswith("/ui/?next=")


def test_the_noncompliant_are_listed_by_department_for_auditors(screening):
    screening.as_("nurse")
    register(screening)
    register(screening, external_id="S-1", category="staff", department="icu", admitted_at="")
    register(screening, external_id="O-1", category="outpatient", department="icu", admitted_at="")
    assert screening.get("/ui/compliance").status_code == 403
    screening.as_("auditor")
    page = screening.get("/ui/compliance")
    assert page.status_code == 200
    words = text_of(page.text)
    assert "Not compliant: 2" in words
    assert "Department icu" in words and "Department resp" in words
    assert "/ui/persons/O-1" not in page.text  # outpatients need nothing
    only_icu = screening.get("/ui/compliance?department=icu")
    assert "/ui/persons/S-1" in only_icu.text and "/ui/persons/P-100" not in only_icu.text
    assert screening.get("/ui/compliance?department=a%00").status_code == 422
    assert screening.get("/ui/compliance?cursor=nonsense").status_code == 422


def test_pages_speak_chinese(screening):
    screening.as_("nurse")
    register(screening)
    page = screening.get("/ui/persons/P-100", headers={"Accept-Language": "zh-CN"})
    assert "核酸" in page.text and "筛查" in page.text


@pytest.mark.parametrize(("role", "linked"), [("doctor", True), ("nurse", False)])
def test_the_status_page_links_the_exposure_list_for_the_roles_that_may_read_it(
    screening, role, linked
):
    screening.as_("nurse")
    register(screening)
    page = screening.as_(role).get("/ui/persons/P-100")
    assert ('href="/ui/persons/P-100/exposures"' in page.text) is linked
