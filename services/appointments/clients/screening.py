"""The screening service, as the appointments service needs it: who a patient is, and where."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import quote

import httpx

from shared.auth import Principal
from shared.errors import ServiceUnavailable
from shared.service_client import Deadline, ServiceClient, relay_headers

log = logging.getLogger("wardgate.appointments.screening")


@dataclass(frozen=True)
class PersonRecord:
    """The parts of a screening-service person the appointments service uses."""

    external_id: str
    category: str
    department: str | None
    ward: str | None
    # When the current admission ended (the discharge reached screening); None while it lasts.
    discharged_at: datetime | None = None


def _unavailable(why: str) -> ServiceUnavailable:
    log.warning("screening service unavailable: %s", why)
    return ServiceUnavailable(
        f"The screening service could not be asked where the patient is ({why}); "
        "nothing was booked. Try again later.",
        code="screening_unavailable",
    )


def _optional_text(doc: dict[str, object], name: str) -> str | None:
    value = doc.get(name)
    if value is None or isinstance(value, str):
        return value or None
    raise ValueError(f"{name} is not a string")


def _discharged_at(doc: dict[str, object]) -> datetime | None:
    admission = doc.get("admission")
    if admission is None:
        return None
    if not isinstance(admission, dict):
        raise ValueError("admission is not an object")
    text = _optional_text(admission, "discharged_at")
    if text is None:
        return None
    moment = datetime.fromisoformat(text)
    if moment.tzinfo is None:
        raise ValueError("discharged_at has no offset")
    return moment


def _person_from(doc: object, external_id: str) -> PersonRecord:
    if not isinstance(doc, dict) or not isinstance(doc.get("category"), str):
        raise ValueError("not a person document")
    return PersonRecord(
        external_id=external_id,
        category=str(doc["category"]),
        department=_optional_text(doc, "department"),
        ward=_optional_text(doc, "ward"),
        discharged_at=_discharged_at(doc),
    )


class ScreeningClient:
    """GET /persons/{external_id} on the screening service, the caller's token relayed.

    The whole answer must arrive within `timeout_s` (SCREENING_TIMEOUT_S), not only each read.
    """

    def __init__(
        self, http: ServiceClient, service_token: str | None = None, *, timeout_s: float = 2.0
    ) -> None:
        self._http = http
        self._service_token = service_token
        self._timeout_s = timeout_s

    def person(self, external_id: str, principal: Principal) -> PersonRecord | None:
        """The person, None when the screening service does not know them; 503 otherwise."""
        path = "/persons/" + quote(external_id, safe="")
        headers = relay_headers(principal, self._service_token)
        try:
            response = self._http.get_blocking(
                path, Deadline.after(self._timeout_s), headers=headers
            )
        except httpx.TimeoutException as exc:
            raise _unavailable("timed out") from exc
        except httpx.HTTPError as exc:
            raise _unavailable("unreachable") from exc
        if response.status_code == 404:
            return None
        if response.status_code != 200:
            raise _unavailable(f"answered {response.status_code}")
        try:
            return _person_from(json.loads(response.content), external_id)
        except ValueError as exc:
            raise _unavailable("malformed answer") from exc

    def upsert_person(self, external_id: str, person: dict[str, object], token: str) -> None:
        """PUT /persons/{external_id} with the service credential; 503 on any failure."""
        path = "/persons/" + quote(external_id, safe="")
        headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
        try:
            response = self._http.call_blocking(
                "PUT",
                path,
                Deadline.after(self._timeout_s),
                headers=headers,
                content=json.dumps(person).encode(),
            )
        except httpx.TimeoutException as exc:
            raise _unavailable("timed out") from exc
        except httpx.HTTPError as exc:
            raise _unavailable("unreachable") from exc
        if response.status_code not in (200, 201):
            raise _unavailable(f"answered {response.status_code}")

    async def close(self) -> None:
        """Release pooled connections."""
        await self._http.close()
