"""Reports to public health: the ledger and its compliance."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()
