"""The appointments service, as exposure tracing needs it: who checked in where, and when.

One pooled, time-limited client (`shared.service_client`). Every page of `GET /check-ins` is
followed and validated, all of them within one deadline (APPOINTMENTS_TIMEOUT_S for the
whole list, not for each read); any failure (unreachable, timeout, a non-200 answer, a
malformed page) is a 503 `appointments_unavailable`, never a shorter list.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Final
from urllib.parse import quote

import httpx
from pydantic import AwareDatetime, BaseModel, ConfigDict, ValidationError

from services.screening.domain.exposure import Visit
from shared.errors import ServiceUnavailable
from shared.service_client import Deadline, ServiceClient

log = logging.getLogger("wardgate.screening.appointments")

PAGE_LIMIT: Final = 500
# A runaway cursor (or a department with millions of check-ins in hours) is not an answer.
MAX_PAGES: Final = 400
# `to` is exclusive on the appointments side: one microsecond more makes it inclusive.
INCLUSIVE: Final = timedelta(microseconds=1)


class AppointmentsUnavailable(ServiceUnavailable):
    """The appointments service could not give a complete answer."""

    code = "appointments_unavailable"

    def __init__(self, why: str) -> None:
        super().__init__(
            f"The appointments service could not be asked for check-ins ({why}); the exposure "
            "list would be incomplete, so none is given. Try again later.",
            code="appointments_unavailable",
        )
        self.why = why


class CheckInRecord(BaseModel):
    """One item of `GET /check-ins` (the fields tracing reads)."""

    model_config = ConfigDict(extra="ignore")

    id: int
    department: str
    patient_external_id: str
    patient_name: str
    at: AwareDatetime
    outcome: str


class BookedTestRecord(BaseModel):
    """`GET /test-requests/{booking_code}`: whom a booking code names (the fields used)."""

    model_config = ConfigDict(extra="ignore")

    booking_code: str
    site: str
    person_external_id: str
    name: str
    slot_start: AwareDatetime
    status: str


class CheckInPage(BaseModel):
    """One page of `GET /check-ins`."""

    model_config = ConfigDict(extra="ignore")

    items: list[CheckInRecord]
    next_cursor: str | None = None


def _visit(record: CheckInRecord) -> Visit:
    return Visit(
        record.patient_external_id,
        record.patient_name,
        record.department,
        record.at,
        record.outcome,
    )


class AppointmentsClient:
    """`GET /check-ins` on the appointments service, every page, with the given credentials."""

    def __init__(
        self, http: ServiceClient, service_token: str | None = None, *, timeout_s: float = 2.0
    ) -> None:
        self._http = http
        self.service_token = service_token
        self._timeout_s = timeout_s

    def _page(
        self, params: Mapping[str, str | int], headers: Mapping[str, str], deadline: Deadline
    ) -> CheckInPage:
        try:
            response = self._http.get_blocking(
                "/check-ins", deadline, params=params, headers=headers
            )
        except httpx.TimeoutException as exc:
            raise _unavailable("timed out") from exc
        except httpx.HTTPError as exc:
            raise _unavailable("unreachable") from exc
        if response.status_code != 200:
            raise _unavailable(f"answered {response.status_code}")
        try:
            return CheckInPage.model_validate_json(response.content)
        except ValidationError as exc:
            raise _unavailable("malformed answer") from exc

    def check_ins(
        self,
        headers: Mapping[str, str],
        *,
        start: datetime,
        end: datetime,
        department: str | None = None,
        patient_external_id: str | None = None,
    ) -> list[Visit]:
        """Every check-in with `start <= at < end` for the department and/or patient."""
        params: dict[str, str | int] = {
            "from": start.isoformat(),
            "to": end.isoformat(),
            "limit": PAGE_LIMIT,
        }
        if department is not None:
            params["department"] = department
        if patient_external_id is not None:
            params["patient_external_id"] = patient_external_id
        visits: list[Visit] = []
        seen: set[str] = set()
        deadline = Deadline.after(self._timeout_s)
        for _ in range(MAX_PAGES):
            page = self._page(params, headers, deadline)
            visits.extend(_visit(r) for r in page.items)
            if page.next_cursor is None:
                return visits
            if page.next_cursor in seen:
                raise _unavailable("a page cursor repeated")
            seen.add(page.next_cursor)
            params["cursor"] = page.next_cursor
        raise _unavailable(f"more than {MAX_PAGES} pages")

    def booked_test(self, booking_code: str, headers: Mapping[str, str]) -> BookedTestRecord | None:
        """`GET /test-requests/{code}`: whom a booking code names; None for an unknown code,
        503 `appointments_unavailable` for anything but a valid answer."""
        deadline = Deadline.after(self._timeout_s)
        path = "/test-requests/" + quote(booking_code, safe="")
        try:
            response = self._http.get_blocking(path, deadline, headers=headers)
        except httpx.TimeoutException as exc:
            raise _booking_unavailable("timed out") from exc
        except httpx.HTTPError as exc:
            raise _booking_unavailable("unreachable") from exc
        if response.status_code in (404, 422):
            return None
        if response.status_code != 200:
            raise _booking_unavailable(f"answered {response.status_code}")
        try:
            return BookedTestRecord.model_validate_json(response.content)
        except ValidationError as exc:
            raise _booking_unavailable("malformed answer") from exc

    async def close(self) -> None:
        """Release pooled connections."""
        await self._http.close()


def _unavailable(why: str) -> AppointmentsUnavailable:
    log.warning("appointments service unavailable: %s", why)
    return AppointmentsUnavailable(why)


def _booking_unavailable(why: str) -> ServiceUnavailable:
    log.warning("appointments service unavailable for a booking code: %s", why)
    return ServiceUnavailable(
        f"The appointments service could not be asked for the booking ({why}). Try again later.",
        code="appointments_unavailable",
    )
