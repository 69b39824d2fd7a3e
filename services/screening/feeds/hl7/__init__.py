"""HL7 v2 read without knowing what becomes of it: messages, timestamps, ACKs, MLLP frames."""
