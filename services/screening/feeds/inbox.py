"""The inbox: matching held feed results to a person, by hand or when the person is registered."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from pydantic import ValidationError
from sqlmodel import Session

from services.screening.feeds import repository as inbox_repo
from services.screening.feeds import terminology as t
from services.screening.feeds.findings import FeedError
from services.screening.feeds.intake import AuditSink, store_result
from services.screening.models import person_table
from services.screening.recording import validation_errors
from services.screening.schemas import ResultCreate
from shared.errors import Conflict, NotFound, Unprocessable, field_error

log = logging.getLogger("wardgate.feeds")
_SWEEP_LIMIT = 200


def mask_name(name: str | None) -> str | None:
    """'Zhang San' -> 'Z**** S***': enough to recognise, not to read."""
    if not name:
        return None
    return " ".join(part[:1] + "*" * max(len(part) - 1, 1) for part in name.split())


def item_view(row: dict[str, Any]) -> dict[str, Any]:
    """An inbox item as listed: the patient's name masked, only the birth year shown."""
    content = row["content"]
    return {
        "id": row["id"],
        "received_at": row["received_at"],
        "channel": row["channel"],
        "reason": row["reason"],
        "detail": row["detail"],
        "state": row["state"],
        "result_external_id": row["result_external_id"],
        "person_identifiers": row["person_identifiers"],
        "patient_name": mask_name(row["patient_name"]),
        "birth_year": (row["birth_date"] or "")[:4] or None,
        "code": row["code"],
        "test_type": content.get("test_type"),
        "result": content.get("result"),
        "status": content.get("status"),
        "specimen_collected_at": content.get("specimen_collected_at"),
        "source_ref": row["source_ref"],
        "matched_at": row["matched_at"],
        "matched_by": row["matched_by"],
        "matched_person": row["matched_person"],
        "matched_version": row["matched_version"],
    }


class TestTypeRefused(Unprocessable):
    """A test type the held item's own code contradicts (e.g. an antigen test as a NAAT)."""

    code = "test_type_contradicts_code"

    def __init__(self, why: str, item_code: str | None, test_type: str) -> None:
        super().__init__(
            f"This item cannot be matched as {test_type}: {why}.",
            errors=[field_error("test_type", why, "contradicts_code")],
        )
        self.item_code = item_code
        self.test_type = test_type


def _result_input(row: dict[str, Any], person: str, test_type: str | None) -> ResultCreate:
    content = dict(row["content"], person_external_id=person)
    if test_type is not None:
        content["test_type"] = test_type
    # The result keeps the code it was sent as (a LOINC code of its test type), never the
    # test type's default standing in for it.
    parsed, kind = t.parse_label(row["code"]), content.get("test_type")
    loinc = t.stored_loinc(*parsed, kind) if parsed and isinstance(kind, str) else None
    if loinc is not None:
        content["loinc"] = loinc
    try:
        return ResultCreate.model_validate(content)
    except ValidationError as exc:
        errors = validation_errors(exc)
        detail = "The held result is not valid: " + "; ".join(e["msg"] for e in errors[:3])
        raise Unprocessable(detail, code="validation_error", errors=errors) from exc


def _release(
    session: Session,
    row: dict[str, Any],
    person: str,
    test_type: str | None,
    actor: str,
    audit: AuditSink,
    now: datetime,
) -> dict[str, Any]:
    """Store a held item's result for `person` and close the item (all or nothing)."""
    item = _result_input(row, person, test_type)
    problems = item.problems(now)
    if problems:
        raise Unprocessable(
            "The held result is not valid: " + "; ".join(p["msg"] for p in problems),
            errors=problems,
        )
    stored, _created = store_result(session, item, str(row["recorded_by"]), audit, now)
    if not inbox_repo.mark_matched(session, int(row["id"]), person, stored["version"], actor, now):
        raise Conflict("This inbox item was matched meanwhile.", code="already_matched")
    audit("inbox.match", f"inbox/{row['id']}", person=person, result=stored["external_id"])
    return stored


def match_item(
    session: Session,
    item_id: int,
    person: str,
    test_type: str | None,
    actor: str,
    audit: AuditSink,
    now: datetime,
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Match one held item by hand: (the closed item, the stored result)."""
    row = inbox_repo.get_item(session, item_id)
    if row is None:
        raise NotFound("No inbox item with this id.", code="unknown_inbox_item")
    if row["state"] != inbox_repo.HELD:
        raise Conflict("This inbox item is already matched.", code="already_matched")
    wanted = test_type or row["content"].get("test_type")
    if wanted is None:
        detail = "The test code of this item is not mapped: say which test_type it is."
        raise Unprocessable(detail, errors=[field_error("test_type", detail, "missing")])
    why = t.match_refusal(row["code"], wanted)
    if why is not None:
        raise TestTypeRefused(why, row["code"], wanted)
    try:
        stored = _release(session, row, person, test_type, actor, audit, now)
    except FeedError as exc:
        if exc.code == "unknown_person":
            raise NotFound(
                "No person with this person_external_id.", code="unknown_person"
            ) from exc
        raise Unprocessable(exc.detail, code=exc.code) from exc
    closed = inbox_repo.get_item(session, item_id)
    assert closed is not None
    return closed, stored


def release_for_person(
    session: Session, person: str, actor: str, audit: AuditSink, now: datetime
) -> int:
    """Store every result held for `person` now that they are registered; how many."""
    released = 0
    for row in inbox_repo.held_for_person(session, person):
        try:
            with session.begin_nested():
                _release(session, row, person, None, actor, audit, now)
            released += 1
        except (FeedError, Unprocessable, Conflict) as exc:
            detail = getattr(exc, "detail", str(exc))
            inbox_repo.note_failure(session, int(row["id"]), f"automatic match failed: {detail}")
            log.warning("inbox item %s stays held: %s", row["id"], detail)
    return released


def sweep(session: Session, actor: str, audit: AuditSink, now: datetime) -> int:
    """Release items whose person was registered while they were being held (a race)."""
    released = 0
    for person in inbox_repo.held_persons_now_known(session, person_table, _SWEEP_LIMIT):
        released += release_for_person(session, person, actor, audit, now)
    return released
