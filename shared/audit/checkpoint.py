"""Audit checkpoints: pin the head of the hash chain somewhere the database's owner cannot edit.

The chain proves every sealed row up to the newest seal, but not that the newest seal is the
one there was: whoever can bypass the append-only triggers can cut the newest rows with their
seals, or rewrite a row and re-chain everything, and leave a chain that verifies. A
checkpoint `{service, rows, head_hash, at}`, kept off the box (a file elsewhere, and POSTed to
WARDGATE_AUDIT_CHECKPOINT_URL), pins the chain's length and head at a moment: later, seal
number `rows` must still exist and still carry `head_hash` (rows appended since are fine).
"""

from __future__ import annotations

import asyncio
import json
import re
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import Connection, Table, select

from shared.audit.chain import ChainReport
from shared.audit.table import seal_table
from shared.service_client import Deadline, send_once

_HASH = re.compile(r"[0-9a-f]{64}")
DELIVERY_TIMEOUT_S = 10.0


class CheckpointError(ValueError):
    """A checkpoint file that is not one (unreadable, malformed, another service's)."""


@dataclass(frozen=True)
class Checkpoint:
    """The head of one service's audit chain at a moment."""

    service: str
    rows: int
    head_hash: str
    at: str

    def to_json(self) -> str:
        """The checkpoint document (what is written and sent)."""
        return json.dumps(asdict(self), indent=2) + "\n"


def checkpoint_of(service: str, report: ChainReport) -> Checkpoint:
    """The checkpoint of an intact chain `verify_chain` just walked."""
    if report.problem:
        raise CheckpointError(f"the audit trail is broken, no checkpoint taken: {report.problem}")
    return Checkpoint(
        service=service,
        rows=report.sealed,
        head_hash=report.head_hash,
        at=datetime.now(UTC).isoformat(timespec="seconds"),
    )


def load_checkpoint(path: Path, service: str) -> Checkpoint:
    """Read a checkpoint file for `service`; CheckpointError naming the file otherwise."""
    try:
        doc: Any = json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise CheckpointError(f"{path}: not a readable checkpoint ({exc})") from exc
    if not isinstance(doc, dict) or set(doc) != {"service", "rows", "head_hash", "at"}:
        raise CheckpointError(f"{path}: not a checkpoint (needs service, rows, head_hash, at)")
    rows, head = doc["rows"], doc["head_hash"]
    if type(rows) is not int or rows < 0 or not isinstance(head, str) or not _HASH.fullmatch(head):
        raise CheckpointError(f"{path}: not a checkpoint (rows or head_hash malformed)")
    if doc["service"] != service:
        raise CheckpointError(f"{path}: a checkpoint of {doc['service']!r}, not of {service!r}")
    return Checkpoint(service, rows, head, str(doc["at"]))


def _missing(checkpoint: Checkpoint, sealed: int) -> str:
    first, last = sealed + 1, checkpoint.rows
    if first == last:
        return f"the newest row the checkpoint covers (seal {last}) is missing"
    count = last - sealed
    return f"the newest {count} rows the checkpoint covers (seals {first}-{last}) are missing"


def compare_with_checkpoint(
    conn: Connection, table: Table, report: ChainReport, checkpoint: Checkpoint
) -> str | None:
    """What differs between an intact chain (just walked) and the checkpoint, or None."""
    if report.sealed < checkpoint.rows:
        return _missing(checkpoint, report.sealed) + f" (checkpoint of {checkpoint.at})"
    if checkpoint.rows == 0:
        return None
    seals = seal_table(table)
    stored = conn.execute(select(seals.c.hash).where(seals.c.seq == checkpoint.rows)).scalar()
    if stored != checkpoint.head_hash:
        return (
            f"seal {checkpoint.rows} does not match the checkpoint of {checkpoint.at}: rows up to "
            "it were changed, deleted or re-chained since"
        )
    return None


def send_checkpoint(url: str, checkpoint: Checkpoint) -> str | None:
    """POST the checkpoint to its off-box keeper; the reason when it was not taken."""
    deadline = Deadline.after(DELIVERY_TIMEOUT_S)
    headers = {"Content-Type": "application/json"}
    body = checkpoint.to_json().encode()
    try:  # from the sealer's thread or the command line: no event loop of its own here
        answer = asyncio.run(send_once("POST", url, deadline, headers=headers, content=body))
    except httpx.HTTPError as exc:
        return f"{type(exc).__name__}: {exc}"
    if not 200 <= answer.status_code < 300:
        return f"answered HTTP {answer.status_code}"
    return None


def write_checkpoint(path: Path, checkpoint: Checkpoint) -> None:
    """Write the file whole or not at all (a cut-short write must not look like a checkpoint)."""
    partial = path.with_name(path.name + ".partial")
    partial.write_text(checkpoint.to_json())
    partial.replace(path)
