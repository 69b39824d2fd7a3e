"""FHIR R4: Observations and Bundles in, results read back as Observations."""
