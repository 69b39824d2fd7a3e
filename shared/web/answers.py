"""Answers serialised once: a model straight to JSON bytes on the hot paths.

A route that returns a model has FastAPI validate it again against its `response_model` and
serialise it through `jsonable_encoder`; the hot routes return `model_answer(model)` instead
(the `response_model` stays on the route for the OpenAPI document). The bytes are the same.
"""

from __future__ import annotations

from fastapi.responses import Response
from pydantic import BaseModel

JSON = "application/json"


def model_answer(model: BaseModel, status_code: int = 200) -> Response:
    """`model` as the JSON answer, serialised by pydantic's core in one pass."""
    return Response(model.__pydantic_serializer__.to_json(model), status_code, media_type=JSON)
