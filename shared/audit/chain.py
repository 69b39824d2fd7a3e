"""The hash chain over the audit trail, appended by a sealer in commit order.

Requests insert plain rows into `audit_log` inside their own transaction (nothing to queue
on). The sealer (a background thread in every service, `wardgate audit seal` by hand) takes
the rows not yet sealed, in id order, and appends one `audit_seal` row each: a contiguous
`seq` and SHA-256 over the previous seal's hash and the audit row's content. `verify_chain`
walks the seals: a changed row breaks its hash, a deleted row leaves a seal pointing nowhere,
a deleted seal leaves a gap in `seq`, reordered rows break the chain. Rows newer than the
last seal (normally under a second old) are reported as pending, not yet protected. What the
chain cannot tell, the newest rows cut together with their seals, a checkpoint kept
elsewhere can (shared/audit/checkpoint.py).
"""

from __future__ import annotations

import functools
import hashlib
import json
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, cast

from sqlalchemy import (
    Connection,
    Insert,
    Table,
    Text,
    and_,
    bindparam,
    func,
    literal_column,
    select,
    text,
)
from sqlalchemy import cast as sql_cast
from sqlalchemy.dialects.postgresql import JSONB

from shared.async_db import Query
from shared.audit.table import seal_table

GENESIS = "0" * 64
SEAL_BATCH = 5000
# One advisory lock key per database: one sealer extends the chain at a time.
_ADVISORY_KEY = 0x7761726467617465  # "wardgate"


@dataclass
class AuditEntry:
    """One audit row as a request records it."""

    actor: str
    roles: str
    action: str
    resource: str
    outcome: str
    client: str = ""
    request_id: str = ""
    detail: dict[str, Any] = field(default_factory=dict)
    at: datetime = field(default_factory=lambda: datetime.now(UTC))


@dataclass
class ChainReport:
    """What `verify_chain` found."""

    sealed: int
    problem: str | None
    pending: int
    oldest_pending: datetime | None
    head_hash: str = GENESIS  # the newest seal's hash (of an intact chain)


def _utc_iso(at: datetime) -> str:
    if at.tzinfo is None:
        at = at.replace(tzinfo=UTC)
    return at.astimezone(UTC).isoformat(timespec="microseconds")


# The columns a row's hash covers, in order (after its position in the chain).
HASHED = ("id", "at", "actor", "roles", "action", "resource", "outcome", "client",
          "request_id", "detail")  # fmt: skip
_ENCODE = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode


def row_hash(prev: str, seq: int, row: Mapping[str, Any]) -> str:
    """The chained hash of one audit row at position `seq`."""
    return content_hash(prev, seq, [row[name] for name in HASHED])


def content_hash(prev: str, seq: int, values: Sequence[Any]) -> str:
    """`row_hash` of a row's HASHED values, in order."""
    content = [seq, values[0], _utc_iso(values[1]), *values[2:]]
    return hashlib.sha256((prev + _ENCODE(content)).encode()).hexdigest()


@functools.cache
def _insert(table: Table) -> Insert:
    # One statement object per table, values as parameters: every request appends a row, and
    # building `insert().values(...)` anew costs more than executing it (~0.15 ms).
    return table.insert()


def entry_row(entry: AuditEntry) -> dict[str, Any]:
    """The `audit_log` row of an entry, every field cut to its column."""
    return {
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


def append_entry(conn: Connection, table: Table, entry: AuditEntry) -> None:
    """Insert one audit row inside the caller's transaction (sealed later)."""
    conn.execute(_insert(table), entry_row(entry))


@functools.cache
def with_audit_row(query: Query, table: Table, id_key: str) -> Query:
    """PostgreSQL: `query` (an INSERT ... RETURNING id) and the audit row of it in one
    statement, the new id added to the row's detail as `id_key` (parameters `row_<column>`).
    """
    made = cast(Insert, query.clause).cte("made")
    values: list[Any] = []
    columns = [c for c in table.c if not c.primary_key]
    for column in columns:
        value: Any = bindparam(f"row_{column.name}", type_=column.type)
        if column.name == "detail":
            named = func.jsonb_build_object(literal_column(f"'{id_key}'"), made.c.id)
            value = sql_cast(sql_cast(value, JSONB).op("||")(named), Text)
        values.append(value)
    added = table.insert().from_select([c.name for c in columns], select(*values).select_from(made))
    return Query(select(made.c.id).add_cte(added.cte("added")))


@functools.cache
def audit_insert(table: Table) -> Query:
    """The insert of one audit row, for `shared.async_db` transactions."""
    return Query(_insert(table))


def seal_pending(
    conn: Connection, table: Table, most: int = SEAL_BATCH, recent_ids: int | None = None
) -> int:
    """Extend the chain over up to `most` unsealed rows (in the caller's transaction).

    `recent_ids`: look only at rows whose id is at most this far below the newest sealed
    row's (an index range instead of the whole table: the anti-join over every row cost ~10
    ms a pass at 14,000 rows, growing with the trail). A row that commits later than that
    (a transaction longer than the window) is sealed by the next pass without the bound."""
    seals = seal_table(table)
    if conn.dialect.name == "postgresql":
        got = conn.execute(text("SELECT pg_try_advisory_xact_lock(:k)"), {"k": _ADVISORY_KEY})
        if not got.scalar():
            return 0  # another sealer is at work
    last = conn.execute(
        select(seals.c.seq, seals.c.hash, seals.c.audit_id).order_by(seals.c.seq.desc()).limit(1)
    )
    seq, prev, newest = next(iter(last), (0, GENESIS, 0))
    joined = seals.c.audit_id == table.c.id
    if recent_ids is not None:  # both sides bounded: two index ranges, merged
        floor = newest - recent_ids
        joined = and_(joined, seals.c.audit_id > floor)
    query = (
        select(*(table.c[name] for name in HASHED))
        .outerjoin(seals, joined)
        .where(seals.c.seq.is_(None))
        .order_by(table.c.id)
        .limit(most)
    )
    if recent_ids is not None:
        query = query.where(table.c.id > floor)
    first = seq + 1
    ids, hashes = [], []
    for values in conn.execute(query):
        seq += 1
        prev = content_hash(prev, seq, values)
        ids.append(values[0])
        hashes.append(prev)
    if not ids:
        return 0
    seqs = list(range(first, seq + 1))
    if conn.dialect.name == "postgresql":  # one statement, not one INSERT a row
        conn.execute(_SEALS_FROM_ARRAYS, {"seqs": seqs, "ids": ids, "hashes": hashes})
    else:
        rows = [
            {"seq": s, "audit_id": i, "hash": h} for s, i, h in zip(seqs, ids, hashes, strict=True)
        ]
        conn.execute(seals.insert(), rows)
    return len(ids)


_SEALS_FROM_ARRAYS = text(
    "INSERT INTO audit_seal (seq, audit_id, hash) SELECT * FROM unnest("
    "CAST(:seqs AS bigint[]), CAST(:ids AS bigint[]), CAST(:hashes AS varchar[]))"
)


def _sealed_rows(conn: Connection, table: Table) -> Iterator[tuple[int, str, Any]]:
    seals = seal_table(table)
    query = (
        select(seals.c.seq, seals.c.hash, table)
        .outerjoin(table, table.c.id == seals.c.audit_id)
        .order_by(seals.c.seq)
    )
    for row in conn.execution_options(yield_per=1000).execute(query).mappings():
        yield int(row["seq"]), str(row["hash"]), row


def verify_chain(conn: Connection, table: Table) -> ChainReport:
    """Walk the chain and name the first bad row; also count rows awaiting their seal."""
    prev, expected, problem = GENESIS, 1, None
    for seq, sealed_hash, row in _sealed_rows(conn, table):
        if seq != expected:
            problem = f"seal {expected} is missing: the chain was cut (rows deleted)"
        elif row["id"] is None:
            problem = f"row at seal {seq} was deleted"
        elif row_hash(prev, seq, dict(row)) != sealed_hash:
            problem = f"row {row['id']} was changed (its hash at seal {seq} does not match)"
        if problem:
            return ChainReport(expected - 1, problem, 0, None)
        prev, expected = sealed_hash, expected + 1
    seals = seal_table(table)
    unsealed = (
        select(func.count(), func.min(table.c.at))
        .select_from(table.outerjoin(seals, seals.c.audit_id == table.c.id))
        .where(seals.c.seq.is_(None))
    )
    count, oldest = conn.execute(unsealed).one()
    if oldest is not None and oldest.tzinfo is None:
        oldest = oldest.replace(tzinfo=UTC)
    return ChainReport(expected - 1, None, int(count), oldest, prev)


def stale_pending(report: ChainReport, max_age: timedelta = timedelta(minutes=5)) -> bool:
    """True when unsealed rows are older than a running sealer would leave them."""
    oldest = report.oldest_pending
    return oldest is not None and datetime.now(UTC) - oldest > max_age
