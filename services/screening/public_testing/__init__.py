"""Tests residents ask for: the public result lookup by booking code."""
