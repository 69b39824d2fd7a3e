"""The inbox: hold feed results, list them, match them to a person by hand or on registration."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from pydantic import ValidationError
from sqlmodel import Session

from services.screening.feeds import terminology as t
from services.screening.inbox import repository as inbox_repo
from services.screening.inbox.repository import HELD, InboxItem, NewInboxItem
from services.screening.results.repository import ResultRow
from services.screening.results.schemas import ResultCreate
from services.screening.results.service import AuditLog, record_result
from shared.errors import Conflict, NotFound, Problem, Unprocessable, field_error, validation_errors

__all__ = ["HELD", "InboxItem", "Matched", "TestTypeRefused", "hold", "list_items", "match_item"]

log = logging.getLogger("wardgate.feeds")
_SWEEP_LIMIT = 200


class TestTypeRefused(Unprocessable):
    """A test type the held item's own code contradicts (e.g. an antigen test as a NAAT)."""

    __test__ = False  # not a pytest test class, whatever its name
    code = "test_type_contradicts_code"

    def __init__(self, why: str, item_code: str | None, test_type: str) -> None:
        super().__init__(
            f"This item cannot be matched as {test_type}: {why}.",
            errors=[field_error("test_type", why, "contradicts_code")],
        )
        self.item_code = item_code
        self.test_type = test_type


@dataclass(frozen=True)
class Matched:
    """A held item closed by a match, and the result version stored from it."""

    item: InboxItem
    result: ResultRow


def hold(
    session: Session, item: NewInboxItem, test_type: str | None, audit: AuditLog, now: datetime
) -> int:
    """Hold a feed result (once per content); audited when new. Its id."""
    item_id, created = inbox_repo.hold(session, item)
    if created:
        audit.record(
            "inbox.hold",
            f"inbox/{item_id}",
            reason=item["reason"],
            result=item["result_external_id"],
            test_type=test_type,
        )
        # A person registered while an earlier item was being held missed its release.
        sweep(session, item["recorded_by"], audit, now)
    return item_id


def list_items(
    session: Session,
    audit: AuditLog,
    *,
    state: str,
    reason: str | None,
    size: int,
    after_id: int | None,
) -> list[InboxItem]:
    """Up to `size + 1` items (`state` held, matched or all) after the cursor; audited."""
    rows = inbox_repo.list_items(
        session,
        size=size,
        after_id=after_id,
        state=None if state == "all" else state,
        reason=reason,
    )
    audit.record("inbox.list", "inbox", state=state, reason=reason, items=min(len(rows), size))
    return rows


def _result_input(item: InboxItem, person: str, test_type: str | None) -> ResultCreate:
    content = dict(item.content, person_external_id=person)
    if test_type is not None:
        content["test_type"] = test_type
    # The result keeps the code it was sent as (a LOINC code of its test type), never the
    # test type's default standing in for it.
    parsed, kind = t.parse_label(item.code), content.get("test_type")
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
    item: InboxItem,
    person: str,
    test_type: str | None,
    actor: str,
    audit: AuditLog,
    now: datetime,
) -> ResultRow:
    """Store a held item's result for `person` and close the item (all or nothing)."""
    result = _result_input(item, person, test_type)
    problems = result.problems(now)
    if problems:
        raise Unprocessable(
            "The held result is not valid: " + "; ".join(p["msg"] for p in problems),
            errors=problems,
        )
    try:
        stored, _created = record_result(session, result, item.recorded_by, audit, now)
    except NotFound:
        raise
    except Problem as exc:  # a version conflict too: the held result does not fit (422)
        raise Unprocessable(exc.detail, code=exc.code) from exc
    if not inbox_repo.mark_matched(session, item.id, person, stored.version, actor, now):
        raise Conflict("This inbox item was matched meanwhile.", code="already_matched")
    audit.record("inbox.match", f"inbox/{item.id}", person=person, result=stored.external_id)
    return stored


def _matchable(session: Session, item_id: int, test_type: str | None) -> InboxItem:
    """The held item and the test type it is to be stored as; problems when it cannot be."""
    item = inbox_repo.get_item(session, item_id)
    if item is None:
        raise NotFound("No inbox item with this id.", code="unknown_inbox_item")
    if item.state != HELD:
        raise Conflict("This inbox item is already matched.", code="already_matched")
    wanted = test_type or item.content.get("test_type")
    if wanted is None:
        detail = "The test code of this item is not mapped: say which test_type it is."
        raise Unprocessable(detail, errors=[field_error("test_type", detail, "missing")])
    why = t.match_refusal(item.code, wanted)
    if why is not None:
        raise TestTypeRefused(why, item.code, wanted)
    return item


def match_item(
    session: Session,
    item_id: int,
    person: str,
    test_type: str | None,
    actor: str,
    audit: AuditLog,
    now: datetime,
) -> Matched:
    """Match one held item by hand: store its result for `person` and close it.

    A test type the item's code contradicts is audited as refused, then raised as
    `TestTypeRefused` (nothing stored; the caller keeps the audit row).
    """
    try:
        item = _matchable(session, item_id, test_type)
    except TestTypeRefused as refused:
        audit.record(
            "inbox.match",
            f"inbox/{item_id}",
            "refused",
            reason=refused.code,
            code=refused.item_code,
            test_type=refused.test_type,
            person=person,
        )
        raise
    stored = _release(session, item, person, test_type, actor, audit, now)
    sweep(session, actor, audit, now)  # a write path: release what a registration race left
    closed = inbox_repo.get_item(session, item_id)
    assert closed is not None
    return Matched(closed, stored)


def release_for_person(
    session: Session, person: str, actor: str, audit: AuditLog, now: datetime
) -> int:
    """Store every result held for `person` now that they are registered; how many."""
    released = 0
    for item in inbox_repo.held_for_person(session, person):
        try:
            with session.begin_nested():
                _release(session, item, person, None, actor, audit, now)
            released += 1
        except Problem as exc:
            inbox_repo.note_failure(session, item.id, f"automatic match failed: {exc.detail}")
            log.warning("inbox item %s stays held: %s", item.id, exc.detail)
    return released


def sweep(session: Session, actor: str, audit: AuditLog, now: datetime) -> int:
    """Release items whose person was registered while they were being held (a race)."""
    released = 0
    for person in inbox_repo.held_persons_now_known(session, _SWEEP_LIMIT):
        released += release_for_person(session, person, actor, audit, now)
    return released
