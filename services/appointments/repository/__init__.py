"""All SQL of the appointments service, one module per kind of record."""
