"""HL7 v2 acknowledgements: ACK^R01 per message (MSA + ERR) and the FHS/BHS batch around them."""

from __future__ import annotations

import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Final

from services.screening.feeds.hl7.mapping import VERSIONS, Header

ENCODING: Final = "^~\\&"
APPLICATION: Final = "WARDGATE"
# HL7 table 0357 (message error condition codes).
ERROR_TEXT: Final[dict[str, str]] = {
    "0": "Message accepted",
    "100": "Segment sequence error",
    "101": "Required field missing",
    "102": "Data type error",
    "103": "Table value not found",
    "200": "Unsupported message type",
    "201": "Unsupported event code",
    "202": "Unsupported processing id",
    "203": "Unsupported version id",
    "204": "Unknown key identifier",
    "205": "Duplicate key identifier",
    "206": "Application record locked",
    "207": "Application internal error",
}
_FEED_CODES: Final[dict[str, str]] = {
    "required": "101",
    "unknown_person": "204",
    "unknown_result": "204",
    "result_conflict": "205",
}
_WHERE = re.compile(r"^([A-Z][A-Z0-9]{2})(?:\[([^\]]*)\])?(?:-(\d+))?")
_ESCAPES = (("\\", "\\E\\"), ("|", "\\F\\"), ("^", "\\S\\"), ("~", "\\R\\"), ("&", "\\T\\"))


def escape(text: str) -> str:
    """Text as an HL7 field value with the standard delimiters."""
    for char, sequence in _ESCAPES:
        text = text.replace(char, sequence)
    return re.sub(r"[\x00-\x1f]", " ", text)


def hl7_time(at: datetime) -> str:
    """An HL7 DTM with its offset."""
    return at.strftime("%Y%m%d%H%M%S%z")


def error_code(code: str) -> str:
    """A table 0357 code for a feed error code."""
    return code if code in ERROR_TEXT else _FEED_CODES.get(code, "207")


def _segment(name: str, fields: dict[int, str], last: int) -> str:
    if name in ("MSH", "BHS", "FHS"):
        # Field 1 is the separator itself; field 2 the encoding characters.
        parts = [name, ENCODING] + [fields.get(n, "") for n in range(3, last + 1)]
    else:
        parts = [name] + [fields.get(n, "") for n in range(1, last + 1)]
    while len(parts) > 1 and parts[-1] == "":
        parts.pop()
    return "|".join(parts)


def _echo(header: Header | None, number: int) -> str:
    if header is None:
        return ""
    if header.field_sep == "|" and header.encoding == ENCODING:
        value = header.first(number) if number != 10 else header.get(number)
        return re.sub(r"[\x00-\x1f\x7f]", " ", value)
    return escape(header.first(number))


@dataclass(frozen=True)
class Note:
    """One ERR: a table 0357 code, the text, the field (`OBX[3]-14`) and ERR-4 severity."""

    code: str
    detail: str
    where: str = ""
    severity: str = "E"  # E error, W warning (skipped), I information (ignored)


def _err(version: str, code: str, detail: str, where: str, severity: str = "E") -> str:
    found = _WHERE.match(where or "")
    segment, sequence, number = found.groups() if found else (None, None, None)
    parts = [segment or "", sequence or "1"] + ([number] if number else [])
    location = "^".join(parts) if segment else ""
    text = ERROR_TEXT[code]
    if version in ("2.3", "2.3.1", "2.4"):
        return f"ERR|{location}^{code}&{escape(text)}&HL70357"
    return f"ERR||{location}|{code}^{escape(text)}^HL70357|{severity}||||{escape(detail)[:250]}"


def ack(
    header: Header | None,
    code: str,
    text: str,
    now: datetime,
    *,
    error: tuple[str, str] | None = None,
    where: str = "",
    notes: Sequence[Note] = (),
) -> str:
    """One ACK^R01: MSH, MSA (code, the message's control id, text), ERR for each error/note.

    In 2.3/2.4 ERR has no severity field: a note is still sent, its MSA-3 text says whether
    it refused or only skipped something.
    """
    version = header.version if header is not None and header.version in VERSIONS else "2.5.1"
    msh = {
        3: _echo(header, 5) or APPLICATION,
        4: _echo(header, 6) or APPLICATION,
        5: _echo(header, 3),
        6: _echo(header, 4),
        7: hl7_time(now),
        9: "ACK^R01" if version == "2.3" else "ACK^R01^ACK",
        10: uuid.uuid4().hex[:20].upper(),
        11: "P",
        12: version,
    }
    segments = [
        _segment("MSH", msh, 12),
        f"MSA|{code}|{_echo(header, 10)}|{escape(text)[:80]}",
    ]
    if error is not None:
        segments.append(_err(version, error_code(error[0]), error[1], where))
    for note in notes:
        code = error_code(note.code)
        segments.append(_err(version, code, note.detail, note.where, note.severity))
    return "\r".join(segments)


def batch(
    acks: list[str],
    now: datetime,
    *,
    file_header: Header | None,
    batch_header: Header | None,
    comment: str = "",
) -> str:
    """ACKs in a BHS/BTS batch (and an FHS/FTS file when the input was one)."""
    batch_id = uuid.uuid4().hex[:20].upper()
    bhs = {
        3: APPLICATION,
        4: APPLICATION,
        5: _echo(batch_header, 3),
        6: _echo(batch_header, 4),
        7: hl7_time(now),
        10: escape(comment)[:80],
        11: batch_id,
        12: batch_header.get(11) if batch_header is not None else "",
    }
    segments = [_segment("BHS", bhs, 12), *acks, f"BTS|{len(acks)}"]
    if file_header is not None:
        fhs = {**bhs, 5: _echo(file_header, 3), 6: _echo(file_header, 4)}
        fhs[11], fhs[12] = batch_id, file_header.get(11)
        segments = [_segment("FHS", fhs, 12), *segments, "FTS|1"]
    return "\r".join(segments)
