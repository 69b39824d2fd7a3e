"""FHIR R4: post Observations and Bundles, read results back, the CapabilityStatement.

Answers are FHIR JSON (`application/fhir+json`); errors are OperationOutcomes. Integration only.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any
from urllib.parse import urlencode

import orjson
from fastapi import APIRouter, Depends, Request, Response
from sqlmodel import Session

from services.screening.feeds import terminology as t
from services.screening.feeds.fhir import render
from services.screening.feeds.fhir.read import Unreadable, parse_json
from services.screening.feeds.patient import usable_identifier
from services.screening.fhir.service import (
    BUNDLE,
    OBSERVATION,
    Answer,
    person_observations,
    refuse_unreadable,
    take_bundle,
    take_observation,
)
from services.screening.intake.service import Feeder
from services.screening.web import utc_now
from shared.audit import Audit, AuditTrail
from shared.auth import Principal, require
from shared.auth.roles import INTEGRATION
from shared.db import DbSession
from shared.errors import Problem
from shared.fields import IDENTIFIER_PATTERN
from shared.pagination import Position, next_cursor, page_size, row_id_after

router = APIRouter(prefix="/fhir", tags=["FHIR R4"])
Integration = Annotated[Principal, Depends(require(INTEGRATION))]
_JSON_TYPES = ("application/fhir+json", "application/json", "application/json+fhir")
_FHIR_RESPONSE = {"content": {render.FHIR_JSON: {"schema": {"type": "object"}}}}
_FHIR_BODY = {
    "requestBody": {
        "required": True,
        "content": {render.FHIR_JSON: {"schema": {"type": "object"}}},
    }
}


async def _raw_body(request: Request) -> bytes:
    return await request.body()


def _fhir(status: int, body: dict[str, Any], location: str = "") -> Response:
    headers = {"Location": location} if location else None
    return Response(orjson.dumps(body), status, headers=headers, media_type=render.FHIR_JSON)


def _media(request: Request) -> str:
    return (request.headers.get("content-type") or "").split(";")[0].strip().lower()


def _read(request: Request, body: bytes) -> Any:
    if _media(request) not in _JSON_TYPES:
        raise Unreadable("Send FHIR as application/fhir+json.")
    return parse_json(body)


def _answer(answer: Answer) -> Response:
    return _fhir(answer.status, answer.body, answer.location)


@router.post(
    "/Observation",
    summary="Create a result from a FHIR R4 Observation",
    description=(
        "LOINC-coded Observation; `subject.identifier.value` is the person's external id; "
        "`identifier[0].value` the laboratory's result id; `effectiveDateTime` the specimen "
        "time; `issued` the result time; `status` final/amended/corrected/entered-in-error/"
        "preliminary; the result as a SNOMED CT `valueCodeableConcept`. 201 with the stored "
        "Observation, 200 for a retry, 202 with an OperationOutcome when held in the inbox "
        "(unknown person, unmapped code), 200 with an informational OperationOutcome for an "
        "ask-at-order-entry answer or another test's result (ignored, not held), "
        "400/415/422 OperationOutcome otherwise. Primitive extensions are not read."
    ),
    response_class=Response,
    responses={
        201: _FHIR_RESPONSE,
        202: _FHIR_RESPONSE,
        400: _FHIR_RESPONSE,
        415: _FHIR_RESPONSE,
        422: _FHIR_RESPONSE,
    },
    openapi_extra=_FHIR_BODY,
)
def post_observation(
    request: Request,
    body: Annotated[bytes, Depends(_raw_body)],
    session: DbSession,
    audit: Audit,
    principal: Integration,
) -> Response:
    return _take(request, body, session, audit, principal, take_observation, OBSERVATION)


def _take(
    request: Request,
    body: bytes,
    session: Session,
    audit: AuditTrail,
    principal: Principal,
    take: Callable[..., Answer],
    action: str,
) -> Response:
    """Read the FHIR document, hand it to `take` as the caller, and answer in FHIR."""
    try:
        document = _read(request, body)
    except Unreadable as exc:
        status = 400 if _media(request) in _JSON_TYPES else 415
        return _answer(refuse_unreadable(exc, status, audit, action))
    feeder = Feeder(principal.sub, "fhir", audit)
    zone = request.app.state.settings.timezone
    return _answer(take(session, document, feeder, zone, utc_now()))


@router.post(
    "",
    summary="Process a FHIR R4 Bundle (batch, transaction, collection or message)",
    description=(
        "Observations and DiagnosticReports (with contained or referenced Observations); "
        "Patients and Specimens in the Bundle are used to resolve `subject` and specimen "
        "times; every other resource is answered 'not read' (never validated, never a reason "
        "to refuse), and results of other tests are counted as ignored. Answers a "
        "`batch-response` Bundle (entry by entry: 201, 200, 202 held, 4xx) or, "
        "for a transaction, a `transaction-response`; a transaction with any failing entry "
        "stores nothing and answers 422 with an OperationOutcome."
    ),
    response_class=Response,
    responses={200: _FHIR_RESPONSE, 400: _FHIR_RESPONSE, 415: _FHIR_RESPONSE, 422: _FHIR_RESPONSE},
    openapi_extra=_FHIR_BODY,
)
def post_bundle(
    request: Request,
    body: Annotated[bytes, Depends(_raw_body)],
    session: DbSession,
    audit: Audit,
    principal: Integration,
) -> Response:
    return _take(request, body, session, audit, principal, take_bundle, BUNDLE)


def _token(value: str | None) -> tuple[str, str]:
    system, _, code = (value or "").rpartition("|")
    return system, code.strip()


def _query(
    name: str, description: str, required: bool = False, pattern: str = r"^[^\x00-\x1f\x7f-\x9f]*$"
) -> dict[str, Any]:
    return {
        "name": name,
        "in": "query",
        "required": required,
        "schema": {"type": "string", "pattern": pattern},
        "description": description,
    }


# Read from the raw query string (FHIR names such as `subject:identifier`), so declared here,
# with what each accepts (so that generated and client data fit what is taken).
_SEARCH_PARAMETERS = [
    _query(
        "subject:identifier",
        "The person's external id (`system|value` or `value`).",
        True,
        r"^([^|\x00-\x1f\x7f-\x9f]*\|)?" + IDENTIFIER_PATTERN.removeprefix("^"),
    ),
    _query("code", "A LOINC code, optionally `http://loinc.org|code`."),
    _query("_count", "Page size, at most 500.", pattern=r"^[0-9]*$"),
    _query("_page_token", "The `next` link's token.", pattern=r"^[A-Za-z0-9_-]*$"),
]


def _search_error(detail: str, expression: str) -> Response:
    return _fhir(400, render.outcome("error", "invalid", detail, expression))


@router.get(
    "/Observation",
    summary="Search a person's results as FHIR Observations",
    description=(
        "`subject:identifier` (required: the person's external id, optionally `system|value`), "
        "`code` (a LOINC code, optionally `http://loinc.org|code`), `_count` (at most 500). "
        "Latest version of each result, newest first; a `next` link while more remain."
    ),
    response_class=Response,
    responses={200: _FHIR_RESPONSE, 400: _FHIR_RESPONSE},
    openapi_extra={"parameters": _SEARCH_PARAMETERS},
)
def search_observations(
    request: Request, session: DbSession, audit: Audit, principal: Integration
) -> Response:
    params = request.query_params
    _system, person = _token(params.get("subject:identifier"))
    if not usable_identifier(person):
        return _search_error("subject:identifier must be a person's external id", "subject")
    test_type = None
    if params.get("code"):
        system, code = _token(params.get("code"))
        known = t.test_code(t.coding_system(system or "http://loinc.org"), code)
        if known is None or known.test_type is None:
            return _fhir(200, render.searchset([], None, str(request.url)))
        test_type = known.test_type
    count = params.get("_count", "")
    if count and not (count.isascii() and count.isdigit()):  # "²" is a digit to isdigit()
        return _search_error("_count must be a positive number", "_count")
    # Four significant digits are already past the cap (int() refuses 4,300 and more).
    size = page_size(int(count.lstrip("0")[:4] or "0") if count else None)
    try:
        after = row_id_after(params.get("_page_token"))
    except Problem:
        return _search_error("_page_token is not valid", "_page_token")
    rows = person_observations(
        session, audit, person, test_type=test_type, size=size, after_id=after
    )
    rows, cursor = next_cursor(rows, size, lambda r: Position(r.id))
    next_url = None
    if cursor:
        query = {k: v for k, v in params.items() if k != "_page_token"} | {"_page_token": cursor}
        next_url = f"{request.url.remove_query_params(list(params.keys()))}?{urlencode(query)}"
    resources = [render.observation(r) for r in rows]
    return _fhir(200, render.searchset(resources, next_url, str(request.url)))


@router.get(
    "/metadata",
    summary="The FHIR CapabilityStatement",
    description="What this server accepts and answers in FHIR R4 (4.0.1).",
    response_class=Response,
    responses={200: _FHIR_RESPONSE},
)
def capability_statement(principal: Integration) -> Response:
    return _fhir(200, render.capability_statement(utc_now()))
