"""Screening results: record versions (one or a batch), read them back."""
