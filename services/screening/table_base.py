"""The base of every table the screening service owns: one metadata for its models and migrations.

Feature packages define their tables on `ScreeningTable` in their own `tables.py`; `models.py`
imports them so that the metadata is whole wherever it is used.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Integer
from sqlalchemy.orm import registry
from sqlmodel import SQLModel

from shared.db import service_metadata

BIG_ID = BigInteger().with_variant(Integer(), "sqlite")


class ScreeningTable(SQLModel, registry=registry(metadata=service_metadata())):
    """Base class of every table this service owns."""
