"""The one HL7 v2 timestamp (TS/DTM) parser: every MSH-7, OBR-7/22, OBX-14/19 and SPM-17 read.

A value that is not a real instant is a FeedError naming the field (ERR-3 102, an AE ACK),
never an exception out of the intake: an interface engine re-sends a message that got no
answer, so one unanswerable timestamp would stall its whole queue.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone, tzinfo

from services.screening.feeds.findings import FeedError

# YYYYMMDD[HH[MM[SS[.S[S[S[S]]]]]]][+/-HHMM], ASCII digits only (`\d` alone also matches
# full-width and other Unicode digits, which int() would happily read).
_TS = re.compile(
    r"(\d{4})(\d{2})(\d{2})(?:(\d{2})(?:(\d{2})(?:(\d{2})(?:\.(\d{1,4}))?)?)?)?([+-]\d{4})?",
    re.ASCII,
)
# Real UTC offsets run from -12:00 (Baker Island) to +14:00 (Line Islands).
EARLIEST_OFFSET = timedelta(hours=-12)
LATEST_OFFSET = timedelta(hours=14)


def _offset(text: str, where: str) -> tzinfo:
    hours, minutes = int(text[1:3]), int(text[3:5])
    sign = -1 if text[0] == "-" else 1
    shift = sign * timedelta(hours=hours, minutes=minutes)
    if minutes > 59 or not EARLIEST_OFFSET <= shift <= LATEST_OFFSET:
        raise FeedError(
            f"{where} time zone offset {text} is outside -1200..+1400",
            where=where,
            code="102",
        )
    return timezone(shift)


def parse_timestamp(value: str, zone: tzinfo, where: str) -> datetime | None:
    """An HL7 TS/DTM (None when empty); without an offset it is hospital local time."""
    if not value:
        return None
    match = _TS.fullmatch(value)
    if match is None:
        raise FeedError(f"{where} is not an HL7 timestamp", where=where, code="102")
    year, month, day, hour, minute, second, frac, offset = match.groups()
    tz = _offset(offset, where) if offset else zone
    try:
        at = datetime(
            int(year),
            int(month),
            int(day),
            int(hour or 0),
            int(minute or 0),
            int(second or 0),
            int((frac or "0").ljust(6, "0")[:6]),
            tzinfo=tz,
        )
    except ValueError as exc:
        raise FeedError(f"{where} is not a real date", where=where, code="102") from exc
    try:
        # Every later step compares and converts in UTC: the instant must exist there.
        at.astimezone(UTC)
    except (OverflowError, ValueError) as exc:
        raise FeedError(f"{where} is out of range", where=where, code="102") from exc
    return at
