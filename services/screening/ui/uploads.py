"""Spreadsheet upload of results, checked row by row before anything is stored."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()
