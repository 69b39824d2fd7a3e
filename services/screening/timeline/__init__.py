"""A person's timeline: admission, results with versions, and the other services' records."""
