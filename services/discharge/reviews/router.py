"""HTTP in and out: reviews of discharges whose evidence a later result changed."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()
