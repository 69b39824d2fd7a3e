"""Domain errors and their one renderer: RFC 9457 problem+json."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from http import HTTPStatus
from typing import Any

from pydantic import ValidationError

PROBLEM_JSON = "application/problem+json"
TYPE_BASE = "urn:wardgate:problem:"


class Problem(Exception):
    """An expected failure a client can act on, rendered as problem+json."""

    status: int = 400
    code: str = "bad_request"

    def __init__(
        self,
        detail: str,
        *,
        code: str | None = None,
        status: int | None = None,
        title: str | None = None,
        reasons: Sequence[Mapping[str, Any]] | None = None,
        errors: Sequence[Mapping[str, Any]] | None = None,
        headers: Mapping[str, str] | None = None,
        extra: Mapping[str, Any] | None = None,
    ) -> None:
        super().__init__(detail)
        self.detail = detail
        if code is not None:
            self.code = code
        if status is not None:
            self.status = status
        self.title = title or HTTPStatus(self.status).phrase
        self.reasons = list(reasons) if reasons is not None else None
        self.errors = list(errors) if errors is not None else None
        self.headers = dict(headers or {})
        self.extra = dict(extra or {})

    def body(self) -> dict[str, Any]:
        """The problem+json document."""
        doc: dict[str, Any] = {
            "type": TYPE_BASE + self.code,
            "title": self.title,
            "status": self.status,
            "detail": self.detail,
            "code": self.code,
        }
        reasons = self.reasons
        if reasons is None and self.errors is None:
            reasons = [{"code": self.code, "detail": self.detail}]
        if reasons is not None:
            doc["reasons"] = reasons
        if self.errors is not None:
            doc["errors"] = self.errors
        doc.update(self.extra)
        return doc


class BadRequest(Problem):
    status, code = 400, "bad_request"


class Unauthorized(Problem):
    status, code = 401, "unauthorized"

    def __init__(self, detail: str = "A valid bearer token is required.", **kw: Any) -> None:
        kw.setdefault("headers", {"WWW-Authenticate": 'Bearer realm="wardgate"'})
        super().__init__(detail, **kw)


class Forbidden(Problem):
    status, code = 403, "forbidden"


class NotFound(Problem):
    status, code = 404, "not_found"


class Conflict(Problem):
    status, code = 409, "conflict"


class PayloadTooLarge(Problem):
    status, code = 413, "payload_too_large"


class Unprocessable(Problem):
    status, code = 422, "unprocessable"


class ServiceUnavailable(Problem):
    status, code = 503, "service_unavailable"


def field_error(field: str, message: str, kind: str = "value_error") -> dict[str, Any]:
    """One per-field error in the shape validation errors use."""
    return {"field": field, "loc": field.split("."), "msg": message, "type": kind}


def validation_errors(exc: ValidationError) -> list[dict[str, Any]]:
    """Pydantic errors in the same per-field shape (values never echoed)."""
    return [
        {
            "field": ".".join(str(p) for p in e["loc"]),
            "loc": list(e["loc"]),
            "msg": e["msg"],
            "type": e["type"],
        }
        for e in exc.errors(include_url=False, include_input=False)
    ]
