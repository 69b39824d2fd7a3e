"""Admission ends: each discharge or exception carried to the screening service (outbox)."""
