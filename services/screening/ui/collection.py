"""The collection desk: booking code, tube, pool; then the next person."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()
