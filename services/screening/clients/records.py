"""A person's records in the other services, as the person page's timeline reads them.

Check-ins, virtual visits and department names from appointments; discharge checks and
discharge attempts from discharge. Each read relays the caller's own token (so each service
authorizes and audits the person who looks), follows pages within one short deadline and
answers either every record or a `Gap` saying why it could not: never a shorter list.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final, Literal, TypeVar

import httpx
from pydantic import AwareDatetime, BaseModel, ConfigDict, ValidationError

from services.screening.settings import ScreeningSettings
from shared.service_client import Deadline, ServiceClient

log = logging.getLogger("wardgate.screening.records")

PAGE_LIMIT: Final = 200
# A person's own records are few; more pages than this is a runaway cursor, not an answer.
MAX_PAGES: Final = 10
Source = Literal["appointments", "discharge"]
Why = Literal["unreachable", "forbidden", "unexpected"]
M = TypeVar("M", bound=BaseModel)


@dataclass(frozen=True)
class Gap:
    """Records one service could not give, and why (shown in words, never a silent gap)."""

    source: Source
    why: Why


class _Item(BaseModel):
    model_config = ConfigDict(extra="ignore")


class CheckInRecord(_Item):
    """One check-in attempt (`GET /check-ins`)."""

    id: int
    department: str
    at: AwareDatetime
    outcome: str
    temperature_c: float | None = None


class VirtualVisitRecord(_Item):
    """One virtual visit (`GET /virtual-visits`)."""

    id: str | int
    ward: str
    visitor_name: str
    start: AwareDatetime
    status: str
    created_at: AwareDatetime | None = None


class Reason(_Item):
    """A reason a discharge check or attempt gave."""

    code: str
    test_type: str | None = None
    detail: str = ""


class DischargeCheckRecord(_Item):
    """One discharge check (`GET /discharge-checks`)."""

    check_id: str | int
    eligible: bool
    reasons: list[Reason] = []
    checked_at: AwareDatetime
    actor: str | None = None


class DischargeRecord(_Item):
    """One discharge attempt (`GET /discharges`): discharged, blocked or exception."""

    id: int
    disposition: str | None = None
    outcome: str
    reasons: list[Reason] = []
    actor: str | None = None
    created_at: AwareDatetime


class DepartmentRecord(_Item):
    """One department (`GET /departments`)."""

    code: str
    name: str


class _SourceFailed(Exception):
    def __init__(self, why: Why) -> None:
        super().__init__(why)
        self.why = why


@dataclass
class RecordSources:
    """Pooled clients of appointments and discharge, and the deadline of each read."""

    appointments: ServiceClient
    discharge: ServiceClient
    timeout_s: float = 1.5

    @classmethod
    def from_settings(cls, settings: ScreeningSettings) -> RecordSources:
        """Clients for the configured addresses (opened on first use)."""
        return cls(
            ServiceClient(settings.appointments_url),
            ServiceClient(settings.discharge_url),
            settings.wardgate_timeline_timeout_s,
        )

    async def close(self) -> None:
        """Release pooled connections."""
        await self.appointments.close()
        await self.discharge.close()

    async def _every(
        self, source: Source, path: str, params: Mapping[str, str], headers: Mapping[str, str]
    ) -> list[dict[str, Any]] | Gap:
        http = self.appointments if source == "appointments" else self.discharge
        deadline = Deadline.after(self.timeout_s)
        query: dict[str, str | int] = {**params, "limit": PAGE_LIMIT}
        items: list[dict[str, Any]] = []
        try:
            for _ in range(MAX_PAGES):
                page = await _page(http, path, query, headers, deadline)
                items.extend(page["items"])
                if not page.get("next_cursor"):
                    return items
                query["cursor"] = str(page["next_cursor"])
            raise _SourceFailed("unexpected")
        except _SourceFailed as failed:
            log.warning("%s %s: %s", source, path, failed.why)
            return Gap(source, failed.why)

    async def check_ins(
        self, patient: str, headers: Mapping[str, str]
    ) -> list[CheckInRecord] | Gap:
        """Every check-in attempt of the patient, or why not."""
        found = await self._every(
            "appointments", "/check-ins", {"patient_external_id": patient}, headers
        )
        return _typed(found, CheckInRecord)

    async def virtual_visits(
        self, patient: str, headers: Mapping[str, str]
    ) -> list[VirtualVisitRecord] | Gap:
        """Every virtual visit booked for the patient, or why not."""
        found = await self._every(
            "appointments", "/virtual-visits", {"patient_external_id": patient}, headers
        )
        return _typed(found, VirtualVisitRecord)

    async def departments(self, headers: Mapping[str, str]) -> list[DepartmentRecord] | Gap:
        """Every department with its name, or why not."""
        return _typed(
            await self._every("appointments", "/departments", {}, headers), DepartmentRecord
        )

    async def discharge_checks(
        self, patient: str, headers: Mapping[str, str]
    ) -> list[DischargeCheckRecord] | Gap:
        """Every discharge check of the patient, or why not."""
        found = await self._every(
            "discharge", "/discharge-checks", {"patient_external_id": patient}, headers
        )
        return _typed(found, DischargeCheckRecord)

    async def discharges(
        self, patient: str, headers: Mapping[str, str]
    ) -> list[DischargeRecord] | Gap:
        """Every discharge attempt of the patient, or why not."""
        found = await self._every(
            "discharge", "/discharges", {"patient_external_id": patient}, headers
        )
        return _typed(found, DischargeRecord)


SOURCES: Final[dict[type[BaseModel], Source]] = {
    CheckInRecord: "appointments",
    VirtualVisitRecord: "appointments",
    DepartmentRecord: "appointments",
    DischargeCheckRecord: "discharge",
    DischargeRecord: "discharge",
}


async def _page(
    http: ServiceClient,
    path: str,
    query: Mapping[str, str | int],
    headers: Mapping[str, str],
    deadline: Deadline,
) -> dict[str, Any]:
    try:
        answer = await http.get(path, deadline, params=query, headers=headers)
    except httpx.HTTPError as exc:
        raise _SourceFailed("unreachable") from exc
    except Exception as exc:  # any other failure of a read is a gap on the page, never a 500
        log.exception("reading %s failed unexpectedly", path)
        raise _SourceFailed("unexpected") from exc
    if answer.status_code in (401, 403):
        raise _SourceFailed("forbidden")
    if answer.status_code != 200:
        raise _SourceFailed("unreachable" if answer.status_code >= 500 else "unexpected")
    try:
        page = json.loads(answer.content)
    except ValueError as exc:
        raise _SourceFailed("unexpected") from exc
    if not isinstance(page, dict) or not isinstance(page.get("items"), list):
        raise _SourceFailed("unexpected")
    return page


def _typed(found: list[dict[str, Any]] | Gap, model: type[M]) -> list[M] | Gap:
    """The items validated as `model`; a Gap when one does not fit (no partial list)."""
    if isinstance(found, Gap):
        return found
    try:
        return [model.model_validate(item) for item in found]
    except ValidationError:
        log.warning("a %s record did not fit its shape", model.__name__)
        return Gap(SOURCES[model], "unexpected")
