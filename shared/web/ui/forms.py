"""What service pages share when they run a use case from a form: answers, errors, times.

Pages call the same use cases (services) their service's API routes call. `attempt` runs one
and turns a refusal (`Problem`) into a value the page can show, undoing the request's writes
as the API would (`attempt_async` and `attempt_on_loop` for async use cases); `field_errors`
puts validation errors in words, told apart by type.
"""

from __future__ import annotations

import secrets
from collections.abc import Awaitable, Callable, Coroutine, Mapping, Sequence
from datetime import date, datetime, time, timedelta
from typing import Annotated, Any, TypeVar
from zoneinfo import ZoneInfo

import anyio.from_thread
from fastapi import Depends, Request
from fastapi.responses import Response
from pydantic import BaseModel, ValidationError
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool

from shared.audit import record_denial
from shared.auth import Principal
from shared.errors import Problem, validation_errors
from shared.web.ui.context import Ui
from shared.web.ui.dependencies import SignInRequired, local_path
from shared.web.ui.i18n import N_

T = TypeVar("T")

# Validation messages by pydantic error type; anything else is "not valid".
FIELD_MESSAGES = {
    "missing": N_("Please fill this in."),
    "string_too_short": N_("Please fill this in."),
    "string_too_long": N_("This is too long."),
    "string_pattern_mismatch": N_("This is not in the expected format."),
    "literal_error": N_("Choose one of the options."),
    "enum": N_("Choose one of the options."),
    "float_parsing": N_("Enter a number."),
    "float_type": N_("Enter a number."),
    "finite_number": N_("Enter a number."),
    "int_parsing": N_("Enter a whole number."),
    "datetime_parsing": N_("Enter a date and time."),
    "datetime_type": N_("Enter a date and time."),
    "timezone_aware": N_("Enter a date and time."),
    "date_parsing": N_("Enter a date."),
    "bool_parsing": N_("Choose yes or no."),
    "bool_type": N_("Choose yes or no."),
}
NOT_VALID = N_("This value is not valid.")
# Dates a hospital form takes (every backend and time zone can hold them).
EARLIEST_YEAR, LATEST_YEAR = 2000, 2100


def attempt(ui: Ui, session: Session, use_case: Callable[[], T]) -> T | Problem:
    """Run `use_case`; a refusal is returned (its writes undone, as the API does), not raised."""
    try:
        return use_case()
    except Problem as problem:
        session.rollback()
        if problem.status in (401, 403):
            record_denial(ui.request, problem.status, problem.detail)
        return problem


async def attempt_async(
    ui: Ui, session: Session, use_case: Callable[[], Awaitable[T]]
) -> T | Problem:
    """`attempt` for an async use case (one that asks another service before it writes)."""
    try:
        return await use_case()
    except Problem as problem:
        await run_in_threadpool(session.rollback)
        if problem.status in (401, 403):
            record_denial(ui.request, problem.status, problem.detail)
        return problem


def attempt_on_loop(ui: Ui, use_case: Callable[[], Coroutine[Any, Any, T]]) -> T | Problem:
    """`attempt` for an async use case, from a page running in a worker thread: it runs on
    the event loop. Call it before the page's session is used (on SQLite the two would wait
    on each other's write lock)."""
    try:
        return anyio.from_thread.run(use_case)
    except Problem as problem:
        if problem.status in (401, 403):
            record_denial(ui.request, problem.status, problem.detail)
        return problem


def field_errors(
    ui: Ui,
    errors: Sequence[Mapping[str, Any]],
    known: Mapping[str, tuple[str, str]] | None = None,
) -> dict[str, str]:
    """Errors by form field, in the caller's language ("" holds those of the whole form).

    `known` maps the error types (stable codes) of a use case's own rules to (field, message
    id): errors are told apart by type, never by their English wording.
    """
    shown: dict[str, str] = {}
    for error in errors:
        loc = [p for p in error.get("loc", ()) if isinstance(p, str) and p != "body"]
        name = loc[0] if loc else ""
        kind = str(error.get("type", ""))
        message = FIELD_MESSAGES.get(kind, NOT_VALID)
        if known and kind in known:
            field, message = known[kind]
            name = field or name
        shown.setdefault(name, ui.gettext(message))
    return shown


def build(model: type[BaseModel], data: Mapping[str, Any]) -> tuple[Any, list[dict[str, Any]]]:
    """(the validated model, []) or (None, errors)."""
    try:
        return model.model_validate(dict(data)), []
    except ValidationError as exc:
        return None, validation_errors(exc)


def local_datetime(value: str, zone: ZoneInfo) -> datetime | None:
    """A browser's `datetime-local` value ("2026-11-30T10:15") as an aware hospital time."""
    text = value.strip()
    if not text or len(text) > 32:
        return None
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None
    if not EARLIEST_YEAR <= parsed.year <= LATEST_YEAR:
        return None
    return parsed.replace(tzinfo=zone) if parsed.tzinfo is None else parsed


def local_day(value: str) -> date | None:
    """A browser's `date` value ("2026-11-30") between 2000 and 2100, or None."""
    text = value.strip()
    if len(text) != 10:
        return None
    try:
        day = date.fromisoformat(text)
    except ValueError:
        return None
    return day if EARLIEST_YEAR <= day.year <= LATEST_YEAR else None


def day_bounds(first: date | None, last: date | None, zone: ZoneInfo) -> tuple[Any, Any]:
    """[start of `first`, start of the day after `last`) as aware hospital times."""
    start = datetime.combine(first, time.min, tzinfo=zone) if first else None
    end = datetime.combine(last + timedelta(days=1), time.min, tzinfo=zone) if last else None
    return start, end


def browser_time(value: datetime, zone: ZoneInfo) -> str:
    """An instant as a `datetime-local` value in hospital time."""
    return value.astimezone(zone).strftime("%Y-%m-%dT%H:%M")


def retry_key() -> str:
    """A fresh Idempotency-Key a form carries, so a double submit changes nothing twice."""
    return "ui-" + secrets.token_urlsafe(24)


def clean_text(value: str, limit: int) -> str | None:
    """`value` trimmed, or None when it is too long or holds control characters."""
    text = value.strip()
    if len(text) > limit or not text.isprintable():
        return None
    return text


async def posted_form(request: Request) -> dict[str, str]:
    """The posted form's text fields (files ignored), for forms whose fields vary."""
    form = await request.form()
    return {key: value for key, value in form.items() if isinstance(value, str)}


PostedForm = Annotated[dict[str, str], Depends(posted_form)]


def caller(ui: Ui) -> Principal:
    """The signed-in caller of a page that required a sign-in."""
    if ui.principal is None:  # pages call this only behind signed_in / signed_in_as
        raise SignInRequired(ui)
    return ui.principal


def see_other(ui: Ui, path: str) -> Response:
    """303 See Other to one of this service's pages (`path` under /ui, e.g. "/checks/7"):
    post/redirect/get, so Back and reload after a form never send it again."""
    return ui.redirect(local_path(ui, ui.url(path)))
