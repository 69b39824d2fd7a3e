"""Hash chain: each row's hash covers its content and the previous row's hash."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, Table, select, text

GENESIS = "0" * 64
# One advisory lock key per database: the chain is appended to one row at a time.
_ADVISORY_KEY = 0x7761726467617465  # "wardgate"


@dataclass
class AuditEntry:
    """One audit row before it is chained."""

    actor: str
    roles: str
    action: str
    resource: str
    outcome: str
    client: str = ""
    request_id: str = ""
    detail: dict[str, Any] = field(default_factory=dict)
    at: datetime = field(default_factory=lambda: datetime.now(UTC))


def _utc_iso(at: datetime) -> str:
    if at.tzinfo is None:
        at = at.replace(tzinfo=UTC)
    return at.astimezone(UTC).isoformat(timespec="microseconds")


def row_hash(prev: str, row: dict[str, Any]) -> str:
    """The chained hash of one stored row."""
    content = [
        row["id"],
        _utc_iso(row["at"]),
        row["actor"],
        row["roles"],
        row["action"],
        row["resource"],
        row["outcome"],
        row["client"],
        row["request_id"],
        row["detail"],
    ]
    payload = prev + json.dumps(content, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(payload.encode()).hexdigest()


def append_entry(conn: Connection, table: Table, entry: AuditEntry) -> int:
    """Append one entry inside the caller's transaction; returns its id."""
    if conn.dialect.name == "postgresql":
        conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _ADVISORY_KEY})
    last = conn.execute(
        select(table.c.id, table.c.hash).order_by(table.c.id.desc()).limit(1)
    ).first()
    prev_id, prev_hash = (int(last[0]), str(last[1])) if last else (0, GENESIS)
    new_id = prev_id + 1
    row: dict[str, Any] = {
        "id": new_id,
        "at": entry.at,
        "actor": entry.actor[:200],
        "roles": entry.roles[:500],
        "action": entry.action[:100],
        "resource": entry.resource[:300],
        "outcome": entry.outcome[:50],
        "client": entry.client[:100],
        "request_id": entry.request_id[:64],
        "detail": json.dumps(entry.detail, ensure_ascii=False, sort_keys=True, default=str),
    }
    row["hash"] = row_hash(prev_hash, row)
    conn.execute(table.insert().values(**row))
    return new_id


def _rows(conn: Connection, table: Table) -> Iterator[dict[str, Any]]:
    result = conn.execution_options(yield_per=1000).execute(select(table).order_by(table.c.id))
    for row in result.mappings():
        yield dict(row)


def verify_chain(conn: Connection, table: Table) -> tuple[int, str | None]:
    """Walk the chain: (rows checked, None) when intact, else the first bad row named."""
    prev_hash, expected_id, checked = GENESIS, 1, 0
    for row in _rows(conn, table):
        if row["id"] != expected_id:
            return checked, (
                f"row {expected_id} is missing (next row found is {row['id']}): "
                "rows were deleted or reordered"
            )
        if row_hash(prev_hash, row) != row["hash"]:
            return checked, f"row {row['id']} was changed (hash does not match its content)"
        prev_hash, expected_id, checked = row["hash"], expected_id + 1, checked + 1
    return checked, None
