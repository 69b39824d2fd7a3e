"""Reviews of discharges whose evidence a later result changed."""
