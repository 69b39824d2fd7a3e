"""Isolation of a person: automatic on a positive, by hand, released by two negatives."""
