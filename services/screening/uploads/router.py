"""HTTP in and out: spreadsheet upload of results and pool results (CSV, XLSX)."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()
