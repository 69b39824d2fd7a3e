"""Recording results: place each post among its versions, store it, queue its alert, audit it.

The one use case behind `POST /results`, `POST /results/batch`, the FHIR and HL7 feeds (HTTP
and MLLP) and the inbox: rules come from `domain`, SQL from the repositories; this module only
sequences them. It knows nothing of HTTP: it raises `shared.errors` problems.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, NamedTuple, Protocol

from pydantic import TypeAdapter, ValidationError
from sqlmodel import Session

from services.screening.alerts import repository as outbox
from services.screening.domain.alerts import AlertedPerson, alert_payload
from services.screening.domain.catalogue import is_alerting
from services.screening.domain.versions import (
    DUPLICATE,
    REJECTED,
    StoredVersion,
    content_hash,
    place_result,
)
from services.screening.persons import repository as persons
from services.screening.persons.repository import PersonSummary
from services.screening.results import repository as results
from services.screening.results.consequences import after_new_versions
from services.screening.results.repository import ResultRow
from services.screening.results.schemas import ResultCreate
from shared.errors import Conflict, NotFound, Unprocessable, field_error, validation_errors


class AuditLog(Protocol):
    """Where a use case appends its audit rows (a request's `AuditTrail`, the MLLP listener's)."""

    def record(self, action: str, resource: str, outcome: str = "ok", **detail: Any) -> None:
        """Append one audit row in the caller's transaction."""


class Recorded(NamedTuple):
    """A stored version and whether this post created it (False: a retry of stored content)."""

    row: ResultRow
    created: bool


# A concurrent writer can take the version we computed; place the post again this often.
_PLACEMENT_TRIES = 3


@dataclass
class BatchTally:
    """Counts and per-index rejections of one batch."""

    accepted: int = 0
    duplicates: int = 0
    rejected: list[dict[str, Any]] = field(default_factory=list)

    def reject(self, index: int, errors: list[dict[str, Any]]) -> None:
        """Report item `index` as not stored, with why."""
        self.rejected.append({"index": index, "errors": errors})


def _alert_row(
    result_id: int, row: dict[str, Any], person: AlertedPerson, now: datetime
) -> dict[str, Any]:
    payload = alert_payload(row, person, now)
    payload["alert_id"] = f"result-{result_id}"
    return {
        "result_id": result_id,
        "payload": json.dumps(payload, separators=(",", ":"), sort_keys=True),
        "created_at": now,
        "attempts": 0,
        "next_attempt_at": now,
        "delivered_to": "",
    }


def _version_row(
    content: dict[str, Any],
    digest: str,
    version: int,
    replaces: int | None,
    actor: str,
    now: datetime,
) -> dict[str, Any]:
    return {
        **content,
        "version": version,
        "replaces_version": replaces,
        "content_hash": digest,
        "recorded_at": now,
        "recorded_by": actor[:200],
    }


def _placement_problem(code: str, detail: str) -> Exception:
    if code == "result_conflict":
        return Conflict(detail, code=code)
    return Unprocessable(detail, code=code, errors=[field_error("external_id", detail, code)])


def _store_version(
    session: Session, item: ResultCreate, person: AlertedPerson, actor: str, now: datetime
) -> Recorded:
    """Place and store one post (alert queued); a retry returns the stored version."""
    content = item.content()
    digest = content_hash(content)
    for _ in range(_PLACEMENT_TRIES):
        placement = place_result(
            results.version_history(session, item.external_id),
            status=item.status,
            digest=digest,
            person_external_id=item.person_external_id,
            test_type=item.test_type,
        )
        if placement.kind == DUPLICATE:
            stored = results.get_version(session, item.external_id, placement.version)
            return Recorded(stored, False)
        if placement.kind == REJECTED:
            raise _placement_problem(placement.code, placement.detail)
        row = _version_row(content, digest, placement.version, placement.replaces, actor, now)
        new_id = results.insert_version(session, row)
        if new_id is not None:
            if is_alerting(item.test_type, item.result, item.status):
                outbox.add_alerts(session, [_alert_row(new_id, row, person, now)])
            stored_row = ResultRow(id=new_id, **row)
            after_new_versions(session, [stored_row], now)
            return Recorded(stored_row, True)
    raise Conflict("The result was changed concurrently; retry.", code="result_conflict")


def record_result(
    session: Session, item: ResultCreate, actor: str, audit: AuditLog, now: datetime
) -> Recorded:
    """Store one result version (or find it stored: a retry) and audit it.

    Raises Unprocessable `validation_error` (a result its test type or times refuse),
    NotFound `unknown_person`, Conflict or Unprocessable from placing it among its versions.
    """
    problems = item.problems(now)
    if problems:
        raise Unprocessable(
            "The result is not valid: " + "; ".join(f"{e['field']}: {e['msg']}" for e in problems),
            code="validation_error",
            errors=problems,
        )
    person = persons.get_person(session, item.person_external_id)
    if person is None:
        raise NotFound("No person with this person_external_id.", code="unknown_person")
    recorded = _store_version(session, item, person, actor, now)
    audit.record(
        "result.create" if recorded.created else "result.retry",
        f"result/{recorded.row.external_id}/v{recorded.row.version}",
        person=item.person_external_id,
        test_type=item.test_type,
        status=item.status,
    )
    return recorded


def has_versions(session: Session, external_id: str) -> bool:
    """True when any version of the result `external_id` is stored."""
    return bool(results.version_history(session, external_id))


# The whole batch in one validator call (the common case: every item well formed); when any
# item is not, each is validated on its own so that its errors are reported by index.
_BATCH_ITEMS = TypeAdapter(list[ResultCreate])


def _validated(raw_items: Sequence[Any], tally: BatchTally) -> list[tuple[int, ResultCreate]]:
    try:
        return list(enumerate(_BATCH_ITEMS.validate_python(raw_items)))
    except ValidationError:
        pass
    items = []
    for index, raw in enumerate(raw_items):
        try:
            items.append((index, ResultCreate.model_validate(raw)))
        except ValidationError as exc:
            tally.reject(index, validation_errors(exc))
    return items


def _parse_items(
    raw_items: Sequence[Any], now: datetime, tally: BatchTally
) -> list[tuple[int, ResultCreate]]:
    valid: list[tuple[int, ResultCreate]] = []
    for index, item in _validated(raw_items, tally):
        problems = item.problems(now)
        if problems:
            tally.reject(index, problems)
        else:
            valid.append((index, item))
    return valid


def record_batch(
    session: Session, raw_items: Sequence[Any], actor: str, audit: AuditLog, now: datetime
) -> BatchTally:
    """Store every valid item with set-based inserts, report the rest by index; audit it."""
    tally = BatchTally()
    valid = _parse_items(raw_items, now, tally)
    known = persons.persons_by_id(session, (item.person_external_id for _, item in valid))
    history = results.histories(session, (item.external_id for _, item in valid))
    placed: list[tuple[int, dict[str, Any]]] = []
    # A generator: the rows are placed while the database stores the ones before them.
    rows = _new_versions(valid, known, history, actor, now, tally, placed)
    stored = results.insert_versions(session, rows, most=len(valid))
    _after_store(session, placed, stored, known, now, tally)
    tally.rejected.sort(key=lambda r: int(r["index"]))
    audit.record(
        "result.batch",
        "results",
        items=len(raw_items),
        accepted=tally.accepted,
        duplicates=tally.duplicates,
        rejected=len(tally.rejected),
    )
    return tally


def _new_versions(
    valid: list[tuple[int, ResultCreate]],
    known: dict[str, PersonSummary],
    history: dict[str, list[StoredVersion]],
    actor: str,
    now: datetime,
    tally: BatchTally,
    placed: list[tuple[int, dict[str, Any]]],
) -> Iterator[dict[str, Any]]:
    """The version rows to store, each item placed among its versions (and the batch's own)."""
    for index, item in valid:
        if item.person_external_id not in known:
            tally.reject(
                index, [field_error("person_external_id", "unknown person", "unknown_person")]
            )
            continue
        content = item.content()
        digest = content_hash(content)
        versions = history[item.external_id]
        placement = place_result(
            versions,
            status=item.status,
            digest=digest,
            person_external_id=item.person_external_id,
            test_type=item.test_type,
        )
        if placement.kind == DUPLICATE:
            tally.duplicates += 1
        elif placement.kind == REJECTED:
            tally.reject(index, [field_error("external_id", placement.detail, placement.code)])
        else:
            row = _version_row(content, digest, placement.version, placement.replaces, actor, now)
            versions.append(
                StoredVersion(
                    placement.version, item.status, digest, item.person_external_id, item.test_type
                )
            )
            placed.append((index, row))
            yield row


def _after_store(
    session: Session,
    placed: list[tuple[int, dict[str, Any]]],
    stored: dict[tuple[str, int], int],
    known: dict[str, PersonSummary],
    now: datetime,
    tally: BatchTally,
) -> None:
    """Count what was stored, queue its alerts, and report what a concurrent writer took."""
    alerts = []
    new_rows: list[ResultRow] = []
    taken: list[tuple[int, dict[str, Any]]] = []
    for index, row in placed:
        result_id = stored.get((row["external_id"], row["version"]))
        if result_id is None:
            taken.append((index, row))
            continue
        tally.accepted += 1
        new_rows.append(ResultRow(id=result_id, **row))
        if is_alerting(row["test_type"], row["result"], row["status"]):
            alerts.append(_alert_row(result_id, row, known[row["person_external_id"]], now))
    outbox.add_alerts(session, alerts)
    after_new_versions(session, new_rows, now)
    if taken:  # stored meanwhile by a concurrent request: a duplicate, or a conflict to report
        seen = results.histories(session, (row["external_id"] for _, row in taken))
        for index, row in taken:
            if any(v.content_hash == row["content_hash"] for v in seen[row["external_id"]]):
                tally.duplicates += 1
            else:
                detail = "Another request stored a version of this result at the same time; retry."
                tally.reject(index, [field_error("external_id", detail, "result_conflict")])
