"""All SQL of the screening service: persons, results, compliance and the alert outbox."""
