"""The append-only, hash-chained audit trail every service keeps."""

from shared.audit.chain import AuditEntry, append_entry, verify_chain
from shared.audit.table import define_audit_table
from shared.audit.trail import Audit, AuditTrail, record_denial

__all__ = [
    "Audit",
    "AuditEntry",
    "AuditTrail",
    "append_entry",
    "define_audit_table",
    "record_denial",
    "verify_chain",
]
