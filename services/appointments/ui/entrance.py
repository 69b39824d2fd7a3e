"""The entrance desk: scan the code, take the temperature, check the mask."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()
