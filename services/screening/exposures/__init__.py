"""Exposure tracing: who may have been exposed to a person, for the API, pages and alerts."""
