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
from datetime import UTC, datetime
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
    # Alerts the killed worker had claimed stay leased (WARDGATE_ALERT_TIMEOUT_S x 50 + 30 s)
    # before another worker may take them: still queued, not lost. Fast-forward that clock.
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(
            text("UPDATE alert_outbox SET next_attempt_at = :now WHERE delivered_at IS NULL"),
            {"now": datetime.now(UTC)},
        )
    engine.dispose()
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
