"""HTTP in and out: tests residents ask for: a slot at a collection site, booked without sign-in."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()
