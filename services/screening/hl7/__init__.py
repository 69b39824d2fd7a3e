"""HL7 v2 results over HTTP and MLLP: one message or a batch in, the ACKs out."""
