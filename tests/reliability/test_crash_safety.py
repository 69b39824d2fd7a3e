"""kill -9 in the middle of the work: what was acknowledged is kept, nothing is half-written.

The screening service runs as a real process; clients stream results into it from threads
and the process is SIGKILLed mid-stream and restarted (WARDGATE_CRASH_KILLS times). Every
result acknowledged with a 2xx is stored; every stored result has its audit row and, if
positive, its alert in the outbox (one transaction); the audit chain verifies; the outbox
resumes and a real webhook receiver gets every alert. The same for the discharge service
killed during discharges: every 201 is stored with its evidence and its audit row, no
discharge lacks evidence, and a retry of an attempt cut short finds it done (409
already_discharged) or does it now, never twice.
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from itertools import count
from typing import Any

import httpx
import pytest
from sqlalchemy import create_engine, text

from tests.discharge.conftest import Ward
from tests.reliability import figures
from tests.reliability.races import count as count_rows
from tests.screening.conftest import result
from tests.screening.test_alerts import SECRET, Receiver, wait_until

pytestmark = pytest.mark.e2e
STREAMS = 3
KILLS = int(os.environ.get("WARDGATE_CRASH_KILLS", "1"))  # `make fuzz` kills more often


class Stream:
    """Client threads sending work items until the service stops answering."""

    def __init__(self, send: Callable[[httpx.Client, Any], httpx.Response], items: Iterator[Any]):
        self.send, self.items = send, items
        self.acknowledged: list[tuple[Any, dict[str, Any]]] = []
        self.lock = threading.Lock()
        self.threads = [threading.Thread(target=self._run) for _ in range(STREAMS)]

    def _next(self) -> Any:
        with self.lock:
            return next(self.items, None)

    def _run(self) -> None:
        with httpx.Client(timeout=30) as client:
            while (item := self._next()) is not None:
                try:
                    r = self.send(client, item)
                except httpx.HTTPError:
                    return  # the service is gone: this item was not acknowledged
                if 200 <= r.status_code < 300:
                    with self.lock:
                        self.acknowledged.append((item, r.json()))

    def run_until_killed(self, service: Any, after: int) -> None:
        """Start the threads, SIGKILL the service once `after` more items were acknowledged."""
        start = len(self.acknowledged)
        for t in self.threads:
            t.start()
        wait_until(lambda: len(self.acknowledged) >= start + after, timeout_s=60)
        service.stop(kill=True)
        for t in self.threads:
            t.join(timeout=60)
        self.threads = [threading.Thread(target=self._run) for _ in range(STREAMS)]


def _rows(url: str, sql: str) -> list[dict[str, Any]]:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return [dict(r._mapping) for r in conn.execute(text(sql))]
    finally:
        engine.dispose()


def _audit_verify(url: str, service: str) -> None:
    import subprocess
    import sys

    env = {**os.environ, "DATABASE_URL": url}
    for command in ("seal", "verify"):
        done = subprocess.run(
            [sys.executable, "-m", "shared.cli", "audit", command, service],
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        assert done.returncode == 0, done.stdout + done.stderr


def test_screening_killed_mid_stream_loses_nothing_acknowledged(live, idp, database_url, backend):
    hook = Receiver(statuses=[503] * 100_000)  # refuses until the last restart
    try:
        svc = live(
            "screening",
            WARDGATE_ALERT_WEBHOOKS=hook.url,
            WARDGATE_ALERT_SECRET=SECRET,
            WARDGATE_ALERT_POLL_S="0.05",
            WARDGATE_ALERT_BACKOFF_S="0.05",
            WARDGATE_ALERT_BACKOFF_MAX_S="0.2",
            WARDGATE_ALERT_LEASE_S="1",  # what the killed worker held is due again soon
        )
        headers = idp.headers("integration", sub="lis")
        person = {"name": "Li Lei", "category": "inpatient", "department": "resp", "ward": "W1"}
        assert httpx.put(f"{svc.url}/persons/K-1", json=person, headers=headers).is_success

        def send(client: httpx.Client, n: int) -> httpx.Response:
            value = "positive" if n % 3 == 0 else "negative"
            body = result(f"K-{n}", person="K-1", value=value, hours_ago=1 + n / 1000)
            return client.post(f"{svc.url}/results", json=body, headers=headers)

        stream = Stream(send, iter(count()))
        for _ in range(KILLS):
            stream.run_until_killed(svc, after=30)
            figures.record(f"crashes survived/screening/{backend}")
            svc.start()
        _results_and_their_traces_agree(database_url("screening"), stream, backend)
        _audit_verify(database_url("screening"), "screening")
        with hook.lock:
            hook.statuses.clear()  # the receiver is back: the outbox must drain into it
        _every_alert_is_delivered(database_url("screening"), hook)
    finally:
        hook.stop()


def _results_and_their_traces_agree(url: str, stream: Stream, backend: str) -> None:
    stored = {r["external_id"]: r for r in _rows(url, "SELECT * FROM screening_result")}
    acknowledged = {f"K-{n}" for n, _answer in stream.acknowledged}
    lost = acknowledged - set(stored)
    figures.record(f"results acknowledged/screening/{backend}", len(acknowledged))
    figures.record(f"results lost/screening/{backend}", len(lost))
    assert lost == set()
    audited = {
        r["resource"].split("/")[1]
        for r in _rows(url, "SELECT resource FROM audit_log WHERE action = 'result.create'")
    }
    assert audited == set(stored)  # no result without its audit row, no audit row without it
    alerted = {
        json.loads(r["payload"])["result"]["external_id"]
        for r in _rows(url, "SELECT payload FROM alert_outbox")
    }
    assert alerted == {e for e, r in stored.items() if r["result"] == "positive"}


def _every_alert_is_delivered(url: str, hook: Receiver) -> None:
    total = count_rows(url, "SELECT count(*) FROM alert_outbox")
    assert total > 0
    # The alert the killed worker was on stays leased (WARDGATE_ALERT_LEASE_S) before the
    # restarted worker takes it: still queued, not lost.
    wait_until(
        lambda: (
            count_rows(url, "SELECT count(*) FROM alert_outbox WHERE delivered_at IS NULL") == 0
        ),
        timeout_s=60,
    )
    with hook.lock:
        ids = {h["X-WardGate-Alert-Id"] for h, _body in hook.received}
    delivered = {str(r["id"]) for r in _rows(url, "SELECT id FROM alert_outbox")}
    assert delivered <= ids  # each alert reached the receiver (at least once)


def test_discharge_killed_mid_stream_never_discharges_without_evidence(
    live, idp, database_url, backend
):
    screening = live("screening")
    discharge = live("discharge", SCREENING_URL=screening.url)
    patients = [f"D-{i}" for i in range(15 * KILLS + 15)]  # enough for every kill
    with httpx.Client(base_url=screening.url, timeout=10) as http:
        ward = Ward(http, idp)
        for pid in patients:
            ward.clean_patient(pid)
    headers = idp.headers("nurse", sub="nurse-k")

    def send(client: httpx.Client, pid: str) -> httpx.Response:
        body = {"patient_external_id": pid, "disposition": "home"}
        return client.post(f"{discharge.url}/discharges", json=body, headers=headers)

    stream = Stream(send, iter(patients))
    for _ in range(KILLS):
        stream.run_until_killed(discharge, after=10)
        figures.record(f"crashes survived/discharge/{backend}")
        discharge.start()
    url = database_url("discharge")
    _discharges_and_their_evidence_agree(url, stream, backend)
    _audit_verify(url, "discharge")
    _every_patient_ends_discharged_once(
        discharge.url, headers, idp.headers("auditor"), patients, url
    )


def _discharges_and_their_evidence_agree(url: str, stream: Stream, backend: str) -> None:
    stored = {r["id"]: r for r in _rows(url, "SELECT * FROM discharge")}
    acknowledged = {answer["id"] for _pid, answer in stream.acknowledged}
    figures.record(f"discharges acknowledged/discharge/{backend}", len(acknowledged))
    figures.record(f"discharges lost/discharge/{backend}", len(acknowledged - set(stored)))
    assert acknowledged <= set(stored)
    evidence = _rows(url, "SELECT discharge_id, count(*) AS n FROM discharge_evidence GROUP BY 1")
    per_discharge = {r["discharge_id"]: r["n"] for r in evidence}
    for did, row in stored.items():
        assert row["outcome"] == "discharged"
        seen = row["evidence"] if isinstance(row["evidence"], list) else json.loads(row["evidence"])
        assert len(seen) == 3 and per_discharge.get(did) == 3, did
    audited = {
        json.loads(r["detail"])["discharge_id"]
        for r in _rows(url, "SELECT detail FROM audit_log WHERE action = 'discharge.attempt'")
    }
    assert audited == set(stored)


def _every_patient_ends_discharged_once(
    base: str, headers: dict[str, str], auditor: dict[str, str], patients: list[str], url: str
) -> None:
    for pid in patients:  # a retry of anything cut short: done once, never twice
        body = {"patient_external_id": pid, "disposition": "home"}
        r = httpx.post(f"{base}/discharges", json=body, headers=headers, timeout=30)
        assert r.status_code in (201, 409), r.text
        if r.status_code == 409:
            assert r.json()["code"] == "already_discharged"
    once = "SELECT count(*) FROM discharge WHERE outcome = 'discharged'"
    assert count_rows(url, once) == len(patients)
    report = httpx.get(f"{base}/compliance/discharges", headers=auditor, timeout=30).json()
    assert report["discharged"] == len(patients)
    assert report["discharged_without_evidence"] == 0


class Killed(BaseException):
    """The worker process ends here (kill -9): nothing after the claim runs."""


def test_an_alert_leased_by_a_killed_worker_is_delivered_by_another(
    make_client, idp, database_url, backend
):
    """Worker 1 claims and dies; worker 2 delivers everything, the dead one's alert once its
    short lease has passed, each alert exactly once."""
    from services.screening.alerts.worker import AlertDispatcher
    from services.screening.settings import ScreeningSettings
    from shared.db import make_engine
    from tests.screening.test_alerts import alerting_client

    lease_s = 1.0
    queue = make_client("screening")  # no webhooks: positives wait in the outbox
    headers = idp.headers("integration", sub="lis")
    person = {"name": "Li Lei", "category": "outpatient", "department": "resp"}
    assert queue.put("/persons/L-1", json=person, headers=headers).is_success
    for n in range(3):
        body = result(f"L-{n}", person="L-1", value="positive", hours_ago=1 + n)
        assert queue.post("/results", json=body, headers=headers).status_code == 201
    url = database_url("screening")
    engine = make_engine(url)
    dead = AlertDispatcher(
        engine,
        ScreeningSettings(
            database_url=url,
            wardgate_alert_webhooks="http://127.0.0.1:9/never",
            wardgate_alert_secret=SECRET,
            wardgate_alert_lease_s=lease_s,
        ),
    )

    def killed(_alert: object) -> None:
        raise Killed

    dead._deliver = killed  # type: ignore[method-assign]
    claimed_at = datetime.now(UTC)
    with pytest.raises(Killed):
        dead.deliver_due()
    engine.dispose()
    leased = [
        r
        for r in _rows(url, "SELECT id, next_attempt_at FROM alert_outbox")
        if _aware(r["next_attempt_at"]) > claimed_at
    ]
    assert len(leased) == 1  # a dead worker holds the alert it was on, not its whole round
    held_until = _aware(leased[0]["next_attempt_at"])
    assert held_until <= claimed_at + timedelta(seconds=lease_s + 1)

    hook = Receiver()
    try:
        alerting_client(make_client, idp, [hook.url], wardgate_alert_lease_s=lease_s)
        undelivered = "SELECT count(*) FROM alert_outbox WHERE delivered_at IS NULL"
        wait_until(lambda: count_rows(url, undelivered) == 0, timeout_s=30)
        with hook.lock:
            ids = sorted(int(h["X-WardGate-Alert-Id"]) for h, _body in hook.received)
        outbox = _rows(url, "SELECT id, attempts FROM alert_outbox ORDER BY id")
        assert ids == [r["id"] for r in outbox]  # every alert, each exactly once
        assert all(r["attempts"] == 1 for r in outbox)
    finally:
        hook.stop()


def _aware(at: Any) -> datetime:
    if isinstance(at, str):
        at = datetime.fromisoformat(at)
    return at if at.tzinfo else at.replace(tzinfo=UTC)


def test_a_worker_whose_lease_ran_out_does_not_overwrite_its_successor(
    make_client, idp, database_url
):
    """A worker that was only slow (not dead) finds its lease taken over: its late failure is
    not recorded over the successor's delivery, so the alert is not sent yet again."""
    from sqlmodel import Session

    from services.screening.alerts.repository import claim_due, record_delivery
    from shared.db import make_engine

    client, headers = make_client("screening"), idp.headers("integration")
    person = {"name": "Li Lei", "category": "outpatient", "department": "resp"}
    assert client.put("/persons/P1", json=person, headers=headers).is_success
    body = result("S-1", value="positive")
    assert client.post("/results", json=body, headers=headers).status_code == 201
    engine = make_engine(database_url("screening"))
    lease, start = timedelta(seconds=1), datetime.now(UTC)
    try:
        with Session(engine) as session:
            [slow] = claim_due(session, start, 1, lease)
            session.commit()
        with Session(engine) as session:  # after the slow worker's lease ran out
            [successor] = claim_due(session, start + 2 * lease, 1, lease)
            assert record_delivery(session, successor, delivered_to=frozenset({"hook"}),
                                   done_at=start + 2 * lease, next_attempt_at=start + 2 * lease,
                                   error=None)  # fmt: skip
            session.commit()
        with Session(engine) as session:
            late = record_delivery(session, slow, delivered_to=frozenset(), done_at=None,
                                   next_attempt_at=start + 3 * lease, error="HTTP 503")  # fmt: skip
            session.commit()
    finally:
        engine.dispose()
    assert late is False
    [row] = _rows(database_url("screening"), "SELECT delivered_at, last_error FROM alert_outbox")
    assert row["delivered_at"] is not None and row["last_error"] is None
