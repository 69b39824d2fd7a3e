"""Follows screening's result change feed and opens reviews of discharges it touches.

Runs in the discharge service's lifespan, polling `GET /result-changes` every
`min(2 s, WARDGATE_REVIEW_LAG_S / 4)` with its service credential (as the admission sync).
Nothing lost: the position is stored in this service's database (`result_feed_cursor`),
and each round reads from `settled_until`, the time before which every version has been
applied: `min(newest recorded_at seen + 1 µs, round start - OVERLAP)`. A version's
`recorded_at` is taken before its transaction commits in screening, so a slow transaction can
appear after newer ones were read; re-reading the trailing OVERLAP (poll interval + commit lag
+ clock difference between the hosts, far under two minutes) catches it. The same window
catches a discharge that commits just after the change that touches it was first read.
Nothing applied twice: a review is unique per (discharge, result, version) and inserted with
ON CONFLICT DO NOTHING, so the re-read, a restart or a second process opens none again.
Screening down or answering wrongly: the round is retried with backoff (0.5 s doubling to
`WARDGATE_REVIEW_LAG_S / 2`); the service stays healthy and serves everything else.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any, Final

import httpx
import orjson
from sqlalchemy.engine import Engine
from sqlmodel import Session

from services.discharge.domain.review_triggers import ChangedVersion
from services.discharge.models import audit_log
from services.discharge.reviews.repository import FeedPosition, advance, feed_position
from services.discharge.reviews.service import apply_changes
from services.discharge.settings import DischargeSettings
from shared.audit import AuditTrail
from shared.audit.trail import AuditCaller
from shared.auth.roles import INTEGRATION
from shared.auth.tokens import worker_credential
from shared.service_client import Deadline, ServiceClient

log = logging.getLogger("wardgate.discharge.reviews")
FEED: Final = "screening/result-changes"
WORKER_SUBJECT: Final = "service:discharge-reviews"
OVERLAP: Final = timedelta(seconds=120)
PAGE_SIZE: Final = 500
TICK: Final = timedelta(microseconds=1)


class FeedUnavailable(Exception):
    """Screening could not be read this round."""


def _version(item: dict[str, Any]) -> ChangedVersion:
    def at(name: str) -> datetime:
        return datetime.fromisoformat(str(item[name])).astimezone(UTC)

    return ChangedVersion(
        result_external_id=str(item["result_external_id"]),
        version=int(item["version"]),
        person_external_id=str(item["person_external_id"]),
        test_type=str(item["test_type"]),
        result=None if item.get("result") is None else str(item["result"]),
        status=str(item["status"]),
        method=str(item.get("method") or "individual"),
        specimen_collected_at=at("specimen_collected_at"),
        recorded_at=at("recorded_at"),
    )


def next_position(
    before: FeedPosition, newest: datetime | None, round_start: datetime
) -> FeedPosition:
    """Where the next round reads from, after a round that saw versions up to `newest`."""
    seen = [t for t in (before.high_water, newest) if t is not None]
    high_water = max(seen) if seen else None
    settled = round_start - OVERLAP
    if high_water is not None:
        settled = min(settled, high_water + TICK)
    if before.settled_until is not None:
        settled = max(settled, before.settled_until)
    return FeedPosition(high_water, settled)


class ResultFollower:
    """Reads the feed and applies it; one per service process."""

    def __init__(self, engine: Engine, settings: DischargeSettings, http: ServiceClient) -> None:
        self._engine = engine
        self._settings = settings
        self.http = http
        self._timeout_s = max(settings.screening_timeout_s, 5.0)  # pages of up to 500
        lag = settings.wardgate_review_lag_s
        self._poll_s = min(2.0, lag / 4)
        self._backoff_max_s = max(lag / 2, 0.5)
        self._stopping = asyncio.Event()
        self.rounds = 0

    async def _page(self, since: datetime | None, cursor: str | None) -> dict[str, Any]:
        token = worker_credential(self._settings, WORKER_SUBJECT, INTEGRATION)
        if token is None:
            raise FeedUnavailable("no service credential (set WARDGATE_SERVICE_TOKEN)")
        params: dict[str, str | int] = {"limit": PAGE_SIZE}
        if since is not None:
            params["since"] = since.isoformat()
        if cursor:
            params["cursor"] = cursor
        headers = {"Authorization": f"Bearer {token}"}
        try:
            answer = await self.http.get(
                "/result-changes", Deadline.after(self._timeout_s), headers=headers, params=params
            )
        except httpx.HTTPError as exc:
            raise FeedUnavailable(f"screening unreachable: {type(exc).__name__}") from exc
        if answer.status_code != 200:
            raise FeedUnavailable(f"screening answered {answer.status_code}")
        try:
            page = orjson.loads(answer.content)
            page["versions"] = [_version(item) for item in page["items"]]
        except (ValueError, KeyError, TypeError) as exc:
            raise FeedUnavailable(f"not a feed page: {type(exc).__name__}") from exc
        return dict(page)

    def _position(self) -> FeedPosition:
        with Session(self._engine) as session:
            return feed_position(session, FEED)

    def _apply(self, versions: list[ChangedVersion]) -> list[int]:
        caller = AuditCaller(actor=WORKER_SUBJECT, roles=INTEGRATION, client="")
        with Session(self._engine) as session:
            trail = AuditTrail.of_caller(session, audit_log, caller)
            opened = apply_changes(session, trail, versions, datetime.now(UTC))
            session.commit()
        return opened

    def _advance(self, position: FeedPosition) -> None:
        with Session(self._engine) as session:
            advance(session, FEED, position, datetime.now(UTC))
            session.commit()

    async def follow_once(self) -> int:
        """One round: read from the settled position to the end; how many reviews opened."""
        round_start = datetime.now(UTC)
        before = await asyncio.to_thread(self._position)
        newest: datetime | None = None
        opened, cursor = 0, None
        while True:
            page = await self._page(before.settled_until, cursor)
            versions: list[ChangedVersion] = page["versions"]
            if versions:
                opened += len(await asyncio.to_thread(self._apply, versions))
                page_newest = max(v.recorded_at for v in versions)
                newest = page_newest if newest is None else max(newest, page_newest)
            cursor = page.get("next_cursor")
            if not cursor:
                break
        await asyncio.to_thread(self._advance, next_position(before, newest, round_start))
        self.rounds += 1
        return opened

    async def run(self) -> None:
        """Follow until stopped; back off while screening cannot be read."""
        failures = 0
        while not self._stopping.is_set():
            try:
                await self.follow_once()
                failures, pause = 0, self._poll_s
            except FeedUnavailable as exc:
                failures += 1
                pause = min(0.5 * 2 ** (failures - 1), self._backoff_max_s)
                log.warning("result changes not read (attempt %d): %s", failures, exc)
            except Exception:  # a database hiccup must not end the follower
                failures += 1
                pause = min(0.5 * 2 ** (failures - 1), self._backoff_max_s)
                log.exception("result change round failed")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), pause)

    def stop(self) -> None:
        """Ask the follower to end after its current round."""
        self._stopping.set()


@contextlib.asynccontextmanager
async def result_follower(engine: Engine, settings: DischargeSettings) -> AsyncIterator[None]:
    """Follow the feed for the lifetime of the service."""
    http = ServiceClient(settings.screening_url, retries=settings.screening_connect_retries)
    await http.open()
    follower = ResultFollower(engine, settings, http)
    task = asyncio.create_task(follower.run(), name="result-follower")
    try:
        yield
    finally:
        follower.stop()
        with contextlib.suppress(Exception):
            await asyncio.wait_for(task, follower._timeout_s * 2 + 5)
        await follower.http.close()
