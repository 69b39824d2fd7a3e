"""Positive-result alerts: outbox in the result's transaction, signed webhook delivery,
retries with backoff, nothing lost across a restart. Only the receiver is ours."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from sqlalchemy import create_engine, text
from sqlmodel import Session

from services.screening.alerts.repository import claim_due
from services.screening.alerts.worker import AlertConfigError
from tests.screening.conftest import result
from tests.support.live import free_port

SECRET = "webhook-secret"


class Receiver:
    """A real HTTP server that records alerts and answers with scripted statuses."""

    def __init__(self, statuses=(), port=None):
        self.statuses = list(statuses)
        self.received: list[tuple[Any, bytes]] = []  # (headers, body)
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                with receiver.lock:
                    receiver.received.append((self.headers, body))  # case-insensitive names
                    status = receiver.statuses.pop(0) if receiver.statuses else 204
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *_args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", port or 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/alerts"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receivers():
    started = []

    def start(statuses=(), port=None):
        r = Receiver(statuses, port)
        started.append(r)
        return r

    yield start
    for r in started:
        r.stop()


def wait_until(predicate, timeout_s=15.0):
    """Poll until `predicate()` is truthy (bounded, so a broken worker fails the test)."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.02)
    raise AssertionError("condition not reached")


def outbox(url):
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(text("SELECT * FROM alert_outbox ORDER BY id"))
            return [dict(r._mapping) for r in rows]
    finally:
        engine.dispose()


def alerting_client(make_client, idp, urls, **extra):
    settings = {
        "wardgate_alert_webhooks": ",".join(urls),
        "wardgate_alert_secret": SECRET,
        "wardgate_alert_poll_s": 0.02,
        "wardgate_alert_backoff_s": 0.02,
        **extra,
    }
    client = make_client("screening", **settings)
    h = idp.headers("integration")
    client.put(
        "/persons/P1",
        json={
            "name": "Zhang San",
            "category": "inpatient",
            "department": "resp",
            "ward": "W2",
            "phone": "13812345678",
        },
        headers=h,
    )
    return client, h


def test_a_positive_result_is_delivered_signed(make_client, idp, receivers, database_url):
    hook = receivers()
    client, h = alerting_client(make_client, idp, [hook.url])
    assert (
        client.post("/results", json=result("R1", value="positive"), headers=h).status_code == 201
    )
    wait_until(lambda: hook.received)
    headers, body = hook.received[0]
    expected = "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
    assert headers["X-WardGate-Signature"] == expected
    assert headers["Content-Type"] == "application/json"
    alert = json.loads(body)
    assert alert["event"] == "screening.positive_result"
    assert alert["person"] == {
        "external_id": "P1",
        "category": "inpatient",
        "department": "resp",
        "ward": "W2",
    }
    assert (alert["result"]["external_id"], alert["result"]["result"]) == ("R1", "positive")
    assert "exposures" in alert
    assert b"Zhang San" not in body and b"13812345678" not in body
    rows = wait_until(lambda: [r for r in outbox(database_url("screening")) if r["delivered_at"]])
    assert rows[0]["delivered_to"] == hook.url
    assert headers["X-WardGate-Alert-Id"] == str(rows[0]["id"])


@pytest.mark.parametrize(
    ("body", "alerts"),
    [
        (result("A", value="positive"), 1),
        (result("B", test_type="antibody_igm", value="positive"), 1),
        (result("C", test_type="antibody_igg", value="positive", status="corrected"), 1),
        (result("D", value="negative"), 0),
        (result("E", value="indeterminate"), 0),
        (result("F", test_type="chest_ct", value="abnormal"), 0),
        (result("G", value=None, status="preliminary"), 0),
    ],
    ids=[
        "nucleic acid",
        "IgM",
        "IgG corrected",
        "negative",
        "indeterminate",
        "CT abnormal",
        "pending",
    ],
)
def test_which_results_queue_an_alert(screening, database_url, body, alerts):
    screening.person("P1")
    screening.post(body)
    screening.post(body, expect=200)  # a retry queues nothing more
    assert len(outbox(database_url("screening"))) == alerts


def test_batch_positives_are_queued_in_the_same_transaction(screening, database_url):
    screening.person("P1")
    items = [result(f"R{n}", value="positive" if n % 3 == 0 else "negative") for n in range(30)]
    items.append(result("X", person="NOPE", value="positive"))  # rejected: no alert
    got = screening.client.post(
        "/results/batch", json={"results": items}, headers=screening.nurse
    ).json()
    assert got["accepted"] == 30
    rows = outbox(database_url("screening"))
    assert sorted(json.loads(r["payload"])["result"]["external_id"] for r in rows) == sorted(
        f"R{n}" for n in range(0, 30, 3)
    )


def test_failed_deliveries_are_retried_with_backoff(make_client, idp, receivers, database_url):
    hook = receivers(statuses=[500, 503])
    client, h = alerting_client(make_client, idp, [hook.url])
    client.post("/results", json=result("R1", value="positive"), headers=h)
    row = wait_until(lambda: [r for r in outbox(database_url("screening")) if r["delivered_at"]])[0]
    assert len(hook.received) == 3
    assert len({body for _h, body in hook.received}) == 1  # the same signed body each time
    assert row["attempts"] == 3 and row["last_error"] is None


def test_each_webhook_gets_the_alert_once_even_when_another_fails(
    make_client, idp, receivers, database_url
):
    good = receivers()
    bad = receivers(statuses=[500] * 1000)
    client, h = alerting_client(make_client, idp, [good.url, bad.url])
    client.post("/results", json=result("R1", value="positive"), headers=h)
    wait_until(lambda: len(bad.received) >= 3)
    assert len(good.received) == 1
    row = outbox(database_url("screening"))[0]
    assert row["delivered_at"] is None and row["delivered_to"] == good.url
    assert "HTTP 500" in row["last_error"]


def test_nothing_is_lost_across_a_restart(make_client, idp, receivers, database_url):
    port = free_port()
    url = f"http://127.0.0.1:{port}/alerts"
    client, h = alerting_client(make_client, idp, [url])
    client.post("/results", json=result("R1", value="positive"), headers=h)
    wait_until(lambda: outbox(database_url("screening"))[0]["attempts"] >= 1)
    client.__exit__(None, None, None)  # the service stops with the alert undelivered
    hook = receivers(port=port)
    alerting_client(make_client, idp, [url])  # a new process on the same database
    wait_until(lambda: hook.received)
    wait_until(lambda: outbox(database_url("screening"))[0]["delivered_at"])
    assert json.loads(hook.received[0][1])["result"]["external_id"] == "R1"


def test_webhooks_without_a_secret_refuse_to_start(make_client):
    with pytest.raises(AlertConfigError, match="WARDGATE_ALERT_SECRET"):
        make_client("screening", wardgate_alert_webhooks="http://127.0.0.1:9/x")


def test_workers_skip_alerts_another_worker_holds(screening, database_url, backend):
    if backend != "postgresql":
        pytest.skip("row locks: PostgreSQL only (SQLite serialises writers)")
    screening.person("P1")
    for n in range(3):
        screening.post(result(f"R{n}", value="positive"))
    engine = create_engine(database_url("screening"))
    now = datetime.now(UTC)
    try:
        with Session(engine) as first, Session(engine) as second:
            held = claim_due(first, now, 2, timedelta(minutes=1))  # not committed yet
            other = claim_due(second, now, 10, timedelta(minutes=1))
            assert len(held) == 2 and len(other) == 1
            assert {a.id for a in held}.isdisjoint({a.id for a in other})
    finally:
        engine.dispose()
