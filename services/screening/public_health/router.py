"""HTTP in and out: reports of positive nucleic acids to public health."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()
