"""The audit tables, defined into each service's own metadata.

`audit_log` holds one immutable row per audited event, inserted in the request's own
transaction. `audit_seal` is the hash chain over those rows, appended by the sealer
(shared/audit/chain.py) in commit order, so requests never queue on one chain lock.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, Integer, MetaData, String, Table, Text

from shared.db import UtcDateTime

_ID = BigInteger().with_variant(Integer(), "sqlite")
GUARDED_TABLES = ("audit_log", "audit_seal")


def define_audit_table(metadata: MetaData) -> Table:
    """Add `audit_log` and `audit_seal` to a service's metadata; returns `audit_log`."""
    Table(
        "audit_seal",
        metadata,
        Column("seq", _ID, primary_key=True, autoincrement=False),
        Column("audit_id", _ID, nullable=False, unique=True),
        Column("hash", String(64), nullable=False),
    )
    return Table(
        "audit_log",
        metadata,
        Column("id", _ID, primary_key=True, autoincrement=True),
        Column("at", UtcDateTime(), nullable=False, index=True),
        Column("actor", String(200), nullable=False, index=True),
        Column("roles", String(500), nullable=False),
        Column("action", String(100), nullable=False, index=True),
        Column("resource", String(300), nullable=False),
        Column("outcome", String(50), nullable=False),
        Column("client", String(100), nullable=False),
        Column("request_id", String(64), nullable=False),
        Column("detail", Text, nullable=False),
    )


def seal_table(audit_table: Table) -> Table:
    """The `audit_seal` table that chains `audit_table`."""
    return audit_table.metadata.tables["audit_seal"]
