"""The OpenAPI document says what the services really answer: problem+json errors and auth.

FastAPI documents only the success answer and a 422 `HTTPValidationError` as
`application/json`. Every WardGate error leaves as RFC 9457 `application/problem+json`
(shared/web/problems.py), and every route but the public ones needs a bearer token, so the
document is completed once, when first asked for: each error answer a route can give is
listed with the problem schema (401/403 for authenticated routes, 404 where a path names a
record, 400/413 where a body is read, 422, and 503 for a busy database or a downstream
service), and the bearer scheme is declared. Error answers a route documents itself in
another media type (FHIR OperationOutcomes, HL7 ACKs) are kept as they are.

Query parameters are documented as the service takes them: a text parameter with no pattern
of its own gets the pattern the query-string guard enforces (no control character; see
shared/web/query_guard.py), so a client or a fuzzer that holds to the document is not refused.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from fastapi import FastAPI

PUBLIC_PATHS = frozenset({"/health", "/metrics"})
# What shared/web/query_guard.py lets through: no C0, DEL or C1 control character.
CONTROL_FREE = r"^[^\x00-\x1f\x7f-\x9f]*$"
_METHODS = ("get", "put", "post", "delete", "patch", "head", "options")
_PROBLEM_JSON = "application/problem+json"

PROBLEM_SCHEMA: dict[str, Any] = {
    "title": "Problem",
    "description": "RFC 9457 problem details, as every WardGate error answer.",
    "type": "object",
    "required": ["type", "title", "status", "detail"],
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "code": {"type": "string", "description": "The contract's reason code."},
        "reasons": {"type": "array", "items": {"type": "object"}},
        "errors": {"type": "array", "items": {"type": "object"}},
    },
    "additionalProperties": True,
}

_ALWAYS = {
    422: "The request is not valid (`validation_error`, or a rule named by `code`).",
    503: "The database was busy (`database_busy`, retry after `Retry-After`) or a service "
    "this one depends on could not answer.",
}
_AUTHENTICATED = {
    401: "Missing, malformed, expired or wrongly signed bearer token.",
    403: "The token is valid but lacks a role this route needs.",
}
_WITH_PATH_ID = {404: "No such record."}
_WITH_BODY = {
    400: "The body could not be parsed.",
    413: "The body is larger than 10 MiB.",
}


def _problem_content() -> dict[str, Any]:
    return {_PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/Problem"}}}


def _is_default_json(content: dict[str, Any] | None) -> bool:
    """True when FastAPI filled in (or left out) the media type: it is really problem+json."""
    if not content:
        return True
    return set(content) == {"application/json"}


def _document_errors(operation: dict[str, Any], errors: dict[int, str], public: bool) -> None:
    responses = operation.setdefault("responses", {})
    for status, description in errors.items():
        responses.setdefault(str(status), {"description": description})
    for status, response in responses.items():
        if not status.isdigit() or int(status) < 400:
            continue
        content = response.get("content")
        if public and content:
            continue  # /health answers its own JSON
        if _is_default_json(content):
            response["content"] = _problem_content()
        elif _PROBLEM_JSON in content and not content[_PROBLEM_JSON].get("schema"):
            content[_PROBLEM_JSON] = _problem_content()[_PROBLEM_JSON]
        elif _PROBLEM_JSON not in response["content"] and int(status) in (401, 403, 413):
            # Raised before the route runs, so always problem+json whatever the route answers.
            response["content"] = {**response["content"], **_problem_content()}


def _errors_for(path: str, operation: dict[str, Any], public: bool) -> dict[int, str]:
    errors: dict[int, str] = {}
    if not public:
        errors.update(_AUTHENTICATED)
    if "{" in path:
        errors.update(_WITH_PATH_ID)
    if "requestBody" in operation:
        errors.update(_WITH_BODY)
    if not public:
        errors.update(_ALWAYS)
    elif operation.get("parameters") or "requestBody" in operation:
        errors[422] = _ALWAYS[422]
    return errors


def _text_schemas(schema: dict[str, Any]) -> Iterable[dict[str, Any]]:
    """The plain text schemas in a parameter's schema (itself, or its `anyOf` branches)."""
    for branch in [schema, *schema.get("anyOf", [])]:
        if branch.get("type") == "string" and not {"enum", "format", "pattern"} & set(branch):
            yield branch


def _document_query_text(operation: dict[str, Any]) -> None:
    for parameter in operation.get("parameters", []):
        if parameter.get("in") == "query":
            for schema in _text_schemas(parameter.get("schema", {})):
                schema["pattern"] = CONTROL_FREE


def complete_error_documentation(
    spec: dict[str, Any], public_paths: Iterable[str] = PUBLIC_PATHS
) -> dict[str, Any]:
    """Add the problem schema, bearer security and each route's error answers to `spec`."""
    public = frozenset(public_paths)
    components = spec.setdefault("components", {})
    schemas = components.setdefault("schemas", {})
    schemas["Problem"] = PROBLEM_SCHEMA
    schemas.pop("HTTPValidationError", None)
    schemas.pop("ValidationError", None)
    components.setdefault("securitySchemes", {})["bearer"] = {
        "type": "http",
        "scheme": "bearer",
        "bearerFormat": "JWT",
    }
    for path, item in spec.get("paths", {}).items():
        for method in _METHODS:
            operation = item.get(method)
            if operation is None:
                continue
            # `security: []` on a route (openapi_extra): public, as the residents' endpoints.
            is_public = path in public or operation.get("security") == []
            if not is_public:
                operation.setdefault("security", [{"bearer": []}])
            _document_errors(operation, _errors_for(path, operation, is_public), path in public)
            _document_query_text(operation)
    return spec


def install_error_documentation(app: FastAPI) -> None:
    """Make `app.openapi()` answer the completed document (built once, then cached)."""
    build = app.openapi
    completed: list[dict[str, Any]] = []

    def openapi() -> dict[str, Any]:
        if not completed:
            completed.append(complete_error_documentation(build()))
        return completed[0]

    app.openapi = openapi  # type: ignore[method-assign]
