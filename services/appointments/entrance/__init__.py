"""The entrance: verified health codes, walk-ins and the day's summary."""
