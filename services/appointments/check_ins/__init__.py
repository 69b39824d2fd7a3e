"""Check-in at the door with entry screening."""
