"""HTTP in and out: isolation of a person (automatic on a positive, by hand, released)."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()
