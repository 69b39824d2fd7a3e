"""The append-only, hash-chained audit trail every service keeps."""

from shared.audit.chain import AuditEntry, ChainReport, append_entry, seal_pending, verify_chain
from shared.audit.sealer import AuditSealer
from shared.audit.table import define_audit_table
from shared.audit.trail import Audit, AuditTrail, record_denial

__all__ = [
    "Audit",
    "AuditEntry",
    "AuditSealer",
    "AuditTrail",
    "ChainReport",
    "append_entry",
    "define_audit_table",
    "record_denial",
    "seal_pending",
    "verify_chain",
]
