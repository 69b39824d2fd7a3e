"""The reviews page /ui/reviews (both databases): infection control reads the trigger in words
and closes a review with the form; auditors read without the form; nurses are refused; a form
without its CSRF token, without a resolution, or for a closed review is refused in words."""

from __future__ import annotations

import re

from tests.discharge.conftest import ago
from tests.discharge.test_reviews import Follower, _discharge
from tests.ui.conftest import Desk, text_of


def _opened(gate) -> tuple[dict, str]:
    evidence = gate.ward.clean_patient("P1")
    record = _discharge(gate, "P1")
    nucleic_acid = evidence["nucleic_acid"]
    gate.ward.result("P1", "nucleic_acid", "positive", ago(hours=1), "corrected", nucleic_acid)
    assert Follower(gate).round() == 1
    return record, nucleic_acid


def test_infection_control_reads_the_trigger_and_closes_the_review(gate):
    record, nucleic_acid = _opened(gate)
    desk = Desk(gate.discharge, gate.idp).as_("infection_control", sub="ic-li")
    page = desk.get("/ui/reviews")
    assert page.status_code == 200, page.text
    text = text_of(page.text)
    assert f"Result {nucleic_acid}, which this discharge relied on, was corrected" in text
    assert "Zhang San" in text and "P1" in text
    assert f'href="/ui/discharges/{record["id"]}"' in page.text
    (review_id,) = re.findall(r'action="/ui/reviews/(\d+)/close"', page.text)

    blank = desk.post(f"/ui/reviews/{review_id}/close", {"resolution": "", "note": ""})
    assert blank.status_code == 422
    assert "Choose a resolution and write a note." in text_of(blank.text)
    no_token = desk.post(
        f"/ui/reviews/{review_id}/close",
        {"resolution": "no_action", "note": "Checked."},
        token=False,
    )
    assert no_token.status_code == 403

    done = desk.post(
        f"/ui/reviews/{review_id}/close",
        {"resolution": "public_health_notified", "note": "Reported to the CDC."},
    )
    assert done.status_code == 303
    assert done.headers["location"] == f"/ui/reviews?closed={review_id}"
    after = text_of(desk.get(done.headers["location"]).text)
    assert f"Review {review_id} closed." in after and "No discharge waits for a review." in after
    closed = text_of(desk.get("/ui/reviews?state=closed").text)
    assert "Public health notified" in closed and "Reported to the CDC." in closed
    assert "ic-li" in closed

    again = desk.post(
        f"/ui/reviews/{review_id}/close", {"resolution": "no_action", "note": "Again."}
    )
    assert again.status_code == 409
    assert "This review was already closed." in text_of(again.text)
    api = gate.discharge.get("/discharge-reviews", headers=gate.as_("auditor")).json()
    assert [(i["resolution"], i["note"]) for i in api["items"]] == [
        ("public_health_notified", "Reported to the CDC.")
    ]


def test_auditors_read_without_the_form_and_nurses_are_refused(gate):
    _opened(gate)
    desk = Desk(gate.discharge, gate.idp).as_("auditor")
    page = desk.get("/ui/reviews")
    assert page.status_code == 200
    assert "was corrected" in text_of(page.text) and "/close" not in page.text
    refused = desk.post("/ui/reviews/1/close", {"resolution": "no_action", "note": "x"})
    assert refused.status_code == 403
    desk.as_("nurse")
    assert desk.get("/ui/reviews").status_code == 403


def test_the_page_speaks_chinese(gate):
    _opened(gate)
    desk = Desk(gate.discharge, gate.idp).as_("infection_control")
    page = desk.get("/ui/reviews", headers={"Accept-Language": "zh-CN"})
    text = text_of(page.text)
    assert "出院复核" in text and "在出院后被更正" in text and "结束复核" in text
