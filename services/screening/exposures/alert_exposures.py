"""Exposure lists in positive-result alerts, computed by the alert worker at delivery time.

`POST /results` never waits on the appointments service: the worker traces the person just
before the alert's first delivery and stores the document it sends. When the appointments
service cannot answer, the alert goes out at once with what screening alone knows (ward
mates, caregivers), marked `"exposures_complete": false`; after delivery it becomes a
follow-up (its own alert id) that is traced again, with backoff, until the list is complete.

The worker has no caller whose token it could relay. It uses WARDGATE_SERVICE_TOKEN; without
one, and only while the service itself trusts the local development key (no AUTH_JWKS_FILE
or AUTH_PUBLIC_KEY_FILE), it mints a short-lived token with that key; otherwise the alert is
marked incomplete with the reason "no service credential" (and no follow-up is queued).
"""

from __future__ import annotations

import json
import logging
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any, Final

from sqlalchemy.engine import Engine
from sqlmodel import Session

from services.screening.alerts.repository import DueAlert, record_delivery, store_payload
from services.screening.clients.appointments import AppointmentsClient, AppointmentsUnavailable
from services.screening.domain.alerts import (
    APPOINTMENTS_UNAVAILABLE,
    NO_SERVICE_CREDENTIAL,
    follow_up_alert,
    is_follow_up,
    needs_follow_up,
    retry_delay,
    wants_exposures,
    with_exposures,
)
from services.screening.domain.policy import ScreeningPolicy
from services.screening.exposures.service import (
    ExposureList,
    VisitSource,
    begin_trace,
    finish_trace,
    visit_exposures,
)
from services.screening.persons.repository import get_person
from services.screening.settings import ScreeningSettings
from shared.auth.roles import AUDITOR
from shared.auth.tokens import worker_credential

log = logging.getLogger("wardgate.screening.alerts")
WORKER_SUBJECT: Final = "service:screening-alerts"


def _dumps(doc: dict[str, Any]) -> str:
    return json.dumps(doc, separators=(",", ":"), sort_keys=True)


def service_credential(settings: ScreeningSettings) -> str | None:
    """The worker's token for the appointments service, or None when it has none."""
    return worker_credential(
        settings, WORKER_SUBJECT, AUDITOR
    )  # read-only: GET /check-ins is all the worker asks


class AlertExposures:
    """Traces the person of a final positive nucleic-acid alert before it is delivered."""

    def __init__(
        self,
        engine: Engine,
        settings: ScreeningSettings,
        policy: ScreeningPolicy,
        appointments: AppointmentsClient,
    ) -> None:
        self._engine = engine
        self._settings = settings
        self._policy = policy
        self._appointments = appointments

    def _trace(self, external_id: str) -> ExposureList | None:
        now = datetime.now(UTC)
        with Session(self._engine) as session:
            person = get_person(session, external_id)
            if person is None:
                return None
            begun = begin_trace(session, person, now=now)
            session.commit()
        token = service_credential(self._settings)
        visits, reason = None, NO_SERVICE_CREDENTIAL
        if token is not None:
            source = VisitSource(self._appointments, {"Authorization": f"Bearer {token}"})
            try:
                visits = visit_exposures(source, begun, self._settings.exposure_contact_reach)
            except AppointmentsUnavailable as exc:
                reason = f"{APPOINTMENTS_UNAVAILABLE}: {exc.why}"
        with Session(self._engine) as session:
            traced = finish_trace(
                session, begun, self._policy, visits, now=now, missing_visits=reason
            )
            session.commit()
        return traced

    def _wait(self, alert: DueAlert, reason: str | None) -> None:
        s = self._settings
        now = datetime.now(UTC)
        delay = retry_delay(
            alert.attempts + 1, s.wardgate_alert_backoff_s, s.wardgate_alert_backoff_max_s
        )
        with Session(self._engine) as session:
            record_delivery(
                session,
                alert,
                delivered_to=alert.delivered_to,
                done_at=None,
                next_attempt_at=now + delay,
                error=f"exposure list incomplete: {reason}",
            )
            session.commit()

    def prepare(self, alert: DueAlert) -> DueAlert | None:
        """Trace once, store the document, deliver it; a follow-up waits for a complete list."""
        doc = json.loads(alert.payload)
        if not wants_exposures(doc):
            return alert
        traced = self._trace(str(doc["person"]["external_id"]))
        if traced is None:
            return alert
        if is_follow_up(doc) and not traced.complete:
            log.info("alert %s: exposure list still incomplete, retrying later", alert.id)
            self._wait(alert, traced.incomplete_reason)
            return None
        window = (traced.window.start, traced.window.end)
        payload = _dumps(
            with_exposures(
                doc,
                window=window,
                items=traced.items,
                complete=traced.complete,
                incomplete_reason=traced.incomplete_reason,
            )
        )
        with Session(self._engine) as session:
            store_payload(session, alert.id, payload)
            session.commit()
        return replace(alert, payload=payload)

    def follow_up(self, alert: DueAlert) -> str | None:
        """After an incomplete list was delivered: the follow-up that will complete it."""
        doc = json.loads(alert.payload)
        if not needs_follow_up(doc):
            return None
        return _dumps(follow_up_alert(doc, datetime.now(UTC)))
