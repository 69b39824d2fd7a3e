"""Contact follow-up: daily checks of the exposed for 14 days."""
