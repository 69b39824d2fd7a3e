"""Discharge reviews (both databases): the follower reads screening's result change feed and
opens a review when a later version puts a `discharged` record in doubt; each review once,
across restarts; infection control closes it; the compliance report counts open ones."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
import pytest
from sqlalchemy import select

from services.discharge.reviews.follower import FeedUnavailable, ResultFollower
from services.discharge.reviews.tables import cursor_table
from tests.discharge.conftest import ago
from tests.support.transports import service_client


class Follower:
    """The result follower of the discharge app, reading the in-process screening app."""

    def __init__(self, gate, feed=None) -> None:
        self.gate = gate
        app = gate.discharge.app
        token = gate.idp.token("integration", sub="service:discharge-reviews", ttl_s=600)
        settings = app.state.settings.model_copy(update={"wardgate_service_token": token})
        downstream = feed if feed is not None else gate.ward.screening
        self.worker = ResultFollower(app.state.engine, settings, service_client(downstream))

    def round(self) -> int:
        return int(self.gate.discharge.portal.call(self.worker.follow_once))


@pytest.fixture
def follower(gate) -> Follower:
    return Follower(gate)


def _discharge(gate, pid: str) -> dict:
    r = gate.discharge.post(
        "/discharges",
        json={"patient_external_id": pid, "disposition": "home"},
        headers=gate.as_("nurse"),
    )
    assert r.status_code == 201, r.text
    return dict(r.json())


def _reviews(gate, state: str | None = None) -> list[dict]:
    params = {"state": state} if state else {}
    r = gate.discharge.get(
        "/discharge-reviews", params=params, headers=gate.as_("infection_control")
    )
    assert r.status_code == 200, r.text
    return list(r.json()["items"])


def _triggers(gate) -> list[tuple[int, str, str, int, str]]:
    return [
        (
            i["discharge_id"],
            i["patient_external_id"],
            i["trigger"]["result_external_id"],
            i["trigger"]["version"],
            i["trigger"]["change"],
        )
        for i in _reviews(gate)
    ]


def test_a_correction_of_the_evidence_after_discharge_opens_a_review(gate, follower):
    evidence = gate.ward.clean_patient("P1")
    record = _discharge(gate, "P1")
    assert follower.round() == 0
    nucleic_acid = evidence["nucleic_acid"]
    gate.ward.result("P1", "nucleic_acid", "positive", ago(hours=1), "corrected", nucleic_acid)

    assert follower.round() == 1

    assert _triggers(gate) == [(record["id"], "P1", nucleic_acid, 2, "corrected")]
    (review,) = _reviews(gate, "open")
    assert review["state"] == "open" and review["resolution"] is None
    opened = datetime.fromisoformat(review["opened_at"])
    assert abs(opened - datetime.now(UTC)) < timedelta(minutes=1)
    assert _reviews(gate, "closed") == []


def test_a_void_of_the_evidence_opens_a_voided_review(gate, follower):
    evidence = gate.ward.clean_patient("P1")
    record = _discharge(gate, "P1")
    igg = evidence["antibody_igg"]
    gate.ward.result("P1", "antibody_igg", None, ago(hours=1), "entered_in_error", igg)
    follower.round()
    assert _triggers(gate) == [(record["id"], "P1", igg, 2, "voided")]


@pytest.mark.parametrize(
    ("collected_days_before", "opens"),
    [(2, True), (13.9, True), (14.5, False), (20, False)],
)
def test_a_late_positive_collected_within_14_days_before_the_discharge_opens_a_review(
    gate, follower, collected_days_before, opens
):
    gate.ward.clean_patient("P1")
    record = _discharge(gate, "P1")
    late = gate.ward.result("P1", "nucleic_acid", "positive", ago(days=collected_days_before))
    follower.round()
    expected = [(record["id"], "P1", late, 1, "late_positive")] if opens else []
    assert _triggers(gate) == expected


def test_a_late_positive_of_another_patient_or_an_antibody_opens_none(gate, follower):
    gate.ward.clean_patient("P1")
    gate.ward.person("P2")
    _discharge(gate, "P1")
    gate.ward.result("P2", "nucleic_acid", "positive", ago(days=1))
    gate.ward.result("P1", "antibody_igm", "positive", ago(days=1))
    gate.ward.result("P1", "nucleic_acid", "positive", ago(days=1), status="preliminary")
    follower.round()
    assert _reviews(gate) == []


def test_a_change_to_a_result_in_no_evidence_opens_none(gate, follower):
    gate.ward.person("P1")
    old = gate.ward.result("P1", "nucleic_acid", "negative", ago(days=5))  # superseded below
    gate.ward.clean_patient("P1")
    record = _discharge(gate, "P1")
    assert old not in {e["result_external_id"] for e in record["evidence"]}
    gate.ward.result("P1", "nucleic_acid", "negative", ago(days=5), "corrected", old)
    follower.round()
    assert _reviews(gate) == []


def test_a_blocked_attempt_is_never_reviewed(gate, follower):
    gate.ward.person("P1")
    positive = gate.ward.result("P1", "nucleic_acid", "positive", ago(hours=2))
    for test_type in ("antibody_igm", "antibody_igg"):
        gate.ward.result("P1", test_type, "negative", ago(hours=2))
    r = gate.discharge.post(
        "/discharges",
        json={"patient_external_id": "P1", "disposition": "home"},
        headers=gate.as_("nurse"),
    )
    assert r.status_code == 409, r.text
    gate.ward.result("P1", "nucleic_acid", "negative", ago(hours=2), "corrected", positive)
    gate.ward.result("P1", "nucleic_acid", "positive", ago(hours=1))  # a positive, too
    follower.round()
    assert _reviews(gate) == []


def test_nothing_is_lost_or_opened_twice_across_a_follower_restart(gate, follower):
    evidence = gate.ward.clean_patient("P1")
    _discharge(gate, "P1")
    nucleic_acid = evidence["nucleic_acid"]
    gate.ward.result("P1", "nucleic_acid", "positive", ago(hours=1), "corrected", nucleic_acid)
    assert follower.round() == 1
    assert follower.round() == 0  # the trailing window re-reads it: not opened again

    # The service restarts: a new follower, the same database. A change made while it was
    # down is applied; the old one is not applied again.
    igm = evidence["antibody_igm"]
    gate.ward.result("P1", "antibody_igm", None, ago(hours=1), "entered_in_error", igm)
    restarted = Follower(gate)
    assert restarted.round() == 1
    assert restarted.round() == 0
    assert sorted(t[4] for t in _triggers(gate)) == ["corrected", "voided"]
    with gate.discharge.app.state.engine.connect() as connection:
        (position,) = connection.execute(select(cursor_table)).all()
    assert position.high_water is not None


def _feed_item(result_id: str, version: int, status: str, recorded_at: datetime) -> dict:
    return {
        "result_external_id": result_id,
        "version": version,
        "replaces": version - 1,
        "person_external_id": "P1",
        "test_type": "nucleic_acid",
        "result": "positive",
        "status": status,
        "method": "individual",
        "specimen_collected_at": ago(hours=1),
        "recorded_at": recorded_at.isoformat(),
    }


def test_a_version_committed_out_of_order_is_still_applied(gate):
    """A version whose `recorded_at` is older than one already read (its transaction committed
    later) shows up on a later round: the follower re-reads a trailing window."""
    evidence = gate.ward.clean_patient("P1")
    record = _discharge(gate, "P1")
    now = datetime.now(UTC)
    served: list[dict] = [
        _feed_item(evidence["antibody_igm"], 2, "corrected", now - timedelta(seconds=1))
    ]
    asked: list[str | None] = []

    def feed(request: httpx.Request) -> httpx.Response:
        since = request.url.params.get("since")
        asked.append(since)
        start = datetime.fromisoformat(since) if since else None
        items = [i for i in served if start is None or i["recorded_at"] >= start.isoformat()]
        return httpx.Response(200, json={"items": items, "next_cursor": None})

    follower = Follower(gate, feed)
    assert follower.round() == 1
    served.append(_feed_item(evidence["nucleic_acid"], 2, "corrected", now - timedelta(seconds=30)))
    assert follower.round() == 1
    assert asked[0] is None and asked[1] is not None
    assert {(t[0], t[2]) for t in _triggers(gate)} == {
        (record["id"], evidence["antibody_igm"]),
        (record["id"], evidence["nucleic_acid"]),
    }


def test_screening_down_the_round_fails_and_the_service_stays_healthy(gate):
    def down(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    follower = Follower(gate, down)
    with pytest.raises(FeedUnavailable):
        follower.round()
    assert gate.discharge.get("/health").status_code == 200
    wrong = Follower(gate, lambda request: httpx.Response(200, json={"rows": []}))
    with pytest.raises(FeedUnavailable):
        wrong.round()
    with gate.discharge.app.state.engine.connect() as connection:
        assert connection.execute(select(cursor_table)).all() == []  # the position stays


def test_infection_control_closes_a_review_once_and_the_report_counts_open_ones(gate, follower):
    evidence = gate.ward.clean_patient("P1")
    _discharge(gate, "P1")
    igg = evidence["antibody_igg"]
    gate.ward.result("P1", "antibody_igg", None, ago(hours=1), "entered_in_error", igg)
    follower.round()
    (review,) = _reviews(gate, "open")
    report = gate.discharge.get("/compliance/discharges", headers=gate.as_("auditor"))
    assert report.status_code == 200 and report.json()["open_reviews"] == 1
    url = f"/discharge-reviews/{review['id']}/close"
    body = {"resolution": "patient_recalled", "note": "Called back for a repeat test."}

    assert gate.discharge.post(url, json=body, headers=gate.as_("nurse")).status_code == 403
    assert gate.discharge.post(url, json=body, headers=gate.as_("auditor")).status_code == 403
    bad = gate.discharge.post(
        url, json={**body, "resolution": "forgotten"}, headers=gate.as_("infection_control")
    )
    assert bad.status_code == 422, bad.text
    blank = gate.discharge.post(
        url, json={**body, "note": "  "}, headers=gate.as_("infection_control")
    )
    assert blank.status_code == 422, blank.text
    extra = gate.discharge.post(
        url, json={**body, "state": "closed"}, headers=gate.as_("infection_control")
    )
    assert extra.status_code == 422, extra.text

    r = gate.discharge.post(url, json=body, headers=gate.as_("infection_control", sub="ic-li"))
    assert r.status_code == 200, r.text
    closed = r.json()
    assert closed["state"] == "closed" and closed["resolution"] == "patient_recalled"
    assert closed["note"] == body["note"] and closed["closed_by"] == "ic-li"
    again = gate.discharge.post(url, json=body, headers=gate.as_("infection_control"))
    assert again.status_code == 409 and again.json()["code"] == "review_closed"
    missing = gate.discharge.post(
        "/discharge-reviews/999999/close", json=body, headers=gate.as_("infection_control")
    )
    assert missing.status_code == 404, missing.text

    assert _reviews(gate, "open") == []
    assert [i["id"] for i in _reviews(gate, "closed")] == [review["id"]]
    report = gate.discharge.get("/compliance/discharges", headers=gate.as_("auditor"))
    assert report.json()["open_reviews"] == 0
    audit = gate.discharge.get(
        "/audit", params={"action": "review.close"}, headers=gate.as_("auditor")
    ).json()["items"]
    assert [(a["actor"], a["resource"]) for a in audit] == [
        ("ic-li", f"discharge-review/{review['id']}")
    ]
    opened = gate.discharge.get(
        "/audit", params={"action": "review.open"}, headers=gate.as_("auditor")
    ).json()["items"]
    assert [a["actor"] for a in opened] == ["service:discharge-reviews"]


def test_who_may_list_reviews(gate):
    for role in ("infection_control", "auditor", "admin"):
        r = gate.discharge.get("/discharge-reviews", headers=gate.as_(role))
        assert r.status_code == 200, (role, r.text)
    for role in ("nurse", "doctor", "integration"):
        r = gate.discharge.get("/discharge-reviews", headers=gate.as_(role))
        assert r.status_code == 403, (role, r.text)
    r = gate.discharge.get(
        "/discharge-reviews", params={"state": "pending"}, headers=gate.as_("auditor")
    )
    assert r.status_code == 422, r.text
