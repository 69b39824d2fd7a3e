"""HTTP in and out: tests residents ask for: the public result lookup by booking code."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()
