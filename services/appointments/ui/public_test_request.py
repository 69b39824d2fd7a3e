"""A resident asks for a test: site, slot, booking code and its QR (no sign-in)."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()
