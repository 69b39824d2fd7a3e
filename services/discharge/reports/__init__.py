"""The compliance report on the gate."""
