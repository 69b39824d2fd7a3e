"""The follow-up team's page: who is due today, who missed days."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()
