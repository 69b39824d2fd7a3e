"""The inbox of feed results held for an unknown person or an unmapped code."""
