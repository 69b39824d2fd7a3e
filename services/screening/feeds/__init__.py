"""HIS/LIS feeds: FHIR R4 and HL7 v2 results, the inbox, the MLLP listener."""
