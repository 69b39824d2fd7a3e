"""Spreadsheet upload of results and pool results (CSV, XLSX)."""
