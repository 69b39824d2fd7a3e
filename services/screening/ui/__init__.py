"""The screening service's web pages: find a person, status, register, record, compliance."""
