"""Discharges: the gate itself, and the auditors' view of every stored attempt."""
