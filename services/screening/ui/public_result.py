"""The resident's result lookup (no sign-in)."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()
