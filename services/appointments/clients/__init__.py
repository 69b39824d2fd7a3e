"""Outbound HTTP clients of the appointments service."""
