"""Tables of the screening service (its own metadata; no other service reads them)."""

from __future__ import annotations

from sqlalchemy.orm import registry
from sqlmodel import SQLModel

from shared.audit import define_audit_table
from shared.db import service_metadata


class ScreeningTable(SQLModel, registry=registry(metadata=service_metadata())):
    """Base class of every table this service owns."""


metadata = ScreeningTable.metadata
audit_log = define_audit_table(metadata)
