"""Persons: register, read, list and search the people the hospital screens."""
