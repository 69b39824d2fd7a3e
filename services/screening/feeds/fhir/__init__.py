"""FHIR R4 read without knowing what becomes of it: resources, members, mapping, rendering."""
