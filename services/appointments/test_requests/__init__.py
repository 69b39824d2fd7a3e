"""Tests residents ask for: a slot at a collection site, booked without sign-in."""
