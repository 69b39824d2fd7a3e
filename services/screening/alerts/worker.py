"""The alert worker: delivers queued positive-result alerts to every configured webhook.

Delivery is at least once: an alert is leased, POSTed (signed) to each webhook that has not
yet taken it, and marked. A failed webhook is retried with exponential backoff. Alerts are
claimed one at a time, each for a lease long enough to deliver that one alert
(WARDGATE_ALERT_LEASE_S): a worker killed mid-round holds only the alert it was on, and
another worker delivers it as soon as that lease has run out; nothing queued is ever lost. A
worker whose lease ran out does not overwrite the outcome of the one that took over.
Receivers dedupe on the `X-WardGate-Alert-Id` header.

An optional `AlertPreparation` (exposure tracing) fills an alert in just before its first
delivery and may turn a delivered alert into a follow-up that is delivered again.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Protocol

import httpx
from sqlalchemy.engine import Engine
from sqlmodel import Session

from services.screening.alerts.repository import (
    DueAlert,
    claim_due,
    record_delivery,
    requeue_follow_up,
)
from services.screening.domain.alerts import (
    EVENT,
    SIGNATURE_HEADER,
    delivery_id,
    retry_delay,
    signature,
)
from services.screening.settings import ScreeningSettings
from shared.service_client import Deadline, ServiceClient

log = logging.getLogger("wardgate.screening.alerts")
_ROUND_SIZE = 50


class AlertConfigError(RuntimeError):
    """Webhooks are configured without a secret to sign them (the service refuses to start)."""


class AlertPreparation(Protocol):
    """Work on an alert around its delivery (exposure tracing implements it)."""

    def prepare(self, alert: DueAlert) -> DueAlert | None:
        """The alert to deliver now (its stored document fixed), or None to wait."""

    def follow_up(self, alert: DueAlert) -> str | None:
        """After delivery to every webhook: the document of a follow-up, if one is due."""


class AlertDispatcher:
    """Claims due alerts and POSTs them; one per service process."""

    def __init__(
        self,
        engine: Engine,
        settings: ScreeningSettings,
        preparation: AlertPreparation | None = None,
    ) -> None:
        self._engine = engine
        self._preparation = preparation
        self._settings = settings
        self._urls = settings.alert_webhooks()
        if self._urls and not settings.wardgate_alert_secret:
            raise AlertConfigError(
                "WARDGATE_ALERT_WEBHOOKS is set but WARDGATE_ALERT_SECRET is not: "
                "alerts must be signed."
            )
        self._secret = settings.wardgate_alert_secret or ""
        timeout = settings.wardgate_alert_timeout_s
        # One alert's worth of work (a claim covers one alert), not a whole round's: a dead
        # worker's alert must not wait for the time fifty deliveries could take.
        lease_s = settings.wardgate_alert_lease_s or timeout * max(len(self._urls), 1) + 30
        self._lease = timedelta(seconds=lease_s)
        self._timeout_s = timeout
        # The one outbound client (shared), opened on the app's loop by `alert_worker`.
        self._http = ServiceClient("", retries=0)
        self._stopping = asyncio.Event()

    def _post(self, alert: DueAlert, url: str) -> str | None:
        body = alert.payload.encode()
        headers = {
            "Content-Type": "application/json",
            SIGNATURE_HEADER: signature(body, self._secret),
            "X-WardGate-Event": EVENT,
            "X-WardGate-Alert-Id": delivery_id(alert.id, json.loads(alert.payload)),
        }
        try:
            response = self._http.call_blocking(
                "POST", url, Deadline.after(self._timeout_s), content=body, headers=headers
            )
        except httpx.HTTPError as exc:
            return f"{url}: {type(exc).__name__}"
        if not 200 <= response.status_code < 300:
            return f"{url}: HTTP {response.status_code}"
        return None

    def _deliver(self, alert: DueAlert) -> None:
        if self._preparation is not None:
            prepared = self._preparation.prepare(alert)
            if prepared is None:  # rescheduled by the preparation itself
                return
            alert = prepared
        delivered = set(alert.delivered_to)
        errors = []
        for url in self._urls:
            if url in delivered:
                continue
            error = self._post(alert, url)
            if error is None:
                delivered.add(url)
            else:
                errors.append(error)
        now = datetime.now(UTC)
        s = self._settings
        delay = retry_delay(
            alert.attempts + 1, s.wardgate_alert_backoff_s, s.wardgate_alert_backoff_max_s
        )
        follow_up = None
        if self._preparation is not None and not errors:
            follow_up = self._preparation.follow_up(alert)
        with Session(self._engine) as session:
            if follow_up is not None:
                held = requeue_follow_up(session, alert, follow_up, now + delay)
            else:
                held = record_delivery(
                    session,
                    alert,
                    delivered_to=frozenset(delivered),
                    done_at=None if errors else now,
                    next_attempt_at=now + delay if errors else now,
                    error="; ".join(errors) or None,
                )
            session.commit()
        if not held:
            log.warning("alert %s: lease ran out during delivery; another worker has it", alert.id)
        if errors:
            log.warning("alert %s not delivered yet: %s", alert.id, "; ".join(errors))

    def deliver_due(self) -> int:
        """One round: claim, deliver and record due alerts one by one; returns how many."""
        handled = 0
        while handled < _ROUND_SIZE:
            with Session(self._engine) as session:
                due = claim_due(session, datetime.now(UTC), 1, self._lease)
                session.commit()
            if not due:
                break
            self._deliver(due[0])
            handled += 1
        return handled

    async def run(self) -> None:
        """Deliver until stopped, resting `poll` seconds whenever nothing was due."""
        while not self._stopping.is_set():
            try:
                handled = await asyncio.to_thread(self.deliver_due)
            except Exception:  # a database hiccup must not end the worker
                log.exception("alert delivery round failed")
                handled = 0
            if not handled:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(
                        self._stopping.wait(), self._settings.wardgate_alert_poll_s
                    )

    def stop(self) -> None:
        """Ask the worker to finish its current round and end."""
        self._stopping.set()

    async def open(self) -> None:
        """Open the HTTP client on the running loop."""
        await self._http.open()

    async def close(self) -> None:
        """Release the HTTP client."""
        await self._http.close()


@contextlib.asynccontextmanager
async def alert_worker(
    engine: Engine, settings: ScreeningSettings, preparation: AlertPreparation | None = None
) -> AsyncIterator[None]:
    """Run the dispatcher for the app's lifetime when webhooks are configured."""
    dispatcher = AlertDispatcher(engine, settings, preparation)
    if not settings.alert_webhooks():
        yield
        return
    await dispatcher.open()
    task = asyncio.create_task(dispatcher.run(), name="alert-dispatcher")
    try:
        yield
    finally:
        dispatcher.stop()
        with contextlib.suppress(Exception):
            await asyncio.wait_for(task, settings.wardgate_alert_timeout_s * 2 + 5)
        await dispatcher.close()
