"""Early reporting: every positive nucleic acid reported to public health, with a deadline."""
