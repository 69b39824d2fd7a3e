"""The admission-end worker: delivers queued discharges to the screening service.

Runs in the discharge service's lifespan. Woken right after a discharge commits, it also
polls every WARDGATE_SYNC_POLL_S, so an end queued before a restart (or by another process)
is sent as soon as the service is up. Delivery is at least once: a claim leases a row; a
worker killed mid-delivery leaves it to be sent again when the lease runs out; screening
applies each discharge id once (`POST /admission-ends` answers 200 for one it already has).
While screening cannot take it, a row backs off up to WARDGATE_SYNC_BACKOFF_MAX_S, so a
screening that comes back has it within WARDGATE_SYNC_LAG_S.

The worker has no caller whose token it could relay: it uses WARDGATE_SERVICE_TOKEN; without
one, and only while the service trusts the development key, it mints a short-lived
`integration` token with that key; otherwise the rows wait (logged) until one is configured.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any, Final

import httpx
from sqlalchemy.engine import Engine
from sqlmodel import Session

from services.discharge.admission_sync.repository import (
    PendingEnd,
    claim_due,
    mark_delivered,
    mark_failed,
)
from services.discharge.settings import DischargeSettings
from shared.auth.roles import INTEGRATION
from shared.auth.tokens import worker_credential
from shared.service_client import Deadline, ServiceClient

log = logging.getLogger("wardgate.discharge.admission_sync")
WORKER_SUBJECT: Final = "service:discharge-sync"
ROUND_SIZE: Final = 50


def service_credential(settings: DischargeSettings) -> str | None:
    """The worker's token for the screening service, or None when it has none."""
    return worker_credential(settings, WORKER_SUBJECT, INTEGRATION)  # it posts admission ends


def event_document(end: PendingEnd) -> dict[str, Any]:
    """The admission end as screening receives it (`POST /admission-ends`)."""
    admitted = None if end.admission_key == "unknown" else end.admission_key
    return {
        "discharge_id": end.discharge_id,
        "patient_external_id": end.patient_external_id,
        "admitted_at": admitted,
        "discharged_at": end.created_at.astimezone(UTC).isoformat(),
        "disposition": end.disposition,
        "outcome": end.outcome,
    }


def retry_delay(attempts: int, most_s: float) -> timedelta:
    """0.5 s, 1 s, 2 s ... up to `most_s` after the `attempts`-th failure."""
    return timedelta(seconds=min(0.5 * 2 ** max(attempts - 1, 0), most_s))


class AdmissionSync:
    """Claims queued admission ends and POSTs them to screening; one per service process."""

    def __init__(self, engine: Engine, settings: DischargeSettings, http: ServiceClient) -> None:
        self._engine = engine
        self._settings = settings
        self.http = http  # the pooled client of screening (tests point it elsewhere)
        self._timeout_s = settings.screening_timeout_s
        self._lease = timedelta(seconds=self._timeout_s * 2 + 3)
        # Within the lag whatever is configured: a screening back up is reached in time.
        lag = settings.wardgate_sync_lag_s
        self._poll_s = min(settings.wardgate_sync_poll_s, lag / 2)
        self._backoff_max_s = min(settings.wardgate_sync_backoff_max_s, lag / 2)
        self._wake = asyncio.Event()
        self._stopping = asyncio.Event()

    def wake(self) -> None:
        """A discharge just committed: deliver now rather than at the next poll."""
        self._wake.set()

    async def _post(self, end: PendingEnd) -> str | None:
        token = service_credential(self._settings)
        if token is None:
            return "no service credential (set WARDGATE_SERVICE_TOKEN)"
        headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
        body = json.dumps(event_document(end)).encode()
        try:
            answer = await self.http.call(
                "POST",
                "/admission-ends",
                Deadline.after(self._timeout_s),
                headers=headers,
                content=body,
            )
        except httpx.HTTPError as exc:
            return f"screening unreachable: {type(exc).__name__}"
        if answer.status_code in (200, 201):
            return None
        return f"screening answered {answer.status_code}: {answer.content[:200]!r}"

    def _claim(self) -> list[PendingEnd]:
        with Session(self._engine) as session:
            due = claim_due(session, datetime.now(UTC), ROUND_SIZE, self._lease)
            session.commit()
        return due

    def _record(self, end: PendingEnd, error: str | None) -> None:
        now = datetime.now(UTC)
        with Session(self._engine) as session:
            if error is None:
                mark_delivered(session, end.outbox_id, now)
            else:
                most = self._backoff_max_s
                mark_failed(session, end, now + retry_delay(end.attempts + 1, most), error)
            session.commit()
        if error is not None:
            log.warning("discharge %s not yet in screening: %s", end.discharge_id, error)

    async def deliver_due(self) -> int:
        """One round: claim due ends, send each, record the outcome; how many were sent."""
        due = await asyncio.to_thread(self._claim)
        for end in due:
            error = await self._post(end)
            await asyncio.to_thread(self._record, end, error)
        return len(due)

    async def run(self) -> None:
        """Deliver until stopped; between rounds wait for a wake-up or the poll interval."""
        while not self._stopping.is_set():
            self._wake.clear()
            try:
                handled = await self.deliver_due()
            except Exception:  # a database hiccup must not end the worker
                log.exception("admission-end delivery round failed")
                handled = 0
            if not handled:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), self._poll_s)

    def stop(self) -> None:
        """Ask the worker to end after its current round."""
        self._stopping.set()
        self._wake.set()


@contextlib.asynccontextmanager
async def admission_sync(
    engine: Engine, settings: DischargeSettings
) -> AsyncIterator[AdmissionSync]:
    """Run the worker for the app's lifetime (its own pooled client of screening)."""
    http = ServiceClient(settings.screening_url, retries=settings.screening_connect_retries)
    await http.open()
    worker = AdmissionSync(engine, settings, http)
    task = asyncio.create_task(worker.run(), name="admission-sync")
    try:
        yield worker
    finally:
        worker.stop()
        with contextlib.suppress(Exception):
            await asyncio.wait_for(task, worker._timeout_s * 2 + 5)
        await worker.http.close()
