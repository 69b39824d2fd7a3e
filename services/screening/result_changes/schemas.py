"""API models of the result change feed."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from services.screening.result_changes.repository import ChangeRow


class ResultChange(BaseModel):
    """One result version that may change a decision taken on earlier evidence."""

    result_external_id: str
    version: int
    replaces: int | None = Field(
        default=None, description="The version this one replaces (null for a first version)."
    )
    person_external_id: str
    test_type: str
    result: str | None
    status: str
    method: str = Field(description="`individual`, or `pooled` (made by a pool's result).")
    specimen_collected_at: datetime
    recorded_at: datetime = Field(description="When the version reached WardGate (the order).")


def change_public(row: ChangeRow) -> ResultChange:
    """A feed row as answered."""
    return ResultChange(
        result_external_id=row.external_id,
        version=row.version,
        replaces=row.replaces_version,
        person_external_id=row.person_external_id,
        test_type=row.test_type,
        result=row.result,
        status=row.status,
        method=row.method,
        specimen_collected_at=row.specimen_collected_at,
        recorded_at=row.recorded_at,
    )
