"""The delivery worker of reports to public health (a durable outbox, retried with backoff).

Reports are written in the transaction of their result version, so none is lost: a report is
leased (claimed with FOR UPDATE SKIP LOCKED on PostgreSQL) for one attempt, its document built
and validated from the stored result, sent, and marked delivered, or given a later
`next_attempt_at` (exponential backoff, WARDGATE_REPORT_BACKOFF_S up to _BACKOFF_MAX_S). A
worker killed mid-attempt holds only the report it was on, until its lease runs out; then any
worker takes it again, so delivery is at least once: receivers dedupe on `Bundle.identifier`
(or MSH-10). Several workers never hold the same report at once; one whose lease ran out
does not overwrite the outcome of the next. Nothing is ever dropped: an undeliverable report
stays queued (and `overdue` in the ledger) until it is delivered.

The worker wakes at once after a commit that queued a report in this process, and polls every
WARDGATE_REPORT_POLL_S for the others (other processes, retries).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

from pydantic import ValidationError
from sqlalchemy.engine import Engine
from sqlmodel import Session

from services.screening.domain.alerts import retry_delay
from services.screening.public_health import repository, wake
from services.screening.public_health.bundle import bundle_body, oru_message, report_bundle
from services.screening.public_health.delivery import (
    FhirTarget,
    MllpTarget,
    Target,
    post_bundle,
    report_target,
    send_mllp,
)
from services.screening.public_health.on_result import set_report_deadline
from services.screening.public_health.repository import DueReport
from services.screening.settings import ScreeningSettings
from shared.service_client import ServiceClient

log = logging.getLogger("wardgate.screening.public_health")
_ROUND_SIZE = 200
# Reports in flight at once in one process (each its own lease).
_LANES = 4


def _invalid(exc: ValidationError) -> str:
    # Where and what, never the input (it would carry personal data into the ledger).
    errors = exc.errors()
    if not errors:
        return "invalid report document"
    where = ".".join(str(p) for p in errors[0]["loc"])
    return f"invalid report document: {where} {errors[0]['type']}"


class ReportDispatcher:
    """Claims due reports and delivers them; one per service process."""

    def __init__(self, engine: Engine, settings: ScreeningSettings, target: Target) -> None:
        self._engine = engine
        self._settings = settings
        self._target = target
        # Long enough for one attempt (claim, build, send within the timeout, record).
        self._lease = timedelta(seconds=settings.wardgate_report_timeout_s * 2 + 5)
        self._http = ServiceClient("", retries=0)
        self._stopping = asyncio.Event()
        self._woken = asyncio.Event()

    def _claim(self) -> tuple[DueReport, bytes | str | None, str | None] | None:
        """Lease the next due report and build its document: (report, document, error)."""
        now = datetime.now(UTC)
        with Session(self._engine) as session:
            due = repository.claim_due(session, now, self._lease)
            session.commit()
            if due is None:
                return None
            row, person = repository.report_content(session, due.result_id)
        try:
            if isinstance(self._target, MllpTarget):
                return due, oru_message(due.id, due.kind, row, person, due.created_at), None
            return (
                due,
                bundle_body(report_bundle(due.id, due.kind, row, person, due.created_at)),
                None,
            )
        except ValidationError as exc:
            return due, None, _invalid(exc)

    async def _send(self, report: DueReport, document: bytes | str) -> str | None:
        timeout = self._settings.wardgate_report_timeout_s
        if isinstance(self._target, FhirTarget) and isinstance(document, bytes):
            return await post_bundle(self._http, self._target, report.id, document, timeout)
        if isinstance(self._target, MllpTarget) and isinstance(document, str):
            return await send_mllp(self._target, document, timeout)
        return "no destination for this document"

    def _record(self, report: DueReport, error: str | None) -> None:
        now = datetime.now(UTC)
        s = self._settings
        delay = retry_delay(
            report.attempts + 1, s.wardgate_report_backoff_s, s.wardgate_report_backoff_max_s
        )
        with Session(self._engine) as session:
            held = repository.record_attempt(
                session,
                report,
                delivered_at=None if error else now,
                next_attempt_at=now + delay if error else now,
                channel=self._target.channel,
                error=error,
            )
            session.commit()
        if not held:
            log.warning(
                "report %s: lease ran out during delivery; another worker has it", report.id
            )
        elif error:
            log.warning(
                "report %s not delivered yet (attempt %s): %s",
                report.id,
                report.attempts + 1,
                error,
            )

    async def deliver_due(self) -> int:
        """One round of one lane: claim and deliver due reports one by one; how many."""
        handled = 0
        while handled < _ROUND_SIZE and not self._stopping.is_set():
            claimed = await asyncio.to_thread(self._claim)
            if claimed is None:
                break
            report, document, error = claimed
            if document is not None:
                error = await self._send(report, document)
            await asyncio.to_thread(self._record, report, error)
            handled += 1
        return handled

    async def _lane(self) -> None:
        while not self._stopping.is_set():
            self._woken.clear()
            try:
                handled = await self.deliver_due()
            except Exception:  # a database hiccup must not end the worker
                log.exception("report delivery round failed")
                handled = 0
            if not handled:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(
                        self._woken.wait(), self._settings.wardgate_report_poll_s
                    )

    async def run(self) -> None:
        """Deliver until stopped, in a few lanes."""
        await asyncio.gather(*(self._lane() for _ in range(_LANES)))

    def wake(self) -> None:
        """Deliver now (from any thread)."""
        self._woken.set()

    def stop(self) -> None:
        """Finish the attempts in flight and end."""
        self._stopping.set()
        self._woken.set()

    async def open(self) -> None:
        """Open the HTTP client on the running loop."""
        await self._http.open()

    async def close(self) -> None:
        """Release the HTTP client."""
        await self._http.close()


@contextlib.asynccontextmanager
async def report_delivery(engine: Engine, settings: ScreeningSettings) -> AsyncIterator[None]:
    """Run the delivery worker for the lifetime of the service (when a destination is set)."""
    set_report_deadline(timedelta(hours=settings.wardgate_report_deadline_h))
    target = report_target(settings)  # a wrong configuration stops the service here
    if target is None:
        log.info("no WARDGATE_REPORT_URL or WARDGATE_REPORT_MLLP: reports stay pending")
        yield
        return
    dispatcher = ReportDispatcher(engine, settings, target)
    await dispatcher.open()
    loop = asyncio.get_running_loop()

    def waker() -> None:
        with contextlib.suppress(RuntimeError):  # the loop closed: nothing left to wake
            loop.call_soon_threadsafe(dispatcher.wake)

    unregister = wake.register(waker)
    task = asyncio.create_task(dispatcher.run(), name="report-dispatcher")
    try:
        yield
    finally:
        unregister()
        dispatcher.stop()
        with contextlib.suppress(Exception):
            await asyncio.wait_for(task, settings.wardgate_report_timeout_s * 2 + 5)
        await dispatcher.close()
