"""Discharge reviews for infection control."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()
