"""Outbound HTTP clients of the screening service (other WardGate services)."""
