"""A discharge reaches screening through the outbox (in process, on both databases): the
worker delivers it, a redelivery is applied once, and the check then says already_discharged."""

from __future__ import annotations

import json
import time
from datetime import datetime

from sqlalchemy import create_engine, select, update
from sqlmodel import Session

from services.discharge.admission_sync.repository import PendingEnd, pending_count
from services.discharge.models import outbox_table
from tests.support.transports import service_client


def _wired(gate):
    """Point the discharge app's admission-end worker at the in-process screening app."""
    worker = gate.discharge.app.state.admission_sync
    worker.http = service_client(gate.ward.screening)
    token = gate.idp.token("integration", sub="service:discharge-sync", ttl_s=600)
    worker._settings = worker._settings.model_copy(update={"wardgate_service_token": token})
    return worker


def _admission(gate, pid, timeout_s=10.0):
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        r = gate.ward.screening.get(f"/persons/{pid}", headers=gate.ward.headers)
        admission = r.json()["admission"]
        if admission["discharged_at"] is not None:
            return admission
        time.sleep(0.05)
    raise AssertionError(f"the discharge of {pid} did not reach screening")


def _check(gate, pid):
    r = gate.discharge.post(
        "/discharge-checks", json={"patient_external_id": pid}, headers=gate.as_("nurse")
    )
    assert r.status_code == 200, r.text
    return r.json()


def test_a_discharge_reaches_screening_once_and_the_check_says_already_discharged(gate):
    worker = _wired(gate)
    gate.ward.clean_patient("P1")
    assert _check(gate, "P1")["eligible"] is True
    r = gate.discharge.post(
        "/discharges",
        json={"patient_external_id": "P1", "disposition": "home"},
        headers=gate.as_("nurse"),
    )
    assert r.status_code == 201, r.text
    # The check knows at once (the discharge service's own record of the admission).
    check = _check(gate, "P1")
    assert check["eligible"] is False
    assert [x["code"] for x in check["reasons"]] == ["already_discharged"]
    admission = _admission(gate, "P1")
    assert admission["disposition"] == "home"
    # Delivered again (a worker that died before marking it): applied once.
    end = PendingEnd(0, 0, r.json()["id"], "P1", r.json()["admission_key"], "home",
                     "discharged", _created_at(r))  # fmt: skip
    assert gate.discharge.portal.call(worker._post, end) is None
    assert _admission(gate, "P1") == admission
    audit = gate.ward.screening.get(
        "/audit", params={"action": "admission.end"}, headers=gate.as_("auditor")
    )
    assert len(audit.json()["items"]) == 1
    listed = gate.discharge.get(
        "/discharge-checks", params={"patient_external_id": "P1"}, headers=gate.as_("auditor")
    )
    assert listed.status_code == 200, listed.text
    items = listed.json()["items"]
    assert [(c["eligible"], [x["code"] for x in c["reasons"]]) for c in items] == [
        (False, ["already_discharged"]),
        (True, []),
    ]
    assert items[0]["actor"] and items[0]["check_id"] > items[1]["check_id"]
    trail = gate.discharge.get(
        "/audit", params={"action": "discharge.check"}, headers=gate.as_("auditor")
    ).json()["items"]
    newest = max(trail, key=lambda row: row["id"])
    assert newest["outcome"] == "not_eligible"
    detail = newest["detail"]
    detail = json.loads(detail) if isinstance(detail, str) else detail
    assert detail["reasons"] == ["already_discharged"]
    assert detail["check_id"] == items[0]["check_id"]


def _created_at(response):
    return datetime.fromisoformat(response.json()["created_at"])


def test_an_exception_is_carried_too_and_a_blocked_attempt_is_not(gate, database_url):
    _wired(gate)
    gate.ward.person("P2")  # no results: blocked for home, an exception for infection control
    blocked = gate.discharge.post(
        "/discharges",
        json={"patient_external_id": "P2", "disposition": "home"},
        headers=gate.as_("nurse"),
    )
    assert blocked.status_code == 409
    engine = create_engine(database_url("discharge"))
    with Session(engine) as session:
        assert pending_count(session) == 0
        assert list(session.connection().execute(select(outbox_table.c.id))) == []
    r = gate.discharge.post(
        "/discharges",
        json={"patient_external_id": "P2", "disposition": "death", "reason": "died on the ward"},
        headers=gate.as_("infection_control"),
    )
    assert r.status_code == 201, r.text
    assert _admission(gate, "P2")["disposition"] == "death"
    with Session(engine) as session:
        assert pending_count(session) == 0
    engine.dispose()


def test_an_end_waits_while_screening_cannot_take_it(gate, database_url):
    worker = _wired(gate)
    worker.http = service_client(lambda request: __import__("httpx").Response(503))
    gate.ward.clean_patient("P3")
    r = gate.discharge.post(
        "/discharges",
        json={"patient_external_id": "P3", "disposition": "transfer"},
        headers=gate.as_("doctor"),
    )
    assert r.status_code == 201, r.text
    engine = create_engine(database_url("discharge"))
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        with Session(engine) as session:
            row = session.connection().execute(select(outbox_table)).one()
        if row.attempts >= 1:
            break
        time.sleep(0.05)
    assert row.delivered_at is None and "503" in row.last_error
    worker.http = service_client(gate.ward.screening)  # screening is back
    with Session(engine) as session:  # due now rather than after the back-off
        session.connection().execute(update(outbox_table).values(next_attempt_at=row.created_at))
        session.commit()
    worker.wake()
    assert _admission(gate, "P3")["disposition"] == "transfer"
    engine.dispose()
