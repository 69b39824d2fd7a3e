"""Admission ends: the discharge service tells screening how an admission ended."""
