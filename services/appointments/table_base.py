"""The base of every table the appointments service owns (one metadata: models, migrations).

Feature packages define their tables on `AppointmentsTable` in their own `tables.py`; `models.py`
imports them so that the metadata is whole wherever it is used.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Integer
from sqlalchemy.orm import registry
from sqlmodel import SQLModel

from shared.db import service_metadata

BIG_ID = BigInteger().with_variant(Integer(), "sqlite")


class AppointmentsTable(SQLModel, registry=registry(metadata=service_metadata())):
    """Base class of every table this service owns."""
