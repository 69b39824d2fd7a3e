"""Screening status of a person, compliance of many, and the active policy."""
