"""HTTP in and out: the change feed of result versions that the discharge service follows."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()
