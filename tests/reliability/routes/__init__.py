"""Authorization matrix entries of the December features, one module each."""
