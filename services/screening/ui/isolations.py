"""Who is isolated now, staff first; isolate and release."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()
