"""Appointments: booking a place in a slot, and what becomes of the booking."""
