"""HL7 v2 and FHIR R4 read into findings: pure parsing that knows nothing of storing them.

`hl7/` and `fhir/` read messages and resources, `findings` decides what is a screening result
from the code tables (`terminology`); `intake/`, `hl7/`, `fhir/` and `inbox/` at the service
root are the use cases and routes. `mllp.py` only keeps the listener's old module path.
"""
