"""HTTP in and out: the entrance: verified health codes, walk-ins and the day's summary."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()
