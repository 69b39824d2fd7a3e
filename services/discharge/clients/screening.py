"""The typed client of the screening service: a person and every version of their results.

Fail closed: anything but a well-formed answer about the person asked for, in time, is
`ScreeningUnavailable` (timeouts, connection errors, 5xx, unexpected statuses, malformed
JSON, an unexpected shape, a different person, results of someone else, endless paging).
Only a 404 for the person means "unknown patient".
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import httpx
import orjson
from fastapi import FastAPI, Request
from pydantic import AwareDatetime, BaseModel, ConfigDict, ValidationError

from services.discharge.settings import DischargeSettings
from shared.auth.tokens import Principal
from shared.service_client import (
    Answer,
    Deadline,
    DeadlineExceeded,
    ServiceClient,
    relay_headers,
)
from shared.vocabulary import ResultStatus

log = logging.getLogger("wardgate.discharge.screening")

PAGE_LIMIT = 500
MAX_PAGES = 200  # 100,000 result versions for one person is not a real history


class ScreeningUnavailable(Exception):
    """The screening service could not give a trustworthy answer in time."""


class ScreeningPerson(BaseModel):
    """The fields of a screening person the discharge gate reads."""

    model_config = ConfigDict(extra="ignore")

    external_id: str
    category: str
    department: str | None = None
    ward: str | None = None
    admitted_at: AwareDatetime | None = None


class ScreeningResult(BaseModel):
    """One stored version of a screening result, as the screening service answers it."""

    model_config = ConfigDict(extra="ignore")

    external_id: str
    version: int
    person_external_id: str
    test_type: str
    result: str | None = None
    status: ResultStatus
    specimen_collected_at: AwareDatetime
    resulted_at: AwareDatetime | None = None
    loinc: str | None = None
    values: Any = None
    replaces: Any = None
    method: str = "individual"  # or "pooled": one member's share of a pool's result
    pool_id: str | None = None


class ResultsPage(BaseModel):
    """One page of `GET /persons/{id}/results`."""

    model_config = ConfigDict(extra="ignore")

    items: list[ScreeningResult]
    next_cursor: str | None = None


@dataclass(frozen=True)
class PatientRecord:
    """A person and every version of their results, as the screening service gave them."""

    person: ScreeningPerson
    results: list[ScreeningResult]


class ScreeningRecord(ScreeningPerson):
    """`GET /persons/{id}?include=results`: the person and a first page of every version."""

    results: ResultsPage


NAME_LIMIT = 200  # characters of a name shown on a page


class ScreeningClient:
    """Reads a person with their whole result history from the screening service: one call
    (`GET /persons/{id}?include=results`), more pages only for a history over 500 versions."""

    def __init__(
        self, http: ServiceClient, *, timeout_s: float, service_token: str | None = None
    ) -> None:
        self._http = http
        self._timeout_s = timeout_s
        self._service_token = service_token

    async def patient_record(self, principal: Principal, external_id: str) -> PatientRecord | None:
        """The person and all their result versions; None when screening does not know them."""
        deadline = Deadline.after(self._timeout_s)
        headers = relay_headers(principal, self._service_token)
        path = f"/persons/{quote(external_id, safe='')}"
        first = {"include": "results", "limit": str(PAGE_LIMIT)}
        response = await self._get(path, headers, first, deadline, person_call=True)
        if response.status_code == 404:
            return None
        record = self._parse(response, ScreeningRecord)
        if record.external_id != external_id:
            raise ScreeningUnavailable("the screening service answered about another person")
        results = await self._results(path + "/results", external_id, headers, deadline, record)
        return PatientRecord(person=record, results=results)

    async def person_name(
        self, principal: Principal, external_id: str, deadline: Deadline
    ) -> str | None:
        """The person's name for a page (a courtesy: None when screening cannot give it)."""
        path = f"/persons/{quote(external_id, safe='')}"
        headers = relay_headers(principal, self._service_token)
        try:
            answer = await self._http.get(path, deadline, headers=headers)
            name = orjson.loads(answer.content).get("name") if answer.status_code == 200 else None
        except Exception:  # any failure shows the id alone
            return None
        return name[:NAME_LIMIT] if isinstance(name, str) and name.strip() else None

    async def _results(
        self,
        path: str,
        external_id: str,
        headers: dict[str, str],
        deadline: Deadline,
        record: ScreeningRecord,
    ) -> list[ScreeningResult]:
        page = record.results
        results: list[ScreeningResult] = []
        seen: set[str] = set()
        for _ in range(MAX_PAGES):
            if any(r.person_external_id != external_id for r in page.items):
                raise ScreeningUnavailable("the screening service returned another person's result")
            results += page.items
            cursor = page.next_cursor
            if cursor is None:
                return results
            if cursor in seen:
                raise ScreeningUnavailable("the screening service repeated a cursor")
            seen.add(cursor)
            params = {"include_history": "true", "limit": str(PAGE_LIMIT), "cursor": cursor}
            page = self._parse(await self._get(path, headers, params, deadline), ResultsPage)
        raise ScreeningUnavailable("the result history did not end")

    async def _get(
        self,
        path: str,
        headers: dict[str, str],
        params: dict[str, str],
        deadline: Deadline,
        *,
        person_call: bool = False,
    ) -> Answer:
        try:
            answer = await self._http.get(path, deadline, headers=headers, params=params)
        except DeadlineExceeded as exc:
            raise ScreeningUnavailable("the screening service did not answer in time") from exc
        except httpx.HTTPError as exc:
            log.warning("screening call failed: %s", type(exc).__name__)
            raise ScreeningUnavailable(f"screening call failed: {type(exc).__name__}") from exc
        content_type = answer.headers.get("content-type", "")
        if answer.status_code == 404 and person_call and "problem+json" in content_type:
            return answer  # a WardGate "no such person" (anything else fails closed)
        if answer.status_code != 200:
            log.warning("screening answered %s on %s", answer.status_code, path.split("/")[1])
            raise ScreeningUnavailable(f"the screening service answered {answer.status_code}")
        return answer

    @staticmethod
    def _parse(answer: Answer, model: type[Any]) -> Any:
        try:
            return model.model_validate_json(answer.content)
        except ValidationError as exc:
            raise ScreeningUnavailable(
                "the screening service answered in an unexpected shape"
            ) from exc


def screening_lifespan(settings: DischargeSettings) -> Any:
    """The lifespan extension building (and closing) the one pooled screening client."""

    @asynccontextmanager
    async def extension(app: FastAPI) -> AsyncIterator[None]:
        http = ServiceClient(settings.screening_url, retries=settings.screening_connect_retries)
        await http.open()
        app.state.screening = ScreeningClient(
            http,
            timeout_s=settings.screening_timeout_s,
            service_token=settings.wardgate_service_token,
        )
        try:
            yield
        finally:
            await http.close()

    return extension


async def screening_client(request: Request) -> ScreeningClient:
    """Dependency: the app's screening client (async: no thread-pool hop to fetch it)."""
    client: ScreeningClient = request.app.state.screening
    return client
