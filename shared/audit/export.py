"""Reading the audit trail: one filter for the list, the page and the CSV export.

The CSV export reads page by page, each page in a short connection of its own, so a client
that reads slowly holds no connection or transaction while it waits (rows only ever grow, so
keyset pages on `id` neither skip nor repeat a row).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, Connection, Engine, Select, Table, func, or_, select

from shared.audit.table import seal_table
from shared.web.csv_export import csv_chunks

Order = Literal["asc", "desc"]
EXPORT_PAGE_ROWS = 500
CSV_COLUMNS = (
    "id",
    "at",
    "actor",
    "roles",
    "action",
    "resource",
    "outcome",
    "client",
    "request_id",
    "detail",
    "seq",
    "hash",
)


@dataclass(frozen=True)
class AuditFilter:
    """Which rows of the trail: `start` inclusive, `end` exclusive, `resource` a prefix."""

    start: datetime | None = None
    end: datetime | None = None
    actor: str | None = None
    action: str | None = None
    resource: str | None = None
    order: Order = "asc"
    person: str | None = None  # rows about this person or patient id (exactly, not a prefix)


def audit_query(table: Table, filters: AuditFilter) -> Select[Any]:
    """The rows matching `filters` with their seals, in the asked order (unbounded)."""
    seals = seal_table(table)
    newest_first = filters.order == "desc"
    query = (
        select(table, seals.c.seq, seals.c.hash)
        .outerjoin(seals, seals.c.audit_id == table.c.id)
        .order_by(table.c.id.desc() if newest_first else table.c.id)
    )
    if filters.start:
        query = query.where(table.c.at >= filters.start)
    if filters.end:
        query = query.where(table.c.at < filters.end)
    if filters.actor:
        query = query.where(table.c.actor == filters.actor)
    if filters.action:
        query = query.where(table.c.action == filters.action)
    if filters.resource:
        query = query.where(table.c.resource.startswith(filters.resource, autoescape=True))
    if filters.person:
        query = query.where(_about_person(table, filters.person))
    return query


def _about_person(table: Table, person: str) -> ColumnElement[bool]:
    resource = table.c.resource
    return or_(
        *(
            condition
            for kind in ("person", "patient")
            for condition in (
                resource == f"{kind}/{person}",
                resource.startswith(f"{kind}/{person}/", autoescape=True),
            )
        )
    )


def audit_rows(
    connection: Connection, table: Table, filters: AuditFilter, size: int, after: int | None
) -> list[dict[str, Any]]:
    """Up to `size` matching rows after the row id `after` (in the filter's order)."""
    query = audit_query(table, filters).limit(size)
    if after is not None:
        beyond = table.c.id < after if filters.order == "desc" else table.c.id > after
        query = query.where(beyond)
    rows = [dict(r) for r in connection.execute(query).mappings()]
    for row in rows:
        row["roles"] = [x for x in row["roles"].split(",") if x]
    return rows


def _last_id(engine: Engine, table: Table) -> int | None:
    with engine.connect() as connection:
        value = connection.execute(select(func.max(table.c.id))).scalar()
    return None if value is None else int(value)


def export_pages(
    engine: Engine, table: Table, filters: AuditFilter, page_rows: int = EXPORT_PAGE_ROWS
) -> Iterator[list[dict[str, Any]]]:
    """Every matching row, a page at a time, each page read in a connection of its own.

    The export ends at the newest row that existed when it began (a busy trail cannot make
    it endless) and never holds a connection between two pages.
    """
    last = _last_id(engine, table)
    if last is None:
        return
    after = 0 if filters.order == "asc" else last + 1
    while True:
        with engine.connect() as connection:
            page = audit_rows(connection, table, filters, page_rows, after)
        page = [row for row in page if row["id"] <= last]
        if not page:
            return
        yield page
        if len(page) < page_rows:
            return
        after = int(page[-1]["id"])


Words = Callable[[dict[str, Any]], Sequence[Any]]


def audit_csv(
    pages: Iterator[list[dict[str, Any]]],
    timezone: ZoneInfo,
    extra_columns: Sequence[str] = (),
    extra: Words | None = None,
) -> Iterator[str]:
    """The rows as CSV text chunks (BOM, local times); `extra` adds columns (words)."""

    def lines(page: list[dict[str, Any]]) -> list[list[Any]]:
        out = []
        for row in page:
            cells = [
                ",".join(row["roles"]) if column == "roles" else row[column]
                for column in CSV_COLUMNS
            ]
            out.append(cells + list(extra(row) if extra else ()))
        return out

    return csv_chunks([*CSV_COLUMNS, *extra_columns], (lines(p) for p in pages), timezone)
