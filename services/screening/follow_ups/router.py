"""HTTP in and out: contact follow-up: daily checks of the exposed for 14 days."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()
