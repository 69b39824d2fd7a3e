"""The change feed of result versions that the discharge service follows."""
